"""/openapi.json as a client generator reads it: a valid OpenAPI 3.1 document whose every example validates against
its schema, with readable operationIds, the gateway's 401/403/429, servers under the stage, security per
WHOSAID_AUTH_MODE, and schemas that the API's real responses satisfy. Every check walks ALL operations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from infra.lambda_events import api_gateway_event
from tests.support.service_support import api_event, invoke
from whosaid.api import examples
from whosaid.config import Settings, get_settings
from whosaid.service import ArticleService

MODES = ("API_KEY", "IAM", "JWT")
STAGED_URL = "https://1234567890.execute-api.us-east-1.amazonaws.com/Prod"  # the events/ files' domain and stage
# API Gateway's gateway response types (what $context.error.responseType can be).
GATEWAY_RESPONSE_TYPES = {
    "ACCESS_DENIED",
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "BAD_REQUEST_PARAMETERS",
    "BAD_REQUEST_BODY",
    "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "THROTTLED",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "WAF_FILTERED",
}


@pytest.fixture
def auth_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("WHOSAID_AUTH_MODE", request.param)
    get_settings.cache_clear()
    yield request.param
    get_settings.cache_clear()  # the next test reads its own environment


def _document(event: dict[str, Any] | None = None) -> dict[str, Any]:
    result = invoke(event or api_event("GET", "/openapi.json"))
    assert result.status == 200 and result.headers["content-type"] == "application/json"
    return result.body


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def _validate(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    """Validate like a client would: the schema with the document's components beside it, so every $ref
    (#/components/schemas/...) resolves; OpenAPI 3.1 schemas are JSON Schema 2020-12."""
    root = {**schema, "components": document.get("components", {})}
    Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(instance)


def _examples(media: dict[str, Any]) -> list[Any]:
    found = [example["value"] for example in (media.get("examples") or {}).values()]
    return found + ([media["example"]] if "example" in media else [])


def _schema_examples(node: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """(schema, example) for every `examples` list of a schema in components, nested properties included."""
    if isinstance(node, dict):
        if isinstance(node.get("examples"), list):
            for example in node["examples"]:
                yield node, example
        for key, value in node.items():
            if key != "examples":
                yield from _schema_examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _schema_examples(item)


# --- the document ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth_mode", MODES, indirect=True)
def test_every_documented_example_validates_against_its_schema(offline_env: None, auth_mode: str) -> None:
    document = _document()
    validate_openapi(document)  # a valid OpenAPI 3.1 document first
    assert document["openapi"].startswith("3.1")
    checked = 0
    for method, path, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            for example in _examples(parameter):
                _validate(document, parameter["schema"], example)
                checked += 1
        body = operation.get("requestBody")
        if body:
            media = body["content"]["application/json"]
            assert _examples(media), (method, path, "request body without an example")
            for example in _examples(media):
                _validate(document, media["schema"], example)
                checked += 1
        for status, response in operation["responses"].items():
            for header in (response.get("headers") or {}).values():
                for example in _examples(header):
                    _validate(document, header["schema"], example)
                    checked += 1
            for media in (response.get("content") or {}).values():
                assert _examples(media), (method, path, status, "response without an example")
                for example in _examples(media):
                    _validate(document, media["schema"], example)
                    if int(status) >= 400:  # the error shape, with a code a client can switch on
                        assert example["error"]["code"] and example["error"]["message"], (method, path, status)
                    checked += 1
    for schema, example in _schema_examples(document["components"]["schemas"]):
        _validate(document, schema, example)
        checked += 1
    assert checked > 80  # the walk really found them (97 with API_KEY when this was written)


def test_error_examples_have_the_documented_status_and_the_real_code() -> None:
    document = json.loads(_cached_document())
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400 or status in ("401", "403", "429"):
                continue
            for name, example in response["content"]["application/json"]["examples"].items():
                code = example["value"]["error"]["code"]
                assert name == code and examples.ERRORS[code][0] == int(status), (method, path, status, code)


def _cached_document(auth_mode: str = "API_KEY") -> str:
    from whosaid.api import app
    from whosaid.api.openapi import openapi_json

    return openapi_json(app, STAGED_URL, auth_mode)  # type: ignore[arg-type]


def test_every_operation_has_a_readable_stable_operation_id() -> None:
    document = json.loads(_cached_document())
    ids = {(method, path): operation["operationId"] for method, path, operation in _operations(document)}
    for (method, path), operation_id in ids.items():
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", operation_id), (method, path, operation_id)
    assert len(set(ids.values())) == len(ids)  # unique: generators name methods after them
    assert {
        ("post", "/articles"): "createArticle",
        ("get", "/articles"): "listArticles",
        ("get", "/articles/{article_id}"): "getArticle",
        ("delete", "/articles/{article_id}"): "deleteArticle",
        ("get", "/articles/{article_id}/claims"): "listArticleClaims",
        ("get", "/speakers"): "listSpeakers",
        ("get", "/speakers/{speaker}/claims"): "listSpeakerClaims",
    }.items() <= ids.items()


@pytest.mark.parametrize("mode", MODES)
def test_every_operation_documents_the_gateway_responses(mode: str) -> None:
    document = json.loads(_cached_document(mode))
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        gateway = {"403", "429"} | ({"401"} if mode == "JWT" else set())
        assert gateway <= set(responses), (method, path)
        if mode != "JWT":
            assert "401" not in responses, (method, path)
        codes = set()
        for status in gateway:
            media = responses[status]["content"]["application/json"]
            assert media["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
            codes |= {example["value"]["error"]["code"] for example in media["examples"].values()}
        assert codes <= GATEWAY_RESPONSE_TYPES, codes
        assert {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED"} <= codes
        assert ("INVALID_API_KEY" in codes) == (mode == "API_KEY")
        assert ("QUOTA_EXCEEDED" in codes) == (mode == "API_KEY")  # usage plans come with API keys
        assert ("INVALID_SIGNATURE" in codes) == (mode == "IAM")
        assert ("UNAUTHORIZED" in codes) == (mode == "JWT")


@pytest.mark.parametrize("auth_mode", MODES, indirect=True)
def test_security_follows_the_auth_mode(offline_env: None, auth_mode: str) -> None:
    document = _document()
    schemes = document["components"]["securitySchemes"]
    assert len(schemes) == 1
    ((name, scheme),) = schemes.items()
    assert document["security"] == [{name: []}]
    if auth_mode == "API_KEY":
        assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "x-api-key")
    elif auth_mode == "IAM":
        assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
        assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4" and "Signature Version 4" in scheme["description"]
    else:
        # The Cognito authorizer's token, as the README's curl sends it: the whole header value.
        assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
        assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools" and "ID token" in scheme["description"]
    for method, path, operation in _operations(document):
        assert "security" not in operation, (method, path)  # the global requirement applies to all of them
    # The docs are public and not operations of the API.
    assert not {"/docs", "/openapi.json"} & set(document["paths"])


def test_an_unknown_auth_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHOSAID_AUTH_MODE", "BASIC")
    with pytest.raises(ValueError, match="WHOSAID_AUTH_MODE"):
        Settings()


def test_servers_carry_the_stage_the_request_came_in_under(offline_env: None) -> None:
    # The events/ shape: API Gateway's execute-api URL, requestContext.path under /Prod, X-Forwarded-Proto https.
    staged = api_event("GET", "/openapi.json")
    assert _document(staged)["servers"] == [{"url": STAGED_URL}]
    docs = invoke(api_event("GET", "/docs"))
    assert docs.status == 200 and docs.headers["content-type"] == "text/html"
    assert f'"url":"{STAGED_URL}"' in docs.raw  # Swagger UI calls the stage's URLs too

    # A custom domain's root: no stage in the path.
    custom = api_event("GET", "/openapi.json")
    custom["requestContext"]["path"] = "/openapi.json"
    custom["requestContext"]["domainName"] = "api.example.com"
    assert _document(custom)["servers"] == [{"url": "https://api.example.com"}]

    # No scheme or host to go by: relative to the document, still under the stage.
    bare = api_event("GET", "/openapi.json")
    bare["headers"].pop("X-Forwarded-Proto")
    assert _document(bare)["servers"] == [{"url": "/Prod"}]

    # The local stack (make run): no stage in the path, no proxy headers.
    local = api_gateway_event(method="GET", raw_path="/openapi.json", headers=[("Host", "127.0.0.1:3000")], body=b"")
    assert _document(local)["servers"] == [{"url": "/"}]


# --- the examples are real -----------------------------------------------------------------------------------------


def test_the_example_result_is_real() -> None:
    from whosaid.extraction.rules import RulesExtractor
    from whosaid.models import Article, Speaker
    from whosaid.storage.keys import article_id_for_text, claims_partition, speaker_id

    text = examples.ARTICLE_TEXT
    assert article_id_for_text(text) == examples.ARTICLE_ID
    assert examples.ARTICLE_RECORD["text_chars"] == len(text)
    for claim in examples.CLAIMS:
        start, end = claim["content_span"]
        assert text[start:end] == claim["content"]
        assert text[slice(*claim["cue_span"])] == claim["cue"]
        assert claim["speaker"]["name"] in text[slice(*claim["speaker_span"])]
        speaker = Speaker.model_validate(claim["speaker"])
        assert claim["speaker_id"] == speaker_id(claims_partition(examples.ARTICLE_ID, speaker))
    # What the API's rules extractor really gives for the example article.
    extracted = RulesExtractor().extract(Article.model_validate(examples.ARTICLE_REQUEST))
    fields = set(extracted.claims[0].model_dump())
    assert [c.model_dump(mode="json") for c in extracted.claims] == [
        {k: v for k, v in claim.items() if k in fields} for claim in examples.CLAIMS
    ]
    assert [s.model_dump() for s in extracted.speakers] == examples.ARTICLE_RECORD["speakers"]
    # format=csv of those claims, exactly as the route writes it.
    from whosaid.api.routes import claim_records_csv
    from whosaid.storage.records import ClaimRecord

    assert claim_records_csv(ClaimRecord.model_validate(claim) for claim in examples.CLAIMS) == examples.CLAIMS_CSV


def _check(document: dict[str, Any], method: str, path: str, result: Any) -> None:
    """The response is documented for its status and its body validates against that schema."""
    responses = document["paths"][path][method]["responses"]
    assert str(result.status) in responses, (method, path, result.status, result.raw[:300])
    content = responses[str(result.status)].get("content") or {}
    if not content:
        assert result.raw == ""
        return
    _validate(document, content["application/json"]["schema"], result.body)


def _error_example(code: str) -> dict[str, Any]:
    _status, message = examples.ERRORS[code]
    return {"error": {"code": code, "message": message}}


def test_real_responses_to_the_example_requests_match_the_document(memory_service: ArticleService) -> None:
    document = _document()
    created = invoke(api_event("POST", "/articles", body=examples.ARTICLE_REQUEST))
    assert created.status == 201 and created.body["article"]["article_id"] == examples.ARTICLE_ID
    _check(document, "post", "/articles", created)
    again = invoke(api_event("POST", "/articles", body=examples.ARTICLE_REQUEST))
    assert again.status == 200
    _check(document, "post", "/articles", again)
    speaker_id = created.body["claims"][0]["speaker_id"]
    for path, template in (
        ("/articles", "/articles"),
        (f"/articles/{examples.ARTICLE_ID}", "/articles/{article_id}"),
        (f"/articles/{examples.ARTICLE_ID}/claims", "/articles/{article_id}/claims"),
        ("/speakers", "/speakers"),
        (f"/speakers/{speaker_id}/claims", "/speakers/{speaker}/claims"),
        ("/speakers/Opponents/claims", "/speakers/{speaker}/claims"),
    ):
        result = invoke(api_event("GET", path, query={"limit": "1"}))
        assert result.status == 200, (path, result.raw)
        _check(document, "get", template, result)
    deleted = invoke(api_event("DELETE", f"/articles/{examples.ARTICLE_ID}"))
    assert deleted.status == 204
    _check(document, "delete", "/articles/{article_id}", deleted)


def test_documented_errors_are_what_the_api_answers(memory_service: ArticleService) -> None:
    document = _document()
    bad = {**examples.ARTICLE_REQUEST, "language": "English"}
    requests = {
        "invalid_json": ("post", "/articles", api_event("POST", "/articles", raw_body='{"text": "Mayor said" "x"}')),
        "validation_error": ("post", "/articles", api_event("POST", "/articles", body=bad)),
        "unsupported_media_type": (
            "post",
            "/articles",
            api_event("POST", "/articles", raw_body="text=hi", headers={"Content-Type": "text/plain"}),
        ),
        "payload_too_large": (
            "post",
            "/articles",
            api_event("POST", "/articles", raw_body=json.dumps({"text": "a" * 2 * 1024 * 1024})),
        ),
        "not_found": ("get", "/articles/{article_id}", api_event("GET", "/articles/0123456789abcdef0123")),
        "invalid_next_token": ("get", "/articles", api_event("GET", "/articles", query={"next_token": "abc"})),
        "invalid_input": ("get", "/speakers/{speaker}/claims", api_event("GET", "/speakers/%20/claims")),
    }
    for code, (method, template, event) in requests.items():
        result = invoke(event)
        assert result.body == _error_example(code), (code, result.body)
        _check(document, method, template, result)
    # The example article queued (202, Location under the stage), then asked for too early.
    queued = invoke(api_event("POST", "/articles", body=examples.ARTICLE_REQUEST, query={"mode": "async"}))
    assert queued.status == 202 and queued.headers["location"] == examples.STATUS_URL == queued.body["status_url"]
    _check(document, "post", "/articles", queued)
    location = document["paths"]["/articles"]["post"]["responses"]["202"]["headers"]["Location"]
    _validate(document, location["schema"], queued.headers["location"])
    for code, method, path, template in (
        ("article_not_complete", "GET", f"/articles/{examples.ARTICLE_ID}/claims", "/articles/{article_id}/claims"),
        ("article_processing", "DELETE", f"/articles/{examples.ARTICLE_ID}", "/articles/{article_id}"),
    ):
        result = invoke(api_event(method, path))
        assert result.body == _error_example(code), (code, result.body)
        _check(document, method.lower(), template, result)
