"""Response bodies of the API (they are the OpenAPI documentation of what each route returns)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uploads": [
                        {
                            "upload_id": "upl_9b1de2c4a07f35e6d812",
                            "bucket": "whosaid-dev-123456789012-eu-west-1",
                            "key": "incoming/report.pdf",
                            "etag": "0f343b0931126a20f133d67c2b018a3b",
                            "version_id": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH",
                            "size": 18204,
                            "status": "failed",
                            "article_id": None,
                            "error": {
                                "code": "invalid_input",
                                "message": "unsupported file type '.pdf' for 'incoming/report.pdf': upload .htm, "
                                ".html, .json, .txt",
                                "status": 400,
                            },
                            "created_at": "2026-12-01T15:04:05.123456Z",
                            "updated_at": "2026-12-01T15:04:05.123456Z",
                        },
                        {
                            "upload_id": "upl_51c0f7a9e2d84b3a6c10",
                            "bucket": "whosaid-dev-123456789012-eu-west-1",
                            "key": "incoming/cairo-talks.txt",
                            "etag": "7d8f1b2e4c6a09d3f5e7b1a2c4d6e8f0",
                            "version_id": "Kd2l.8mUvQq3sG7oZ1yXbH4cN6tR0wEa",
                            "size": 2113,
                            "status": "complete",
                            "article_id": "5a2ec754b9dc076ed993",
                            "error": None,
                            "created_at": "2026-12-01T15:02:41.000317Z",
                            "updated_at": "2026-12-01T15:02:41.000317Z",
                        },
                    ],
                    "next_token": None,
                }
            ]
        }
    )

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
