"""What the service layer needs of storage, as protocols: the article store, the upload store and the work queue.

`whosaid.service.articles.ArticleService` is typed against these, not against the DynamoDB, S3 and SQS classes, so
a test that is not about storage can run the service on an in-memory store (tests/support/memory_store.py), which
tests/service/test_store_contract.py holds to the same observable behaviour as the real one. The real classes
(`ArticleStore`, `UploadStore`, `WorkQueue`) satisfy them; the assignments at the end make mypy prove it.

Each protocol has `prepare()`: whatever the implementation makes on first use (an AWS client) is made now, so a
SnapStart snapshot carries it; the in-memory ones have nothing to make.
"""

from __future__ import annotations

from typing import Any, Protocol

from whosaid.models import Article, ExtractionResult, Usage
from whosaid.storage.articles import ArticleStore, Held
from whosaid.storage.queue import WorkQueue
from whosaid.storage.records import (
    ArticleError,
    ArticleRecord,
    ClaimRecord,
    Page,
    SpeakerEntry,
    UploadRecord,
    UploadStatus,
)
from whosaid.storage.uploads import UploadStore


class ArticleStorage(Protocol):
    """Articles, their claims and the speaker directory, under the lease state machine of storage/article_states.py
    (the docstrings of `ArticleStore`'s methods say what each returns and raises)."""

    def prepare(self) -> None: ...

    def create(
        self,
        article: Article,
        article_id: str,
        *,
        now: str,
        lease_seconds: int,
        origin: dict[str, Any] | None = None,
        queued: bool = False,
    ) -> Held | ArticleRecord: ...

    def take(
        self,
        article_id: str,
        *,
        now: str,
        lease_seconds: int,
        from_queue: bool = False,
        queued: bool = False,
        with_text: bool = False,
    ) -> Held | ArticleRecord | None: ...

    def complete(
        self, article: ArticleRecord, result: ExtractionResult, *, now: str, lease_id: str
    ) -> tuple[ArticleRecord, list[ClaimRecord]]: ...

    def fail(
        self, article_id: str, error: ArticleError, *, now: str, lease_id: str, usage: Usage | None = None
    ) -> bool: ...

    def finish_directory(self, article_id: str) -> None: ...

    def delete_article(self, article_id: str) -> bool: ...

    def get_article(self, article_id: str, *, with_text: bool = False) -> ArticleRecord | None: ...

    def all_claims(self, article_id: str) -> list[ClaimRecord]: ...

    def list_articles(self, *, limit: int, next_token: str | None) -> Page[ArticleRecord]: ...

    def list_claims(self, article_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]: ...

    def speaker_claims(self, speaker: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]: ...

    def speaker_claims_by_id(self, speaker_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]: ...

    def list_speakers(
        self, *, words: list[str], speaker_type: str | None, limit: int, next_token: str | None
    ) -> Page[SpeakerEntry]: ...


class UploadStorage(Protocol):
    """What became of each uploaded object (GET /uploads); a pending upload follows its article's status."""

    def prepare(self) -> None: ...

    def record(
        self,
        *,
        upload_id: str,
        origin: dict[str, Any],
        status: UploadStatus,
        now: str,
        article_id: str | None = None,
        error: ArticleError | None = None,
    ) -> None: ...

    def list_uploads(
        self, *, status: UploadStatus | None, limit: int, next_token: str | None
    ) -> Page[UploadRecord]: ...


class ExtractionQueue(Protocol):
    """Where an article stored pending for asynchronous extraction is sent to its worker."""

    def prepare(self) -> None: ...

    def request_extraction(self, article_id: str) -> None: ...


# mypy checks the real classes against the protocols here (a missing method or a changed signature fails it).
_article_store: type[ArticleStorage] = ArticleStore
_upload_store: type[UploadStorage] = UploadStore
_work_queue: type[ExtractionQueue] = WorkQueue

__all__ = ["ArticleStorage", "ExtractionQueue", "UploadStorage"]
