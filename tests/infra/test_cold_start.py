"""Cold start: one boto3 session per process, what a SnapStart restore resets, what the handlers import at init."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.fake_openai import FakeOpenAI
from whosaid import lifecycle
from whosaid.config import get_settings
from whosaid.errors import StorageError
from whosaid.service import ExtractorProvider
from whosaid.service.articles import _reconnect_extractors
from whosaid.storage import aws

ROOT = Path(__file__).resolve().parents[2]
HEAVY_OPTIONAL = ("openai", "trafilatura", "lxml", "babel", "tqdm")


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> list[boto3.session.Session]:
    """No session yet; every Session the module creates is recorded."""
    created: list[boto3.session.Session] = []
    original = boto3.session.Session

    def recording(*args: Any, **kwargs: Any) -> boto3.session.Session:
        session = original(*args, **kwargs)
        created.append(session)
        return session

    monkeypatch.setattr(aws, "_session", None)
    monkeypatch.setattr(aws.boto3.session, "Session", recording)
    return created


def test_aws_client_reuses_one_session_across_threads(
    aws_env: dict[str, str], fresh_session: list[boto3.session.Session]
) -> None:
    start = threading.Barrier(8)

    def make(service: str) -> Any:
        start.wait()
        return aws.aws_client(service)

    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(make, ["s3", "sqs", "dynamodb", "ssm"] * 2))
    assert len(fresh_session) == 1
    assert len({id(c) for c in clients}) == 8  # callers keep their own clients
    assert all(c.meta.config.retries["mode"] == "standard" for c in clients)  # the shared retry policy


def test_after_restore_clients_close_their_pools_and_the_session_is_dropped(
    aws_env: dict[str, str], fresh_session: list[boto3.session.Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = aws.aws_client("s3")
    closed: list[str] = []
    original_close = s3.close
    monkeypatch.setattr(s3, "close", lambda: (closed.append("s3"), original_close()))
    first = aws.aws_session()

    aws.reset_connections()

    assert closed == ["s3"]
    assert aws.aws_session() is not first
    assert len(fresh_session) == 2
    # A closed client opens a new connection pool on its next call: the holder keeps working.
    assert "Buckets" in s3.list_buckets()


class _CountingKeySource:
    def __init__(self, result: str | Exception) -> None:
        self.result = result
        self.reads = 0

    def get(self) -> str:
        self.reads += 1
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def _llm_settings(fake_openai: FakeOpenAI) -> Any:
    return get_settings().model_copy(
        update={"extractor": "auto", "openai_base_url": fake_openai.base_url, "openai_api_key_parameter": "/k"}
    )


def test_prepare_builds_the_llm_client_at_init_and_restore_rebuilds_it_without_calling_out(
    fake_openai: FakeOpenAI,
) -> None:
    source = _CountingKeySource("sk-test")
    provider = ExtractorProvider(_llm_settings(fake_openai), source)  # type: ignore[arg-type]
    provider.prepare()
    assert source.reads == 1
    assert "openai" in sys.modules
    before = provider()
    assert before.name == "llm"

    reads = source.reads
    _reconnect_extractors()  # the after-restore hook: every provider of the process
    assert source.reads == reads  # restore hooks must not call out

    after = provider()
    assert after is not before and after.name == "llm"
    assert before._endpoint._client.is_closed()  # type: ignore[attr-defined]
    assert not after._endpoint._client.is_closed()  # type: ignore[attr-defined]


def test_prepare_leaves_a_key_failure_to_the_requests(fake_openai: FakeOpenAI) -> None:
    source = _CountingKeySource(StorageError("the secret store is unavailable; try again later"))
    provider = ExtractorProvider(_llm_settings(fake_openai), source)  # type: ignore[arg-type]
    provider.prepare()  # logged, not raised: the function's init must not fail
    with pytest.raises(StorageError):  # each request: a clean 503
        provider()
    assert source.reads == 2


def test_prepare_does_nothing_for_the_rules_extractor() -> None:
    source = _CountingKeySource(AssertionError("read"))
    provider = ExtractorProvider(get_settings().model_copy(update={"extractor": "rules"}), source)  # type: ignore[arg-type]
    provider.prepare()
    assert source.reads == 0


def test_the_after_restore_hooks_fall_back_to_no_ops_outside_lambda_and_reseed_random() -> None:
    def hook() -> None: ...

    assert lifecycle.register_after_restore(hook) is hook
    assert lifecycle.register_before_snapshot(hook) is hook
    random.seed(7)
    snapshotted = random.random()
    random.seed(7)
    lifecycle._reseed_random()
    assert random.random() != snapshotted


def _imported_at_init(handler: str, **environment: str) -> set[str]:
    """The modules a fresh interpreter has loaded after importing a handler as Lambda does (its own directory)."""
    code = f"import sys, json; import {handler}; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WHOSAID_"))}
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env.update(environment)
    directory = ROOT / "functions" / handler.split("_")[0]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=directory, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("handler", ["api_handler", "ingest_handler"])
@pytest.mark.parametrize("extractor", ["rules", "auto"])
def test_without_an_llm_the_handlers_import_no_optional_heavy_package(handler: str, extractor: str) -> None:
    modules = _imported_at_init(handler, WHOSAID_EXTRACTOR=extractor)  # auto without a key or URL: rules
    assert "aws_lambda_powertools" in modules and "whosaid" in modules
    assert not modules & set(HEAVY_OPTIONAL)


def test_with_an_llm_the_api_handler_imports_openai_at_init() -> None:
    modules = _imported_at_init("api_handler", WHOSAID_EXTRACTOR="auto", OPENAI_API_KEY="sk-test")
    assert "openai" in modules
    assert not modules & {"trafilatura", "lxml", "babel"}
