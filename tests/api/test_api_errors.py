"""Every kind of bad request gets a 4xx in the error shape, a message naming what to fix, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.memory_store import MemoryStorage
from tests.support.service_support import ApiResult, api_event, invoke
from whosaid.service import ArticleService

GOOD_TEXT = "Hazem Qassem said the talks went well."


def _check(result: ApiResult, status: int, code: str, *mentions: str) -> None:
    assert result.status == status, result.raw
    assert result.body is not None and set(result.body) == {"error"}
    assert set(result.body["error"]) == {"code", "message"}
    assert result.body["error"]["code"] == code
    message = result.body["error"]["message"]
    for mention in mentions:
        assert mention in message, message
    assert "Traceback" not in result.raw and "pydantic" not in message


BAD_BODIES: list[tuple[str, Any, tuple[str, ...]]] = [
    ("wrong type", {"text": 123}, ("text", "string")),
    ("blank text", {"text": "   \n\t"}, ("text", "blank")),
    ("empty text", {"text": ""}, ("text",)),
    ("missing text", {"title": "No text"}, ("text", "required")),
    ("bad date", {"text": GOOD_TEXT, "published_at": "yesterday"}, ("published_at", "ISO 8601")),
    ("bad url", {"text": GOOD_TEXT, "url": "not a url"}, ("url", "http")),
    ("ftp url", {"text": GOOD_TEXT, "url": "ftp://example.com/a"}, ("url",)),
    ("bad language", {"text": GOOD_TEXT, "language": "english!"}, ("language",)),
    ("unknown field", {"text": GOOD_TEXT, "author": "me"}, ("author", "not an accepted field", "title")),
    ("too long", {"text": "x" * 100_001}, ("text", "100000")),
    ("array body", [GOOD_TEXT], ("request body", "object")),
    ("string body", GOOD_TEXT, ("request body",)),
    ("null body", None, ("request body", "required")),
]


@pytest.mark.parametrize(("body", "mentions"), [(b, m) for _, b, m in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES])
def test_bad_article_is_422_naming_the_field(
    memory_service: ArticleService, memory_storage: MemoryStorage, body: Any, mentions: tuple[str, ...]
) -> None:
    event = api_event("POST", "/articles", raw_body="null" if body is None else None, body=body)
    _check(invoke(event), 422, "validation_error", *mentions)
    assert memory_storage.is_empty()


@pytest.mark.parametrize("raw", ['{"text": "unterminated', "{text: 'single quotes'}", "{}}", "\x00"])
def test_malformed_json_is_400(memory_service: ArticleService, memory_storage: MemoryStorage, raw: str) -> None:
    _check(invoke(api_event("POST", "/articles", raw_body=raw)), 400, "invalid_json", "JSON")
    assert memory_storage.is_empty()


def test_empty_body_is_422(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    event = api_event("POST", "/articles")
    event["headers"]["Content-Type"] = "application/json"
    _check(invoke(event), 422, "validation_error", "request body", "required")
    assert memory_storage.is_empty()


def test_oversized_body_is_413_before_parsing(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    raw = '{"text": "' + "x" * 3_000_000  # not even valid JSON: the size check comes first
    _check(invoke(api_event("POST", "/articles", raw_body=raw)), 413, "payload_too_large", "limit")
    assert memory_storage.is_empty()


def test_non_json_content_type_is_415(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    event = api_event(
        "POST", "/articles", raw_body="text=hello", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    _check(invoke(event), 415, "unsupported_media_type", "application/json")
    assert memory_storage.is_empty()


@pytest.mark.parametrize(
    ("path", "query", "mentions"),
    [
        ("/articles", {"limit": "0"}, ("limit",)),
        ("/articles", {"limit": "101"}, ("limit",)),
        ("/articles", {"limit": "ten"}, ("limit", "integer")),
        ("/articles/0123456789abcdef0123/claims", {"limit": "-1"}, ("limit",)),
        ("/speakers/Hazem%20Qassem/claims", {"limit": "1000"}, ("limit",)),
        ("/articles", {"next_token": "x" * 3000}, ("next_token",)),
    ],
)
def test_out_of_range_parameters_are_422(
    memory_service: ArticleService,
    memory_storage: MemoryStorage,
    path: str,
    query: dict[str, str],
    mentions: tuple[str],
) -> None:
    _check(invoke(api_event("GET", path, query=query)), 422, "validation_error", *mentions)
    assert memory_storage.is_empty()


def test_bad_mode_is_422(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    result = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT}, query={"mode": "later"}))
    _check(result, 422, "validation_error", "mode")
    assert memory_storage.is_empty()


@pytest.mark.parametrize("token", ["garbage", "eyJwIjoiQVJUSUNMRVMifQ.AAAA", "a.b.c", "...."])
def test_forged_next_token_is_400(memory_service: ArticleService, memory_storage: MemoryStorage, token: str) -> None:
    result = invoke(api_event("GET", "/articles", query={"next_token": token}))
    _check(result, 400, "invalid_next_token", "next_token is invalid")
    assert memory_storage.is_empty()


@pytest.mark.parametrize("article_id", ["0123456789abcdef0123", "not-an-id", "x" * 500])
def test_unknown_article_is_404(memory_service: ArticleService, memory_storage: MemoryStorage, article_id: str) -> None:
    for method, path in (
        ("GET", f"/articles/{article_id}"),
        ("GET", f"/articles/{article_id}/claims"),
        ("DELETE", f"/articles/{article_id}"),
    ):
        _check(invoke(api_event(method, path)), 404, "not_found", "no article")
    assert memory_storage.is_empty()


def test_blank_speaker_is_400(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    _check(invoke(api_event("GET", "/speakers/%20%20/claims")), 400, "invalid_input", "speaker")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/article"),
        ("GET", "/articles/a/b/c"),
        ("GET", "/speakers/x"),
        ("GET", "/speakers/x/quotes"),
        ("PUT", "/articles"),
        ("PATCH", "/articles/0123456789abcdef0123"),
        ("POST", "/openapi.json"),
    ],
)
def test_a_route_api_gateway_would_not_send_gets_its_answer(
    memory_service: ArticleService, memory_storage: MemoryStorage, method: str, path: str
) -> None:
    """API Gateway answers an unknown path or method itself (403 MISSING_AUTHENTICATION_TOKEN, the template's
    DEFAULT_4XX shape); should such an event reach the function anyway, it gives the same answer, no 404/405."""
    result = invoke(api_event(method, path, body={"text": GOOD_TEXT} if method in ("PUT", "POST", "PATCH") else None))
    _check(result, 403, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    assert "allow" not in result.headers
    assert memory_storage.is_empty()
