"""Every error response is {"error": {"code", "message"}}; this module builds them, and the messages for
validation failures from pydantic's error list (the field, and what to fix)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

from whosaid.errors import WhosaidError
from whosaid.models import MAX_ARTICLE_CHARS, Article

# Large enough for any valid article (MAX_ARTICLE_CHARS characters even when every one is JSON-escaped as a
# surrogate pair), far below API Gateway's 10 MB: anything bigger is refused before it is parsed.
MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024
MAX_REPORTED_ERRORS = 5
_ARTICLE_FIELDS = ", ".join(Article.model_fields)


class PayloadTooLargeError(WhosaidError):
    code = "payload_too_large"
    status = 413


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers=dict(headers or {}),
    )


def _field_name(loc: Sequence[Any]) -> str:
    where, *path = loc or ("body",)
    name = ".".join(str(part) for part in path)
    if where == "body":
        return name or "request body"
    if where == "query":
        return f"query parameter {name}"
    if where == "path":
        return f"path parameter {name}"
    return ".".join(str(part) for part in loc)


def _problem(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"is not an accepted field (accepted: {_ARTICLE_FIELDS})"
    if kind in ("model_attributes_type", "dict_type"):
        return "must be a JSON object with the article's fields"
    loc = tuple(error.get("loc") or ())
    if loc[:1] == ("query",) and isinstance(error.get("input"), list):
        return "must be given once (it was repeated in the query string)"
    message = str(error.get("msg") or kind or "is invalid")
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if message[1:2].isupper():  # an acronym ("URL scheme ..."): leave it alone
        return message
    return message[:1].lower() + message[1:]


def _hint(error: Mapping[str, Any]) -> str:
    """What the field expects, from the Article model's own field description (bad dates, URLs, tags...)."""
    loc = tuple(error.get("loc") or ())
    if error.get("type") in ("missing", "extra_forbidden") or len(loc) != 2 or loc[0] != "body":
        return ""
    field = Article.model_fields.get(str(loc[1]))
    if field is None or not field.description or loc[1] == "text":
        return ""
    return f" (expected: {field.description.rstrip('.')})"


def validation_message(errors: Iterable[Mapping[str, Any]]) -> str:
    """'text: text must not be blank; published_at: input should be a valid datetime ... (expected: ...)'."""
    problems = [f"{_field_name(error.get('loc') or ())}: {_problem(error)}{_hint(error)}" for error in errors]
    extra = len(problems) - MAX_REPORTED_ERRORS
    message = "; ".join(problems[:MAX_REPORTED_ERRORS])
    if extra > 0:
        message += f"; and {extra} more"
    return message or "the request is invalid"


def check_body_size(body: str) -> None:
    """Refuse an oversized body before it is parsed (the JSON deserializer calls this first)."""
    size = len(body.encode("utf-8"))
    if size > MAX_REQUEST_BODY_BYTES:
        raise PayloadTooLargeError(
            f"request body is {size:,} bytes; the limit is {MAX_REQUEST_BODY_BYTES:,} bytes (an article's text may "
            f"have at most {MAX_ARTICLE_CHARS:,} characters)"
        )


def method_not_allowed(method: str, allowed: Iterable[str]) -> Response:
    allow = ", ".join(sorted(allowed))
    return error_response(
        HTTPStatus.METHOD_NOT_ALLOWED,
        "method_not_allowed",
        f"{method} is not allowed here; allowed: {allow}",
        headers={"Allow": allow},
    )
