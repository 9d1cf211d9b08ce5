"""Helpers for the storage, service and API tests: a scripted extractor, API events, invoking the API handler,
and looking at what is stored."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from whosaid.deadlines import Deadline
from whosaid.models import Article, Claim, ExtractionResult, Speaker, SpeakerType, Usage

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
SEED_TEXT = (EVENTS / "seed-article.txt").read_text(encoding="utf-8")
SEED_ARTICLE_ID = "5a2ec754b9dc076ed993"  # article_id_for_text(SEED_TEXT): the id in the events/api-*.json files

# "<Speaker> said <content>." sentences, the only thing the fake extractor understands.
_SAID = re.compile(r"(?:^|(?<=\. ))(?P<speaker>[^.]+?) said (?P<content>[^.]+)\.")


class FakeExtractor:
    """Extracts "<Speaker> said <content>." sentences; can be told to fail or to take its time. Speakers are
    persons without a role unless `types` / `roles` (by name as written) say otherwise."""

    name = "rules"

    def __init__(
        self,
        *,
        error: Exception | None = None,
        delay: float = 0.0,
        types: dict[str, SpeakerType] | None = None,
        roles: dict[str, str] | None = None,
    ) -> None:
        self.error = error
        self.delay = delay
        self.types = dict(types or {})
        self.roles = dict(roles or {})
        self.calls = 0
        self.deadlines: list[Deadline | None] = []
        self._lock = threading.Lock()

    def extract(self, article: Article, *, deadline: Deadline | None = None) -> ExtractionResult:
        with self._lock:
            self.calls += 1
            self.deadlines.append(deadline)
        if self.delay:
            time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        claims = [
            Claim(
                speaker=Speaker(
                    name=m["speaker"], type=self.types.get(m["speaker"], "person"), role=self.roles.get(m["speaker"])
                ),
                cue="said",
                content=m["content"],
                quote_type="indirect",
                stance="asserts",
                content_span=(m.start("content"), m.end("content")),
                speaker_span=(m.start("speaker"), m.end("speaker")),
                extractor="rules",
            )
            for m in _SAID.finditer(article.text)
        ]
        return ExtractionResult.from_claims(claims, Usage(extractor="rules"))


@dataclass
class LambdaContext:
    function_name: str = "whosaid-test-ApiFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:whosaid-test-ApiFunction"
    aws_request_id: str = "5a1f3c9e-0000-4000-8000-000000000000"
    timeout_ms: int = 28_000  # the API function's Timeout; the clock starts when the context is made
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST proxy event shaped like the files in events/ (from api-list-articles.json) for any request."""
    event = copy.deepcopy(load_event("api-list-articles.json"))
    event["httpMethod"] = method
    event["path"] = path
    event["resource"] = path
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["path"] = f"/Prod{path}"
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    if body is not None:
        raw_body = json.dumps(body)
    event["body"] = raw_body
    if raw_body is not None:
        event["headers"]["Content-Type"] = "application/json"
    event["headers"].update(headers or {})
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    return event


_handler_module: Any = None


def api_handler() -> Any:
    """functions/api/api_handler.py, imported once by path (functions are not a package)."""
    global _handler_module
    if _handler_module is None:
        spec = importlib.util.spec_from_file_location("api_handler", REPO / "functions" / "api" / "api_handler.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _handler_module = module
    return _handler_module


@dataclass
class ApiResult:
    status: int
    headers: dict[str, str]
    body: Any
    raw: str


def invoke(event: dict[str, Any], context: LambdaContext | None = None) -> ApiResult:
    response = api_handler().lambda_handler(event, context or LambdaContext())
    raw = response.get("body") or ""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(key.lower(), values[0])
    return ApiResult(response["statusCode"], headers, body, raw)


def table_items(env: dict[str, str]) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    return client.scan(TableName=env["WHOSAID_TABLE_NAME"], ConsistentRead=True)["Items"]


def bucket_keys(env: dict[str, str]) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=env["WHOSAID_BUCKET_NAME"])
    return [item["Key"] for item in listing.get("Contents", [])]


def queue_messages(env: dict[str, str]) -> list[dict[str, Any]]:
    response = boto3.client("sqs").receive_message(
        QueueUrl=env["WHOSAID_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    bodies = [json.loads(message["Body"]) for message in response.get("Messages", [])]
    return [body for body in bodies if body.get("Event") != "s3:TestEvent"]  # S3 says hello when notifications are set


def assert_nothing_stored(env: dict[str, str]) -> None:
    assert table_items(env) == []
    assert bucket_keys(env) == []
    assert queue_messages(env) == []
