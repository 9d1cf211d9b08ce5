"""Domain errors. Each carries a stable machine-readable code and the HTTP status it maps to, so the API and the
CLI report the same thing; the message says what went wrong and, for bad input, what to fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from whosaid.models import Usage


class WhosaidError(Exception):
    """Base of every error the product raises on purpose."""

    code: str = "internal_error"
    status: int = 500
    # What the failed attempt had cost when it failed (LLM requests and tokens), if the extractor knows; else None.
    usage: Usage | None = None

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidInputError(WhosaidError):
    """The request or document is malformed: the caller must fix it (4xx)."""

    code = "invalid_input"
    status = 400


class NotFoundError(WhosaidError):
    code = "not_found"
    status = 404


class ConfigurationError(WhosaidError):
    """The deployment is misconfigured (e.g. the LLM extractor chosen but no key): an operator must fix it."""

    code = "configuration_error"
    status = 500


class ExtractionError(WhosaidError):
    """The extractor failed after its retries. Upstream trouble maps to 502/503/504."""

    code = "extraction_failed"
    status = 502


class LLMUnavailableError(ExtractionError):
    """The LLM endpoint kept failing (5xx, 429, connection errors) after retries."""

    code = "llm_unavailable"
    status = 503


class LLMTimeoutError(ExtractionError):
    code = "llm_timeout"
    status = 504


class LLMOutputError(ExtractionError):
    """The model answered, but with output that could not be used (invalid after a re-ask, truncated, refused)."""

    code = "llm_bad_output"
    status = 502


class StorageError(WhosaidError):
    """An AWS call (DynamoDB, S3, SQS) failed after retries."""

    code = "storage_unavailable"
    status = 503
