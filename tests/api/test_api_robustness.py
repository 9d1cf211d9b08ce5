"""Inputs found by fuzzing (schemathesis) and by hand that used to end in a 5xx or a document that lied: each gets
a 4xx in the error shape and writes nothing, and /openapi.json documents every response the routes really give."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.memory_store import MemoryStorage
from tests.support.service_support import ApiResult, api_event, invoke
from whosaid.service import ArticleService

GOOD_TEXT = "Hazem Qassem said the talks went well."


def _check_error(result: ApiResult, status: int, code: str, *mentions: str) -> None:
    assert result.status == status, result.raw
    assert result.headers.get("content-type") == "application/json"
    assert result.body is not None and set(result.body) == {"error"}
    assert set(result.body["error"]) == {"code", "message"}
    assert result.body["error"]["code"] == code
    for mention in mentions:
        assert mention in result.body["error"]["message"], result.body["error"]["message"]
    assert "Traceback" not in result.raw


def _post_raw(raw: str, *, base64_encoded: bool = False) -> ApiResult:
    event = api_event("POST", "/articles", raw_body=raw)
    event["isBase64Encoded"] = base64_encoded
    return invoke(event)


# --- bodies Python's JSON parser or the base64 decoding cannot take --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("integer over Python's digit limit", '{"text": "x", "title": ' + "9" * 5_000 + "}"),
        ("nesting deeper than the recursion limit", '{"text": "x", "title": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_unparseable_json_is_400_not_500(
    memory_service: ArticleService, memory_storage: MemoryStorage, name: str, raw: str
) -> None:
    _check_error(_post_raw(raw), 400, "invalid_json", "JSON")
    assert memory_storage.is_empty()


def test_body_that_is_not_utf8_is_400(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    # API Gateway base64-encodes a body it cannot pass as text; here Latin-1 "café".
    raw = base64.b64encode('{"text": "Le café said it was good."}'.encode("latin-1")).decode("ascii")
    _check_error(_post_raw(raw, base64_encoded=True), 400, "invalid_json", "UTF-8")
    assert memory_storage.is_empty()


def test_body_that_is_not_base64_when_flagged_is_400(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    _check_error(_post_raw("not base64!", base64_encoded=True), 400, "invalid_json")
    assert memory_storage.is_empty()


def test_base64_encoded_utf8_json_is_accepted(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    text = "José García said the café was open."
    raw = base64.b64encode(json.dumps({"text": text}).encode("utf-8")).decode("ascii")
    result = _post_raw(raw, base64_encoded=True)
    assert result.status == 201, result.raw
    assert result.body["article"]["text"] == text


MULTIPART = '--xx\r\nContent-Disposition: form-data; name="text"\r\n\r\nHazem Qassem said it.\r\n--xx--\r\n'


# powertools warns about the (deliberately) unencoded multipart body before the request is refused.
@pytest.mark.filterwarnings("ignore:Received multipart/form-data:UserWarning")
@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("multipart/form-data; boundary=xx", MULTIPART),  # a valid form: powertools would read it as the article
        ("multipart/form-data", '{"text": "Hazem Qassem said it."}'),  # no boundary: powertools raises ValueError
        ("application/x-www-form-urlencoded", "text=Hazem+Qassem+said+it."),
    ],
)
def test_form_bodies_are_415_and_write_nothing(
    memory_service: ArticleService, memory_storage: MemoryStorage, content_type: str, raw: str
) -> None:
    event = api_event("POST", "/articles", raw_body=raw, headers={"Content-Type": content_type})
    _check_error(invoke(event), 415, "unsupported_media_type", "application/json")
    assert memory_storage.is_empty()


def test_lone_surrogate_is_422_and_writes_nothing(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    _check_error(_post_raw('{"text": "Qassem said \\ud800 it."}'), 422, "validation_error", "text")
    assert memory_storage.is_empty()


def test_control_characters_are_kept_exactly(article_service: ArticleService, aws_env: dict[str, str]) -> None:
    text = "Hazem Qassem said the talks\x00 went\x07 well.\u2028"
    result = invoke(api_event("POST", "/articles", body={"text": text, "title": "\x00\x1f"}))
    assert result.status == 201, result.raw
    article_id = result.body["article"]["article_id"]
    stored = invoke(api_event("GET", f"/articles/{article_id}"))
    assert stored.body["article"]["text"] == text and stored.body["article"]["title"] == "\x00\x1f"


# --- values that passed validation and then broke storage ---------------------------------------------------------


@pytest.mark.parametrize(
    "published_at",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:30:00+23:59"],
)
def test_date_that_leaves_the_calendar_in_utc_is_422(
    memory_service: ArticleService, memory_storage: MemoryStorage, published_at: str
) -> None:
    result = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT, "published_at": published_at}))
    _check_error(result, 422, "validation_error", "published_at", "UTC")
    assert memory_storage.is_empty()


@pytest.mark.parametrize("published_at", [0, 1_700_000_000, 1.5, True, "2021", "1700000000", "1.5e9"])
def test_date_given_as_a_number_is_422(
    memory_service: ArticleService, memory_storage: MemoryStorage, published_at: object
) -> None:
    # The schema says an ISO 8601 string; pydantic's lax mode would take a number (or a string of digits: "2021"
    # became 1970-01-01T00:33:41Z) as a Unix timestamp.
    result = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT, "published_at": published_at}))
    _check_error(result, 422, "validation_error", "published_at", "ISO 8601")
    assert memory_storage.is_empty()


@pytest.mark.parametrize(
    ("published_at", "stored"),
    [
        ("0347-03-04T19:48:34+06:39", "0347-03-04T13:09:34.000000Z"),
        ("0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31", "9999-12-31T00:00:00.000000Z"),
    ],
)
def test_early_and_late_dates_are_stored_as_iso_8601(
    memory_service: ArticleService, memory_storage: MemoryStorage, published_at: str, stored: str
) -> None:
    result = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT, "published_at": published_at}))
    assert result.status == 201, result.raw
    assert result.body["article"]["published_at"] == stored  # four-digit year: sorts with every other date
    assert {claim["article_date"] for claim in result.body["claims"]} == {stored}


@pytest.mark.parametrize(
    ("field", "value", "mentions"),
    [
        ("url", "https://example.com/" + "a" * 500_000, ("url", "2048")),
        ("language", "en" + "-abcd" * 100_000, ("language", "35")),
    ],
)
def test_field_too_large_for_storage_is_422_not_503(
    memory_service: ArticleService, memory_storage: MemoryStorage, field: str, value: str, mentions: tuple[str, ...]
) -> None:
    result = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT, field: value}))
    _check_error(result, 422, "validation_error", *mentions)
    assert memory_storage.is_empty()


def test_repeated_query_parameter_says_to_give_it_once(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    event = api_event("GET", "/articles", query={"limit": "5"})
    event["multiValueQueryStringParameters"] = {"limit": ["1", "5"]}
    _check_error(invoke(event), 422, "validation_error", "limit", "once")


def test_rejected_then_accepted_writes_only_the_accepted(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT, "published_at": "0001-01-01T00:00:00+01:00"}))
    invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT, "url": "https://e.com/" + "a" * 5_000}))
    assert invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT})).status == 201
    assert memory_storage.article_count() == 1 and "aaaa" not in json.dumps(memory_storage.snapshot())


# --- the OpenAPI document describes what the routes return -------------------------------------------------------


def _openapi(article_service: ArticleService) -> dict[str, Any]:
    result = invoke(api_event("GET", "/openapi.json"))
    assert result.status == 200
    return result.body


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


def test_every_error_response_is_documented_with_the_error_model(memory_service: ArticleService) -> None:
    document = _openapi(memory_service)
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        for status in ("422", "500", "503"):
            assert status in responses, (method, path, status)
        for status, response in responses.items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)
    assert "HTTPValidationError" not in json.dumps(document["paths"])


def test_delete_documents_an_empty_204(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    response = _openapi(memory_service)["paths"]["/articles/{article_id}"]["delete"]["responses"]["204"]
    assert not response.get("content")  # no body, so no media type
    posted = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT}))
    deleted = invoke(api_event("DELETE", f"/articles/{posted.body['article']['article_id']}"))
    assert deleted.status == 204 and deleted.raw == ""


def test_success_responses_document_their_model(memory_service: ArticleService) -> None:
    paths = _openapi(memory_service)["paths"]
    expected = {
        ("get", "/articles", "200"): "ArticleListResponse",
        ("get", "/articles/{article_id}", "200"): "ArticleResponse",
        ("get", "/articles/{article_id}/claims", "200"): "ClaimListResponse",
        ("get", "/speakers/{speaker}/claims", "200"): "ClaimListResponse",
        ("get", "/speakers", "200"): "SpeakerListResponse",
        ("get", "/uploads", "200"): "UploadListResponse",
        ("post", "/articles", "201"): "ArticleWithClaimsResponse",
        ("post", "/articles", "200"): "ArticleWithClaimsResponse",
        ("post", "/articles", "202"): "AcceptedResponse",
    }
    for (method, path, status), model in expected.items():
        schema = paths[path][method]["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}, (method, path, status, schema)


def test_delete_of_an_article_being_processed_is_a_documented_409(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    queued = invoke(api_event("POST", "/articles", body={"text": GOOD_TEXT}, query={"mode": "async"}))
    assert queued.status == 202, queued.raw
    result = invoke(api_event("DELETE", f"/articles/{queued.body['article']['article_id']}"))
    _check_error(result, 409, "article_processing", "being processed")
    assert "409" in _openapi(memory_service)["paths"]["/articles/{article_id}"]["delete"]["responses"]
