"""What is stored: an article record (metadata, status, summary), its claim records, and speaker directory entries.

These are also the API's response shapes, so field descriptions are written for users.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from whosaid.models import Claim, SpeakerSummary, SpeakerType, Usage

ArticleStatus = Literal["pending", "complete", "failed"]
UploadStatus = Literal["complete", "pending", "failed", "gone"]
T = TypeVar("T")


class ArticleError(BaseModel):
    """Why extraction of an article (or an upload) failed: the error's code and message, never an HTTP status."""

    # Items stored before the status left the record still carry "status": ignored, not an error.
    model_config = ConfigDict(extra="ignore")

    code: str = Field(description="Machine-readable error code, e.g. llm_unavailable.")
    message: str = Field(description="What went wrong.")


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

    # Bookkeeping, never serialised: a complete article whose speakers are not all in the directory yet (an
    # interrupted completion too large for one transaction); the next submission of the same text finishes it.
    _directory_pending: bool = PrivateAttr(default=False)

    @property
    def directory_pending(self) -> bool:
        return self._directory_pending


class ClaimRecord(Claim):
    """A stored claim: the extracted claim plus the article it belongs to and its position there."""

    article_id: str = Field(description="The article the claim was extracted from.")
    speaker_id: str = Field(
        description="The speaker's directory id: GET /speakers/{speaker_id}/claims lists its claims across articles "
        "(only this article's, for an anonymous or unnamed speaker).",
        examples=["spk_3f6c2a9d1e0b7c4a5f81"],
    )
    index: int = Field(ge=0, description="Position of the claim in its article (text order, from 0).")
    article_title: str | None = Field(default=None, description="Headline of the article.")
    article_date: str = Field(
        description="The article's publication date-time, or when it was submitted if unknown (ISO 8601 UTC): "
        "speaker claims are ordered newest first by it."
    )


class ArticleReference(BaseModel):
    """The article a speaker was most recently quoted in."""

    article_id: str = Field(
        description="The article's id (GET /articles/{article_id}).", examples=["5a2ec754b9dc076ed993"]
    )
    title: str | None = Field(default=None, description="Headline of the article.", examples=["No breakthroughs"])
    date: str = Field(
        description="The article's publication date-time, or when it was submitted if unknown (ISO 8601 UTC).",
        examples=["2021-08-04T10:00:00.000000Z"],
    )


class SpeakerEntry(BaseModel):
    """A speaker in the directory: claims of complete articles only, counted across articles."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "speaker_id": "spk_3f6c2a9d1e0b7c4a5f81",
                    "name": "Hazem Qassem",
                    "type": "person",
                    "article_scoped": False,
                    "roles": ["Hamas spokesman"],
                    "claim_count": 7,
                    "article_count": 3,
                    "latest_article": {
                        "article_id": "5a2ec754b9dc076ed993",
                        "title": "No breakthroughs",
                        "date": "2021-08-04T10:00:00.000000Z",
                    },
                }
            ]
        }
    )

    speaker_id: str = Field(
        description="Stable URL-safe id: GET /speakers/{speaker_id}/claims lists the speaker's claims.",
        examples=["spk_3f6c2a9d1e0b7c4a5f81"],
    )
    name: str = Field(description="Display name, as the most recent article spells it.", examples=["Hazem Qassem"])
    type: SpeakerType = Field(description="The type most of the speaker's claims give it.", examples=["person"])
    article_scoped: bool = Field(
        description="True for an anonymous or unnamed speaker ('Palestinian sources', 'a senior official'): it is "
        "its own article's speaker, never merged with a namesake elsewhere, and is addressed by speaker_id.",
        examples=[False],
    )
    roles: list[str] = Field(
        description="Distinct roles the articles give the speaker, most often seen first (at most 10).",
        examples=[["Hamas spokesman", "spokesman for the movement"]],
    )
    claim_count: int = Field(ge=1, description="Claims attributed to the speaker.", examples=[7])
    article_count: int = Field(ge=1, description="Articles with at least one of its claims.", examples=[3])
    latest_article: ArticleReference | None = Field(
        description="The most recent article quoting the speaker, by publication date. Null only in the rare case "
        "that its other articles could not be read back when its most recent ones were deleted; set again the next "
        "time it is quoted."
    )


class UploadRecord(BaseModel):
    """One object uploaded under incoming/ and what became of it (GET /uploads)."""

    # Its example is the API's (whosaid.api.examples.UPLOAD_PAGE): one example, where the document is built.
    upload_id: str = Field(description="Stable id of the upload (one per S3 notification of a new object version).")
    bucket: str = Field(description="The bucket the object was uploaded to.")
    key: str = Field(description="The object key, under incoming/.")
    etag: str = Field(default="", description="The object's ETag as S3 notified it.")
    version_id: str | None = Field(default=None, description="The object version (the bucket is versioned).")
    size: int = Field(default=0, ge=0, description="Size in bytes, as S3 notified it.")
    status: UploadStatus = Field(
        description="complete: the object is an article with its claims (new, or the same text stored before); "
        "pending: its article is queued for extraction, and the upload follows it to complete or failed; failed: "
        "the object cannot become an article, or its article's extraction failed (see error); gone: the object "
        "was deleted before it could be read."
    )
    article_id: str | None = Field(default=None, description="The article it became (GET /articles/{article_id}).")
    error: ArticleError | None = Field(default=None, description="Why it failed, when status is failed.")
    created_at: str = Field(description="When the upload was processed, ISO 8601 UTC.")
    updated_at: str = Field(description="When its status last changed, ISO 8601 UTC.")


class Page(BaseModel, Generic[T]):
    """One page of a list and the opaque token of the next (None on the last page)."""

    items: list[T]
    next_token: str | None = None
