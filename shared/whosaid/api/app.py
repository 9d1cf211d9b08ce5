"""The API Gateway REST resolver, its OpenAPI/Swagger set-up and the one place errors become HTTP responses.

Status codes: malformed JSON 400 (invalid_json); a well-formed request that breaks the schema (wrong types, blank
text, bad dates or URLs, unknown fields, out-of-range limit, bad mode) 422 (validation_error); a bad next_token or
speaker 400 (invalid_input / invalid_next_token); unknown article 404; unknown route 404; wrong method 405;
oversized body 413; whosaid errors their own .status (LLM 502/503/504, storage 503); anything unexpected 500 with a
generic message (the stack trace goes to the log only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

from whosaid import __version__
from whosaid.api.errors import check_body_size, error_response, method_not_allowed, validation_message
from whosaid.errors import WhosaidError
from whosaid.observability import logger


def _json_body(body: str) -> Any:
    check_body_size(body)  # before parsing: a huge body costs nothing but this length check
    return json.loads(body)


app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=_json_body)
app.configure_openapi(
    title="whosaid",
    version=__version__,
    description="Extract attributed claims (who said what) from news articles, grounded to character offsets. "
    'Every error is {"error": {"code": ..., "message": ...}}.',
    security_schemes={"api_key": APIKey(name="x-api-key", in_=APIKeyIn.header)},
    security=[{"api_key": []}],
)
app.enable_swagger(path="/docs")

# method -> path patterns of every route, to tell an unknown path (404) from a wrong method (405).
_ROUTES: dict[str, list[re.Pattern[str]]] = {}


def _pattern(rule: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<\w+>", r"[^/]+", rule) + "/?$")


def route(method: str, rule: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """app.route that also remembers the rule for 405 detection."""
    _ROUTES.setdefault(method, []).append(_pattern(rule))
    return app.route(rule, method=method, **kwargs)


for _docs_rule in ("/docs", "/openapi.json"):
    _ROUTES.setdefault("GET", []).append(_pattern(_docs_rule))


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():  # type: ignore[no-untyped-def]  # no annotation: powertools would validate the document
    return Response(status_code=200, content_type="application/json", body=app.get_openapi_json_schema())


# --- errors -------------------------------------------------------------------------------------------------------


@app.exception_handler(RequestValidationError)
def _validation_error(exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    content_type = (app.current_event.headers or {}).get("content-type", "").strip().lower()
    if app.current_event.http_method == "POST" and content_type and not content_type.startswith("application/json"):
        # e.g. curl -d without -H: a form body fails the schema only because it was never read as JSON
        return _unsupported_media_type()
    if any(error.get("type") == "json_invalid" for error in errors):
        detail = next((e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"), None)
        return error_response(
            HTTPStatus.BAD_REQUEST,
            "invalid_json",
            f"request body is not valid JSON ({detail or 'parse error'}): send an object like "
            '{"text": "...", "title": "..."}',
        )
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", validation_message(errors))


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response:
    return _unsupported_media_type()


def _unsupported_media_type() -> Response:
    return error_response(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the article as JSON with Content-Type: application/json",
    )


@app.exception_handler(WhosaidError)
def _whosaid_error(exc: WhosaidError) -> Response:
    if exc.status >= 500:
        logger.warning("request failed", extra={"error_code": exc.code, "status": exc.status})
    return error_response(exc.status, exc.code, exc.message)


@app.not_found
def _not_found(exc: RouteNotFoundError) -> Response:
    method = app.current_event.http_method.upper()
    path = app.current_event.path
    allowed = {m for m, patterns in _ROUTES.items() if m != method and any(p.match(path) for p in patterns)}
    if allowed:
        return method_not_allowed(method, allowed)
    return error_response(HTTPStatus.NOT_FOUND, "route_not_found", f"no route for {method} {path}: see /docs")


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")  # the stack trace is logged, never returned
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "internal error; try again later")
