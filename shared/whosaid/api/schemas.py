"""Response bodies of the API (they are the OpenAPI documentation of what each route returns)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from whosaid.storage.records import ArticleRecord, ClaimRecord, SpeakerEntry, UploadRecord


class ArticleResponse(BaseModel):
    article: ArticleRecord


class ArticleWithClaimsResponse(BaseModel):
    """A stored article and all its claims, in text order."""

    article: ArticleRecord
    claims: list[ClaimRecord]


class AcceptedResponse(BaseModel):
    """The article is queued for extraction: poll status_url until its status is complete or failed."""

    article: ArticleRecord
    status_url: str = Field(description="Where to follow the article's status (GET).")


class ArticleListResponse(BaseModel):
    articles: list[ArticleRecord] = Field(description="Articles, most recently submitted first (without text).")
    next_token: str | None = Field(description="Pass as next_token for the next page; null on the last page.")


class ClaimListResponse(BaseModel):
    claims: list[ClaimRecord]
    next_token: str | None = Field(description="Pass as next_token for the next page; null on the last page.")


class SpeakerListResponse(BaseModel):
    speakers: list[SpeakerEntry] = Field(
        description="Speakers, most claims first. A page filtered by q or type may hold fewer than limit entries "
        "(even none) and still have a next_token: each request examines a bounded slice of the directory."
    )
    next_token: str | None = Field(description="Pass as next_token for the next page; null on the last page.")


class UploadListResponse(BaseModel):
    """A page of processed uploads, newest first."""

    uploads: list[UploadRecord] = Field(
        description="Uploads, most recently processed first. A page filtered by status may hold fewer than limit "
        "(even none) and still have a next_token."
    )
    next_token: str | None = Field(description="Pass as next_token for the next page; null on the last page.")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_error, not_found, llm_timeout.")
    message: str = Field(description="What went wrong and, for a bad request, what to fix.")


class ErrorResponse(BaseModel):
    error: ErrorDetail
