"""Domain errors. Each carries a stable machine-readable code and a message, so the API, the ingest and the CLI
report the same thing; the message says what went wrong and, for bad input, what to fix.

HTTP is the API's business: its one table of code -> status is whosaid.api.errors.HTTP_STATUS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from whosaid.models import Usage


class WhosaidError(Exception):
    """Base of every error the product raises on purpose."""

    code: str = "internal_error"
    # What the failed attempt had cost when it failed (LLM requests and tokens), if the extractor knows; else None.
    usage: Usage | None = None

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInputError(WhosaidError):
    """The request or document is malformed: the caller must fix it."""

    code = "invalid_input"


class NotFoundError(WhosaidError):
    code = "not_found"


class ConfigurationError(WhosaidError):
    """The deployment is misconfigured (e.g. the LLM extractor chosen but no key): an operator must fix it."""

    code = "configuration_error"


class ExtractionError(WhosaidError):
    """The extractor failed after its retries."""

    code = "extraction_failed"


class LLMUnavailableError(ExtractionError):
    """The LLM endpoint kept failing (5xx, 429, connection errors) after retries."""

    code = "llm_unavailable"


class LLMTimeoutError(ExtractionError):
    code = "llm_timeout"


class LLMOutputError(ExtractionError):
    """The model answered, but with output that could not be used (invalid after a re-ask, truncated, refused)."""

    code = "llm_bad_output"


class StorageError(WhosaidError):
    """An AWS call (DynamoDB, S3, SQS) failed after retries."""

    code = "storage_unavailable"
