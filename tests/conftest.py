"""Shared pytest fixtures (several test modules add theirs here: keep additions self-contained)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from infra.fake_openai import FakeOpenAI
from tests.support.service_support import FakeExtractor

if TYPE_CHECKING:
    from infra.template_resources import CreatedStack
    from tests.support.aws_stack import SessionStack
    from tests.support.memory_store import MemoryStorage
    from whosaid.service import ArticleService


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(_fake_openai_server: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible server (infra/fake_openai.py), with an empty script and request log per test."""
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()


# --- service / API fixtures (storage, service and API tests) --------------------------------------------------------


@pytest.fixture(scope="session")
def _session_stack() -> Iterator[SessionStack]:
    """template.yaml's stack in moto, once per process (per xdist worker): see tests/support/aws_stack.py."""
    from tests.support.aws_stack import SessionStack

    stack = SessionStack()
    yield stack
    stack.close()


@pytest.fixture
def aws_stack(_session_stack: SessionStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[CreatedStack]:
    """Inside moto: template.yaml's tables, bucket and queues as created (the session's stack, emptied), the
    functions' environment set, settings caches cleared; yields the created resources."""
    with _session_stack.activated(monkeypatch) as stack:
        yield stack


@pytest.fixture
def aws_env(aws_stack: CreatedStack) -> dict[str, str]:
    """aws_stack's environment variables (the functions' environment, all of them in one mapping)."""
    return dict(aws_stack.environment)


@pytest.fixture
def fake_extractor() -> FakeExtractor:
    """Extracts "<Speaker> said <content>." sentences (tests/support/service_support.py); set .error to make it fail."""
    return FakeExtractor()


@pytest.fixture
def article_service(
    aws_env: dict[str, str], fake_extractor: FakeExtractor, monkeypatch: pytest.MonkeyPatch
) -> ArticleService:
    """The service on the moto stack with the fake extractor, also behind the API routes."""
    from whosaid.config import get_settings
    from whosaid.service import ArticleService

    # The production poll interval: a faster one makes 19 concurrent waiters hammer in-process moto and starve the
    # one thread extracting (on 2 cores it then ran past the 20 s wait and the waiters answered "accepted").
    service = ArticleService.from_settings(get_settings(), extractor_factory=lambda: fake_extractor)
    monkeypatch.setattr("whosaid.api.routes.get_article_service", lambda: service)
    return service


# --- the service on in-memory storage (API and service tests that are not about storage) ----------------------------
# tests/support/memory_store.py, held to the DynamoDB store's behaviour by tests/service/test_store_contract.py. No
# moto stack: a test that asserts what DynamoDB, S3 or SQS did uses `article_service` (above) instead.


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a test that needs no AWS: no AWS or OpenAI variables from the shell, the rules extractor,
    settings read afresh, and AWS pointed at a closed local port, so a call that should not happen fails at once
    instead of leaving the machine."""
    from whosaid.config import get_settings
    from whosaid.service import get_article_service

    for name in [n for n in os.environ if n.startswith(("AWS_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "offline")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "offline")
    monkeypatch.setenv("WHOSAID_EXTRACTOR", "rules")
    get_settings.cache_clear()
    get_article_service.cache_clear()


@pytest.fixture
def memory_storage(offline_env: None) -> MemoryStorage:
    """Empty in-memory stores (articles, uploads, the work queue)."""
    from tests.support.memory_store import MemoryStorage

    return MemoryStorage()


@pytest.fixture
def memory_service(
    memory_storage: MemoryStorage, fake_extractor: FakeExtractor, monkeypatch: pytest.MonkeyPatch
) -> ArticleService:
    """The service on in-memory storage with the fake extractor, also behind the API routes."""
    from tests.support.memory_store import service_on

    service = service_on(memory_storage, lambda: fake_extractor)
    monkeypatch.setattr("whosaid.api.routes.get_article_service", lambda: service)
    return service


def pytest_configure(config: pytest.Config) -> None:
    # The API handler flushes metrics on every request; a GET adds none, and powertools warns about that.
    config.addinivalue_line("filterwarnings", "ignore:No application metrics to publish:UserWarning")
