"""Every error response is {"error": {"code", "message"}}; this module builds them, and holds the one table that
maps an error code to its HTTP status (domain errors carry a code and a message only). Validation messages are
whosaid.article_input's, the same for the API, S3 uploads and the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types

from whosaid.errors import WhosaidError
from whosaid.models import MAX_ARTICLE_CHARS

# Large enough for any valid article (MAX_ARTICLE_CHARS characters even when every one is JSON-escaped as a
# surrogate pair), far below API Gateway's 10 MB: anything bigger is refused before it is parsed.
MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024


# The one place an error code becomes an HTTP status: the exception handlers (api/app.py) and the documented
# examples (api/examples.py) both read it. A code missing here is a bug, answered 500 like any other.
HTTP_STATUS: dict[str, int] = {
    "invalid_json": HTTPStatus.BAD_REQUEST,
    "invalid_next_token": HTTPStatus.BAD_REQUEST,
    "invalid_input": HTTPStatus.BAD_REQUEST,
    "not_found": HTTPStatus.NOT_FOUND,
    "article_not_complete": HTTPStatus.CONFLICT,
    "article_processing": HTTPStatus.CONFLICT,
    "payload_too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "unsupported_media_type": HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    "validation_error": HTTPStatus.UNPROCESSABLE_ENTITY,
    "internal_error": HTTPStatus.INTERNAL_SERVER_ERROR,
    "configuration_error": HTTPStatus.INTERNAL_SERVER_ERROR,
    "extraction_failed": HTTPStatus.BAD_GATEWAY,
    "llm_bad_output": HTTPStatus.BAD_GATEWAY,
    "llm_unavailable": HTTPStatus.SERVICE_UNAVAILABLE,
    "storage_unavailable": HTTPStatus.SERVICE_UNAVAILABLE,
    "llm_timeout": HTTPStatus.GATEWAY_TIMEOUT,
    # API Gateway's own answer to a route it does not have; the function gives it only as a fallback (api/app.py).
    "MISSING_AUTHENTICATION_TOKEN": HTTPStatus.FORBIDDEN,
}


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, HTTPStatus.INTERNAL_SERVER_ERROR)


class PayloadTooLargeError(WhosaidError):
    code = "payload_too_large"


def coded_response(code: str, message: str) -> Response:
    """The error response for a code, with the status the table gives it."""
    return error_response(http_status(code), code, message)


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=dict(headers or {}),
    )


def check_body_size(body: str) -> None:
    """Refuse an oversized body before it is parsed (the JSON deserializer calls this first)."""
    size = len(body.encode("utf-8"))
    if size > MAX_REQUEST_BODY_BYTES:
        raise PayloadTooLargeError(
            f"request body is {size:,} bytes; the limit is {MAX_REQUEST_BODY_BYTES:,} bytes (an article's text may "
            f"have at most {MAX_ARTICLE_CHARS:,} characters)"
        )
