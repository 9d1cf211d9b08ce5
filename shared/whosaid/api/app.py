"""The API Gateway REST resolver, its OpenAPI/Swagger set-up and the one place errors become HTTP responses.

Status codes: malformed JSON 400 (invalid_json); a well-formed request that breaks the schema (wrong types, blank
text, bad dates or URLs, unknown fields, out-of-range limit, bad mode or speaker type, over-long q) 422
(validation_error); a bad next_token (or one from another query) or speaker 400 (invalid_input /
invalid_next_token); unknown article 404; oversized body 413; whosaid errors the status
api/errors.py's HTTP_STATUS gives their code (LLM 502/503/504, storage 503); anything unexpected 500 with a
generic message (the stack trace goes to the log only). An unknown route or method never reaches the function:
API Gateway answers 403 MISSING_AUTHENTICATION_TOKEN itself (and `make run` does too).
"""

from __future__ import annotations

import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from whosaid import __version__
from whosaid.api.errors import check_body_size, coded_response, error_response, http_status
from whosaid.api.openapi import openapi_json, server_url, swagger_html
from whosaid.article_input import validation_message
from whosaid.config import Settings, get_settings
from whosaid.errors import WhosaidError
from whosaid.observability import logger


def _json_body(body: str) -> Any:
    check_body_size(body)  # before parsing: a huge body costs nothing but this length check
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        # Well-formed JSON Python will not parse: an integer over its 4300-digit limit, nesting past the recursion
        # limit. Reported like any other unparseable body (powertools turns JSONDecodeError into json_invalid).
        reason = "a number is too long" if isinstance(exc, ValueError) else "it is nested too deeply"
        raise json.JSONDecodeError(reason, body, 0) from exc


def cors_config(origins: list[str]) -> CORSConfig | None:
    """CORS for WHOSAID_CORS_ALLOWED_ORIGINS; None (no CORS headers; a preflight gets the gateway's 403) when empty.

    Powertools answers a preflight (OPTIONS, routed here without auth: see template.yaml) with 204, and adds
    Access-Control-Allow-Origin to it and to every response only when the request's Origin is in the list.
    """
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=origins[1:],
        # Location (a created article) and Retry-After (429/503) are what a browser client needs to read.
        expose_headers=["Location", "Retry-After"],
        max_age=600,
    )


# Servers and security depend on the request and the deployment: api/openapi.py adds them per request.
# Settings() rather than the cached get_settings(): read once, here, for the resolver built at import.
app = APIGatewayRestResolver(
    enable_validation=True, json_body_deserializer=_json_body, cors=cors_config(Settings().cors_origins)
)
app.configure_openapi(
    title="whosaid",
    version=__version__,
    description="Extract attributed claims (who said what) from news articles, grounded to character offsets. "
    'Every error is {"error": {"code": ..., "message": ...}}, API Gateway\'s own answers (401, 403, 429) included.',
)


def _openapi_document() -> str:
    return openapi_json(app, server_url(app.current_event), get_settings().auth_mode)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document():  # type: ignore[no-untyped-def]  # no annotation: powertools would validate the document
    return Response(status_code=200, content_type="application/json", body=_openapi_document())


@app.get("/docs", include_in_schema=False)
def swagger_ui():  # type: ignore[no-untyped-def]
    return Response(status_code=200, content_type="text/html", body=swagger_html(_openapi_document()))


# --- errors -------------------------------------------------------------------------------------------------------


def _sends_non_json() -> bool:
    """A POST whose declared body is not JSON: powertools would read forms and multipart bodies as the model."""
    content_type = (app.current_event.headers or {}).get("content-type", "").strip().lower()
    return (
        app.current_event.http_method == "POST"
        and bool(content_type)
        and not content_type.startswith("application/json")
    )


def _require_json_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    # Runs after request validation, before the route: a multipart form with a "text" field passes the schema.
    if _sends_non_json():
        return _unsupported_media_type()
    return next_middleware(app)


app.use(middlewares=[_require_json_body])


@app.exception_handler(RequestValidationError)
def _validation_error(exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if _sends_non_json():
        # e.g. curl -d without -H: a form body fails the schema only because it was never read as JSON
        return _unsupported_media_type()
    if any(error.get("type") == "json_invalid" for error in errors):
        detail = next((e.get("ctx", {}).get("error") for e in errors if e.get("type") == "json_invalid"), None)
        return coded_response(
            "invalid_json",
            f"request body is not valid JSON ({detail or 'parse error'}): send an object like "
            '{"text": "...", "title": "..."}',
        )
    return coded_response("validation_error", validation_message(errors))


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported_content_type(exc: RequestUnsupportedContentType) -> Response:
    return _unsupported_media_type()


def _unsupported_media_type() -> Response:
    return coded_response("unsupported_media_type", "send the article as JSON with Content-Type: application/json")


@app.exception_handler([UnicodeDecodeError, binascii.Error])
def _undecodable_body(exc: Exception) -> Response:
    """A base64-flagged body that is not base64, or bytes that are not UTF-8 (API Gateway base64-encodes a body it
    cannot pass as text): powertools fails decoding it before any JSON parsing."""
    try:
        app.current_event.decoded_body  # noqa: B018  (the property is what fails; only then is it the client's fault)
    except (UnicodeDecodeError, binascii.Error):
        return coded_response(
            "invalid_json",
            "request body is not valid JSON: it must be UTF-8 encoded text; send an object like "
            '{"text": "...", "title": "..."}',
        )
    return _unexpected(exc)


@app.exception_handler(WhosaidError)
def _whosaid_error(exc: WhosaidError) -> Response:
    status = http_status(exc.code)
    if status >= 500:
        logger.warning("request failed", extra={"error_code": exc.code, "status": status})
    return error_response(status, exc.code, exc.message)


@app.not_found
def _no_such_route(exc: RouteNotFoundError) -> Response:
    """Only a fallback: API Gateway routes just the template's resources and methods here, and answers any other
    itself. Should one arrive anyway (a direct invoke, a template route without a handler), the same answer."""
    return coded_response("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    if _sends_non_json():
        # Only body parsing runs before _require_json_body, so this is powertools failing on the form (e.g. a
        # multipart/form-data without a boundary): the client's content type is the problem.
        return _unsupported_media_type()
    logger.exception("unhandled error")  # the stack trace is logged, never returned
    return coded_response("internal_error", "internal error; try again later")
