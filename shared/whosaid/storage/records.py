"""What is stored: an article record (metadata, status, summary) and its claim records.

These are also the API's response shapes, so field descriptions are written for users.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from whosaid.models import Claim, SpeakerSummary, Usage

ArticleStatus = Literal["pending", "complete", "failed"]
T = TypeVar("T")


class ArticleError(BaseModel):
    """Why extraction of an article failed."""

    code: str = Field(description="Machine-readable error code, e.g. llm_unavailable.")
    message: str = Field(description="What went wrong.")
    status: int = Field(default=502, description="HTTP status the failure maps to.")


class ArticleRecord(BaseModel):
    """A stored article: its metadata, where it is in processing and, once complete, a summary of its claims."""

    article_id: str = Field(description="Content hash of the text: the same text always gets the same id.")
    status: ArticleStatus = Field(description="pending (being extracted) | complete | failed (see error).")
    error: ArticleError | None = Field(default=None, description="Why extraction failed, when status is failed.")
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = Field(default=None, description="Publication date-time, ISO 8601 UTC.")
    language: str | None = None
    text: str | None = Field(
        default=None, description="The article text as submitted (single-article responses only; not in lists)."
    )
    text_chars: int = Field(description="Length of the text in characters.")
    claim_count: int = Field(default=0, description="Number of claims extracted (0 until complete).")
    speakers: list[SpeakerSummary] = Field(default_factory=list, description="Distinct speakers with claim counts.")
    usage: Usage | None = Field(default=None, description="What the extraction cost.")
    origin: dict[str, Any] | None = Field(
        default=None, description="Where the article came from when it was uploaded to S3 (bucket, key, etag, size)."
    )
    created_at: str = Field(description="When the article was first submitted, ISO 8601 UTC.")
    updated_at: str = Field(description="Last status change, ISO 8601 UTC.")
    completed_at: str | None = Field(default=None, description="When extraction completed, ISO 8601 UTC.")


class ClaimRecord(Claim):
    """A stored claim: the extracted claim plus the article it belongs to and its position there."""

    article_id: str = Field(description="The article the claim was extracted from.")
    index: int = Field(ge=0, description="Position of the claim in its article (text order, from 0).")
    article_title: str | None = Field(default=None, description="Headline of the article.")
    article_date: str = Field(
        description="The article's publication date-time, or when it was submitted if unknown (ISO 8601 UTC): "
        "speaker claims are ordered newest first by it."
    )


class Page(BaseModel, Generic[T]):
    """One page of a list and the opaque token of the next (None on the last page)."""

    items: list[T]
    next_token: str | None = None
