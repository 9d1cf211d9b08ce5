"""Shared pytest fixtures (several test modules add theirs here: keep additions self-contained)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from infra.fake_openai import FakeOpenAI
from tests.support.service_support import FakeExtractor

if TYPE_CHECKING:
    from infra.template_resources import CreatedStack
    from tests.support.aws_stack import SessionStack
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


def pytest_configure(config: pytest.Config) -> None:
    # The API handler flushes metrics on every request; a GET adds none, and powertools warns about that.
    config.addinivalue_line("filterwarnings", "ignore:No application metrics to publish:UserWarning")
