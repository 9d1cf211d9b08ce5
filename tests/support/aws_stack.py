"""The template's AWS resources inside moto, for tests.

Inside a stack every boto3 client talks to moto (us-east-1, dummy credentials), the tables, bucket and queues of
template.yaml exist (named whosaid-test-<LogicalId>), the functions' environment variables are set, and the
whosaid settings cache is cleared so code under test sees them. Two kinds:

- The session stack (`SessionStack`, behind the `aws_stack` and `aws_env` fixtures in tests/conftest.py):
  template.yaml's stack, created once per process (per xdist worker) and restored before every test, because
  building one (starting moto, a boto3 session, the template, the resources) cost about 0.9 s a test. Restoring
  it: every table emptied of its items, the bucket of every object version, the queues deleted, and then the
  stack created again over what is left, which makes anything a test deleted (a table, or everything, after a
  private stack reset moto) and re-applies the bucket's notification, so S3's test event is in the queue as on a
  fresh stack. The other services (SSM, Secrets Manager, ...) are reset; the environment the test found is put
  back when it ends.
- A private stack (`moto_stack_resources(monkeypatch, template=...)`): a fresh `mock_aws()` for one test, for a
  template of its own or for tests about building a stack. It resets moto's data, so the session stack is rebuilt
  by its next restore; it cannot be opened while the session stack is active (moto would nest the two mocks into
  one and the private stack's names would land on the session's resources).
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.core.models import MockAWS

from infra.template_resources import BUCKET, QUEUE, TABLE, CreatedStack, create_stack, load_template

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
# The services whose resources the template declares: emptied between tests; every other moto service is reset.
_STACK_SERVICES = frozenset({"dynamodb", "s3", "sqs"})
_KINDS = (TABLE, BUCKET, QUEUE)


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


class _OneCopyPerTable:
    """Stands in for the `copy` module inside moto's transact_write_items, which deep-copies a table for its rollback
    once per item of the transaction where once per table does: a full transaction (100 items) on a table of a few
    hundred items made 100 copies of it, and the large-article tests took half a minute each. moto keeps one copy
    per table anyway (the last), and every copy is taken before the transaction writes anything, so one copy is
    the same snapshot."""

    def __init__(self) -> None:
        self._copies: dict[int, Any] = {}

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in self._copies:
            self._copies[id(value)] = copy.deepcopy(value, memo)
        return self._copies[id(value)]


def _serialised_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.dynamodb.models
    from moto.dynamodb.models import DynamoDBBackend

    for name in _DYNAMODB_OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        def serialised(self: Any, *args: Any, __original: Any = original, __name: str = name, **kwargs: Any) -> Any:
            with _BACKEND_LOCK:
                if __name != "transact_write_items":
                    return __original(self, *args, **kwargs)
                # Swapped under the lock that every call into moto's DynamoDB models module holds.
                with patch.object(moto.dynamodb.models, "copy", _OneCopyPerTable()):
                    return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, serialised)


def _set_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*_UNSET, *(n for n in os.environ if n.startswith("AWS_ENDPOINT_URL"))):
        monkeypatch.delenv(name, raising=False)
    for name, value in _AWS_ENV.items():
        monkeypatch.setenv(name, value)


def _set_stack_environment(
    monkeypatch: pytest.MonkeyPatch, stack: CreatedStack, extra_env: Mapping[str, str] | None
) -> None:
    for name, value in stack.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WHOSAID_EXTRACTOR", "rules")
    for name, value in (extra_env or {}).items():
        monkeypatch.setenv(name, value)


def _mock_active() -> bool:
    return MockAWS._nested_count > 0


# --- the session stack --------------------------------------------------------------------------------------------


class SessionStack:
    """template.yaml's stack in moto for a whole test session: created by the first test that asks for it, restored
    to as-created before every later one (see the module docstring). One per process; not for concurrent tests."""

    def __init__(self) -> None:
        self._mock = mock_aws()
        self._template = load_template()
        self._patches = pytest.MonkeyPatch()
        # The serialised backend must be in place whenever the stack is in use, threads of a test included.
        _serialised_dynamodb(self._patches)
        self._clients: dict[str, Any] = {}
        self._stack: CreatedStack | None = None

    @contextmanager
    def activated(
        self, monkeypatch: pytest.MonkeyPatch, *, extra_env: Mapping[str, str] | None = None
    ) -> Iterator[CreatedStack]:
        """Inside moto, the stack as created, its environment (and extra_env) set, for one test."""
        if _mock_active():
            raise RuntimeError("the session stack cannot be activated inside another mock_aws()")
        found_environment = dict(os.environ)
        _set_test_environment(monkeypatch)
        # reset=False/remove_data=False: moto keeps its data between tests, which is what makes the stack reusable.
        self._mock.start(reset=False)
        try:
            stack = self._restored()
            _set_stack_environment(monkeypatch, stack, extra_env)
            clear_settings_caches()
            yield stack
        finally:
            clear_settings_caches()
            self._mock.stop(remove_data=False)
            _restore_environment(found_environment)

    def close(self) -> None:
        """End of the session: moto's data dropped and the backend's serialisation undone."""
        BackendDict.reset()
        self._patches.undo()

    def _restored(self) -> CreatedStack:
        if not self._clients:
            # Made inside the mock, once: three boto3 clients (and the default session moto gives each mock) cost
            # more than restoring the whole stack.
            self._clients = {
                "dynamodb": boto3.client("dynamodb", region_name=REGION),
                "s3": boto3.client("s3", region_name=REGION),
                "sqs": boto3.client("sqs", region_name=REGION),
            }
        _reset_other_services()
        if self._stack is not None and self._emptied(self._stack):
            return self._stack
        # The first test, or the last one changed the stack's shape (deleted a table, versioned the bucket, made a
        # resource of its own) or opened a private stack, which resets moto: moto's own reset, and the stack anew.
        BackendDict.reset()
        self._stack = create_stack(
            dynamodb=self._clients["dynamodb"],
            s3=self._clients["s3"],
            sqs=self._clients["sqs"],
            template=self._template,
            prefix=TEST_PREFIX,
        )
        return self._stack

    def _emptied(self, stack: CreatedStack) -> bool:
        """The stack's items, objects and messages deleted, S3's test event queued again; False, with nothing
        touched, when moto's resources are no longer exactly the ones the stack was created with."""
        dynamodb, s3, sqs = self._clients["dynamodb"], self._clients["s3"], self._clients["sqs"]
        created = {kind: {r.ref: r.logical_id for r in stack.resources.values() if r.type == kind} for kind in _KINDS}
        tables, buckets, queues = created[TABLE], created[BUCKET], created[QUEUE]
        if (
            set(dynamodb.list_tables()["TableNames"]) != set(tables)
            or {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]} != set(buckets)
            or set(sqs.list_queues().get("QueueUrls", [])) != set(queues)
            # Created unversioned (create_stack does not enable versioning), and versioning cannot be switched off.
            or any("Status" in s3.get_bucket_versioning(Bucket=bucket) for bucket in buckets)
        ):
            return False
        for table, logical_id in tables.items():
            key_schema = self._template["Resources"][logical_id]["Properties"]["KeySchema"]
            _empty_table(dynamodb, table, [key["AttributeName"] for key in key_schema])
        for bucket in buckets:
            _empty_bucket(s3, bucket)
        # moto's own switch: like SQS, it allows one PurgeQueue a minute per queue unless told otherwise.
        with patch.dict(os.environ, {"MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"}):
            for url in queues:
                sqs.purge_queue(QueueUrl=url)
        # S3 sends its test event when a bucket's notification is configured: configured again, so that the queue
        # holds it as it does on a fresh stack.
        for bucket in buckets:
            notification = s3.get_bucket_notification_configuration(Bucket=bucket)
            notification.pop("ResponseMetadata", None)
            if notification:
                s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=notification)
        return True


def _empty_table(dynamodb: Any, table: str, key_names: list[str]) -> None:
    keys: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression=", ".join(f"#k{i}" for i in range(len(key_names))),
        ExpressionAttributeNames={f"#k{i}": name for i, name in enumerate(key_names)},
    ):
        keys.extend(page["Items"])
    for start in range(0, len(keys), 25):  # BatchWriteItem's limit; moto processes every item of a batch
        requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={table: requests})


def _empty_bucket(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        versions = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        if versions:  # at most 1000 a page, as delete_objects takes
            objects = [{"Key": version["Key"], "VersionId": version["VersionId"]} for version in versions]
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


def _reset_other_services() -> None:
    """Every moto service but the stack's back to empty: what a test stored in SSM or Secrets Manager goes. moto's
    own reset (BackendDict.reset) resets every service, the stack's too; this is the same loop, skipping those."""
    for backends in list(BackendDict._instances):  # type: ignore[misc]  # as moto annotates its own uses
        if backends.service_name not in _STACK_SERVICES:
            for account_backends in backends.values():
                account_backends.reset()


def _restore_environment(found: Mapping[str, str]) -> None:
    """os.environ as the test found it: what the fixtures and the test set, with monkeypatch or not, is undone."""
    for name in [name for name in os.environ if name not in found]:
        del os.environ[name]
    for name, value in found.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


# --- a private stack ----------------------------------------------------------------------------------------------


@contextmanager
def moto_stack_resources(
    monkeypatch: pytest.MonkeyPatch,
    *,
    template: Mapping[str, Any] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[CreatedStack]:
    """A private stack for one test: a fresh mock_aws() with `template`'s resources (template.yaml's by default)
    created; yields the created resources (names, URLs, ARNs per logical id). For template.yaml's own stack,
    use the `aws_stack` or `aws_env` fixture: the session stack, restored per test, costs far less."""
    if _mock_active():
        raise RuntimeError("a private moto stack cannot be opened inside another mock_aws() (the session stack?)")
    _set_test_environment(monkeypatch)
    _serialised_dynamodb(monkeypatch)
    with mock_aws():
        stack = create_stack(
            dynamodb=boto3.client("dynamodb", region_name=REGION),
            s3=boto3.client("s3", region_name=REGION),
            sqs=boto3.client("sqs", region_name=REGION),
            template=template,
            prefix=TEST_PREFIX,
        )
        _set_stack_environment(monkeypatch, stack, extra_env)
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
    """A private stack (moto_stack_resources); yields its environment variables."""
    with moto_stack_resources(monkeypatch, template=template, extra_env=extra_env) as stack:
        yield dict(stack.environment)


__all__ = [
    "REGION",
    "TEST_PREFIX",
    "SessionStack",
    "clear_settings_caches",
    "moto_stack",
    "moto_stack_resources",
]
