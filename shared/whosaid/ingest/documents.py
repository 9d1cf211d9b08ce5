"""Uploaded S3 objects to Articles: `.txt` is the text, `.json` is the POST /articles body (mapped and refused by
whosaid.article_input's rules, as the API and the CLI do), `.html` is a web page whose main text trafilatura extracts
(navigation, footers and other page furniture dropped).

For HTML the stored article text is the extracted text, so claim offsets refer to it, not to the markup.
Anything that cannot become an article raises InvalidInputError: retrying will not fix the object.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from pydantic import AnyHttpUrl, TypeAdapter, ValidationError

from whosaid.article_input import article_from_json, load_json
from whosaid.errors import InvalidInputError
from whosaid.models import Article

# Generous for a web page around a 100k-character article; anything bigger is not an article and is refused
# before it is downloaded (the notification carries the size).
MAX_OBJECT_BYTES = 5 * 1024 * 1024

TEXT_SUFFIXES = frozenset({".txt"})
JSON_SUFFIXES = frozenset({".json"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | HTML_SUFFIXES

_URL = TypeAdapter(AnyHttpUrl)
_TITLE_MAX = 1_000  # Article.title's limit
_SOURCE_MAX = 200  # Article.source's limit


def document_suffix(key: str) -> str:
    """The lower-cased extension of an object key, refused unless it is one the ingest understands."""
    suffix = PurePosixPath(key).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InvalidInputError(f"unsupported file type {suffix or '(none)'!r} for {key!r}: upload {supported}")
    return suffix


def check_size(key: str, size: int) -> None:
    if size <= 0:
        raise InvalidInputError(f"{key!r} is empty")
    if size > MAX_OBJECT_BYTES:
        raise InvalidInputError(f"{key!r} is {size:,} bytes; the limit is {MAX_OBJECT_BYTES:,}")


def article_from_object(key: str, body: bytes) -> Article:
    """Turn an uploaded object's bytes into an Article according to its extension."""
    suffix = document_suffix(key)
    check_size(key, len(body))
    if suffix in JSON_SUFFIXES:
        return _article_from_json(key, body)
    text = _decode_utf8(key, body)
    if suffix in HTML_SUFFIXES:
        return _article_from_html(key, text)
    return _validated_article(key, {"text": text})


def _decode_utf8(key: str, body: bytes) -> str:
    try:
        # utf-8-sig: a byte-order mark is an encoding artefact, not part of the article.
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(
            f"{key!r} is not valid UTF-8 (bad byte at position {exc.start}); save it as UTF-8 and upload again"
        ) from exc


def _article_from_json(key: str, body: bytes) -> Article:
    try:
        return article_from_json(load_json(body))
    except InvalidInputError as exc:
        raise InvalidInputError(f"{key!r} is not a valid article: {exc.message}") from exc


def _article_from_html(key: str, html: str) -> Article:
    import trafilatura  # only the HTML path needs it
    from trafilatura.settings import Document

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        # Only dates the page states in its metadata: htmldate's extensive search guesses (a copyright year, ...).
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    # A Document, or None when nothing was extracted (a dict only with as_dict=True, which is not asked for).
    text = (document.text or "").strip() if isinstance(document, Document) else ""
    if not isinstance(document, Document) or not text:
        raise InvalidInputError(f"{key!r} has no article text that could be extracted from the page")
    fields: dict[str, Any] = {"text": text}
    title = (document.title or "").strip()
    if title:
        fields["title"] = title[:_TITLE_MAX]
    source = (document.sitename or "").strip()
    if source:
        fields["source"] = source[:_SOURCE_MAX]
    if document.url and _is_http_url(document.url):
        fields["url"] = document.url
    if document.date:
        fields["published_at"] = document.date
    try:
        return Article.model_validate(fields)
    except ValidationError:
        # Page metadata is best effort: an odd date or URL must not cost the article its text.
        return _validated_article(key, {"text": text, "title": fields.get("title")})


def _validated_article(key: str, fields: dict[str, Any]) -> Article:
    try:
        return article_from_json(fields)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{key!r} is not a valid article: {exc.message}") from exc


def _is_http_url(value: str) -> bool:
    try:
        _URL.validate_python(value)
    except ValidationError:
        return False
    return True


__all__ = [
    "MAX_OBJECT_BYTES",
    "SUPPORTED_SUFFIXES",
    "article_from_object",
    "check_size",
    "document_suffix",
]
