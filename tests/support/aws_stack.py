"""The template's AWS resources inside moto, for tests: `with moto_stack(monkeypatch) as env: ...`.

Inside the block every boto3 client talks to moto (us-east-1, dummy credentials), the tables, bucket and queues of
template.yaml exist (named whosaid-test-<LogicalId>), the functions' environment variables are set, and the
whosaid settings cache is cleared so code under test sees them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.template_resources import CreatedStack, create_stack

REGION = "us-east-1"
TEST_PREFIX = "whosaid-test"

# Never real credentials or endpoints in a test: moto intercepts, and a stray real call fails instead of billing.
_AWS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_NAMESPACE": "Whosaid",
    "POWERTOOLS_SERVICE_NAME": "whosaid",
}
_UNSET = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SQS",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
)


def clear_settings_caches() -> None:
    """Forget settings and anything built from them (the service caches its clients per process)."""
    from whosaid.config import get_settings

    get_settings.cache_clear()
    try:  # the service layer may not exist yet, or may not cache
        from whosaid import service

        cached = getattr(service, "get_article_service", None)
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()
    except ImportError:
        pass


# DynamoDB applies a conditional write atomically (no other write lands between its check and its write) and a
# transaction all at once (no read sees half of it). moto's in-process backend does neither: two threads can both
# see "no such item" and both put it, or a reader can see an article flipped to complete before its claims, so the
# concurrency tests would test moto's races instead of ours. Every operation on the backend is serialised.
_DYNAMODB_OPERATIONS = (
    *("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"),
    *("get_item", "query", "batch_get_item", "transact_get_items"),
)
_BACKEND_LOCK = threading.RLock()


def _serialised_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in _DYNAMODB_OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        def serialised(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _BACKEND_LOCK:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialised)


@contextmanager
def moto_stack_resources(
    monkeypatch: pytest.MonkeyPatch,
    *,
    template: Mapping[str, Any] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[CreatedStack]:
    """Like moto_stack, yielding the created resources (names, URLs, ARNs per logical id) as well."""
    for name in (*_UNSET, *(n for n in os.environ if n.startswith("AWS_ENDPOINT_URL"))):
        monkeypatch.delenv(name, raising=False)
    for name, value in _AWS_ENV.items():
        monkeypatch.setenv(name, value)
    _serialised_dynamodb(monkeypatch)
    with mock_aws():
        stack = create_stack(
            dynamodb=boto3.client("dynamodb", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            sqs=boto3.client("sqs", region_name=REGION),
            template=template,
            prefix=TEST_PREFIX,
        )
        for name, value in stack.environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("WHOSAID_EXTRACTOR", "rules")
        for name, value in (extra_env or {}).items():
            monkeypatch.setenv(name, value)
        clear_settings_caches()
        try:
            yield stack
        finally:
            clear_settings_caches()


@contextmanager
def moto_stack(
    monkeypatch: pytest.MonkeyPatch,
    *,
    template: Mapping[str, Any] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[dict[str, str]]:
    """Inside moto, the template's resources created and their environment variables set; yields those variables."""
    with moto_stack_resources(monkeypatch, template=template, extra_env=extra_env) as stack:
        yield dict(stack.environment)


__all__ = ["REGION", "TEST_PREFIX", "clear_settings_caches", "moto_stack", "moto_stack_resources"]
