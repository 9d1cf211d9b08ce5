"""One way in: a JSON object becomes an `Article` by the same rules whether it is a POST /articles body, an S3
`.json` upload or a CLI JSON / JSON-lines input, and every pydantic validation failure of those becomes one message
that names the field and says what to fix.

The rules are the Article model's: the fields at the top level, `text` required, unknown fields refused (a typo
such as `titel` would otherwise vanish silently). The API validates its body against the same model itself
(powertools, in the route's signature) and formats the failure with `validation_message`, so the three entry points
report a bad article with the same words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from whosaid.errors import InvalidInputError
from whosaid.models import Article

MAX_REPORTED_ERRORS = 5
_ARTICLE_FIELDS = ", ".join(Article.model_fields)


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
    if kind in ("model_attributes_type", "model_type", "dict_type"):
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
    """'text: text must not be blank; published_at: input should be a valid datetime ... (expected: ...)'.

    `errors` are pydantic's, each `loc` starting with where the value was (body, query or path), as powertools
    reports a request's; `article_from_json` puts its errors in the body."""
    problems = [f"{_field_name(error.get('loc') or ())}: {_problem(error)}{_hint(error)}" for error in errors]
    extra = len(problems) - MAX_REPORTED_ERRORS
    message = "; ".join(problems[:MAX_REPORTED_ERRORS])
    if extra > 0:
        message += f"; and {extra} more"
    return message or "the request is invalid"


def _invalid(exc: ValidationError) -> InvalidInputError:
    errors = exc.errors(include_url=False)
    return InvalidInputError(validation_message({**error, "loc": ("body", *error["loc"])} for error in errors))


def article_from_json(value: Any) -> Article:
    """The Article a parsed JSON value describes; InvalidInputError saying what to fix when it is not one."""
    try:
        return Article.model_validate(value)
    except ValidationError as exc:
        raise _invalid(exc) from exc


def article_from_text(text: str) -> Article:
    """An Article of plain text (an S3 `.txt`, a CLI text file), refused like a JSON body's blank or long text."""
    return article_from_json({"text": text})


def load_json(raw: str | bytes) -> Any:
    """A JSON document parsed as the API parses a body; InvalidInputError "not valid JSON (...)" when it is not."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"not valid JSON ({exc.msg})") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInputError("not valid JSON (it is not UTF-8 encoded text)") from exc
    except (ValueError, RecursionError) as exc:
        # Well-formed JSON Python will not parse (the API's body deserializer refuses the same two).
        reason = "a number is too long" if isinstance(exc, ValueError) else "it is nested too deeply"
        raise InvalidInputError(f"not valid JSON ({reason})") from exc


__all__ = ["MAX_REPORTED_ERRORS", "article_from_json", "article_from_text", "load_json", "validation_message"]
