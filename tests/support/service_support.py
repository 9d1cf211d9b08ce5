"""Helpers for the storage, service and API tests: a scripted extractor, API events, invoking the API handler,
and looking at what is stored."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3

from infra.lambda_events import ApiRoute, LocalLambdaContext, api_gateway_event, api_routes
from infra.template_resources import load_template
from whosaid.deadlines import Deadline
from whosaid.models import Article, Claim, ExtractionResult, Speaker, SpeakerType, Usage

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
SEED_TEXT = (EVENTS / "seed-article.txt").read_text(encoding="utf-8")
SEED_ARTICLE_ID = "5a2ec754b9dc076ed993"  # article_id_for_text(SEED_TEXT): the id in the events/api-*.json files
API_FUNCTION = "whosaid-test-ApiFunction"
# What API Gateway adds to every request on the execute-api host (CloudFront, X-Forwarded-*), as the events show.
_GATEWAY_HEADERS: dict[str, str] = json.loads((EVENTS / "api-list-articles.json").read_text(encoding="utf-8"))[
    "headers"
]

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


def lambda_context(*, timeout_seconds: float = 28.0) -> LocalLambdaContext:
    """The API function's context (its Timeout by default); the clock starts when it is made."""
    return LocalLambdaContext(function_name=API_FUNCTION, memory_limit_in_mb=512, timeout_seconds=timeout_seconds)


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
    """A REST proxy event for any request, as API Gateway sends it on the execute-api host of the Prod stage (the
    local stack's builder, infra/lambda_events.py, with the headers of the events/ files)."""
    if body is not None:
        raw_body = json.dumps(body)
    request_headers = {**_GATEWAY_HEADERS, **({"Content-Type": "application/json"} if raw_body is not None else {})}
    request_headers.update(headers or {})
    return api_gateway_event(
        method=method,
        raw_path=f"{path}?{urlencode(query)}" if query else path,
        headers=request_headers.items(),
        body=raw_body.encode("utf-8") if raw_body is not None else b"",
        routes=_api_routes(),
        stage="Prod",
        host=_GATEWAY_HEADERS["Host"],
        source_ip="203.0.113.10",
        stage_in_path=True,
    )


@functools.cache
def _api_routes() -> tuple[ApiRoute, ...]:
    return tuple(api_routes(load_template(), "ApiFunction"))


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


def invoke(event: dict[str, Any], context: LocalLambdaContext | None = None) -> ApiResult:
    response = api_handler().lambda_handler(event, context or lambda_context())
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
