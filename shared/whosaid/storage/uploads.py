"""UploadStore: what became of each object uploaded under incoming/, in the articles table (GET /uploads).

One item per upload (UPLOAD#<upload id>, keys.upload_id: one per S3 notification of a new object version), written
once by the ingest function when it has processed the object: its origin (bucket, key, etag, version, size), its
status, and the article it became or the error that stopped it. Listed newest first from the by_recency index's
UPLOADS partition: the attributes that index projects for article listings (status, error, article_id, origin,
created_at, updated_at) are the ones an upload has, so it needs no index of its own.

A recorded outcome is final (complete, failed, gone), except `pending`: an upload whose article was queued for
asynchronous extraction. Its status is read through its article at listing time (one BatchGetItem per page, only
for such uploads), so it turns complete or failed when the article does, whoever finishes the article (the queued
extraction, a retry, a later submission of the same text) and with no write coupling extraction to uploads.
"""

from __future__ import annotations

from typing import Any

from whosaid.storage import keys
from whosaid.storage.articles import ArticleStore
from whosaid.storage.items import from_item, to_item
from whosaid.storage.records import ArticleError, Page, UploadRecord, UploadStatus

UPLOAD_STATUSES: tuple[UploadStatus, ...] = ("complete", "pending", "failed", "gone")


class UploadStore:
    """Upload items of the articles table, written and listed through the ArticleStore's client and pagination."""

    def __init__(self, store: ArticleStore) -> None:
        self._store = store

    def prepare(self) -> None:
        """Nothing of its own to make: it writes and lists through the article store's DynamoDB client."""

    def record(
        self,
        *,
        upload_id: str,
        origin: dict[str, Any],
        status: UploadStatus,
        now: str,
        article_id: str | None = None,
        error: ArticleError | None = None,
    ) -> None:
        """Store what became of an upload. Unconditional: the ingest's idempotency runs each upload once, and a
        redelivery after its record expired (4 days) rewrites the same outcome."""
        self._store.put_item(
            upload_attributes(
                upload_id=upload_id, origin=origin, status=status, now=now, article_id=article_id, error=error
            ),
            "recording the upload",
        )

    def list_uploads(self, *, status: UploadStatus | None, limit: int, next_token: str | None) -> Page[UploadRecord]:
        """Processed uploads, newest first; with `status`, only those whose status (pending ones' through their
        article) is that. A filtered page may be short, even empty, with a next_token (a bounded read per page)."""

        def current(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            # Raw items in and out: the page's token is made from the last one kept.
            uploads = [from_item(item) for item in items]
            states = self._store.article_states(waiting_article_ids(uploads))
            return [to_item(upload) for upload in current_uploads(uploads, states, status)]

        items, token = self._store.query_recency(
            keys.UPLOADS_PARTITION,
            limit=limit,
            next_token=next_token,
            keep=current,
            query_filter=_status_filter(status),
            scope=status_scope(status),
        )
        return Page[UploadRecord](items=[upload_record(from_item(item)) for item in items], next_token=token)


def upload_attributes(
    *,
    upload_id: str,
    origin: dict[str, Any],
    status: UploadStatus,
    now: str,
    article_id: str | None,
    error: ArticleError | None,
) -> dict[str, Any]:
    """The attributes of an upload's item."""
    return {
        "pk": keys.upload_pk(upload_id),
        "sk": keys.UPLOAD_SK,
        "entity": "upload",
        "status": status,
        "article_id": article_id,
        "error": error.model_dump() if error else None,
        "origin": origin,
        "created_at": now,
        "updated_at": now,
        "gsi2pk": keys.UPLOADS_PARTITION,
        "gsi2sk": keys.recency_sort_key(now, upload_id),
    }


def status_scope(status: UploadStatus | None) -> str | None:
    """What a next_token of a listing filtered by `status` is bound to (pagination.TokenCodec's scope)."""
    return f"status={status}" if status else None


def waiting_article_ids(uploads: list[dict[str, Any]]) -> list[str]:
    """The articles whose status the pending ones of `uploads` (plain attributes) follow."""
    return [u["article_id"] for u in uploads if u.get("status") == "pending" and u.get("article_id")]


def current_uploads(
    uploads: list[dict[str, Any]], article_states: dict[str, dict[str, Any]], status: UploadStatus | None
) -> list[dict[str, Any]]:
    """`uploads` (plain attributes) as they are now, those of `status` only (all: None): a pending one takes its
    article's current status, error and updated_at from `article_states` (by article id); a deleted article leaves
    it pending."""
    resolved = []
    for upload in uploads:
        state = article_states.get(upload.get("article_id") or "") if upload.get("status") == "pending" else None
        if state is not None and state.get("status") != "pending":
            upload = {
                **upload,
                "status": state["status"],
                "error": state.get("error"),
                "updated_at": state.get("updated_at") or upload["updated_at"],
            }
        if status is None or upload["status"] == status:
            resolved.append(upload)
    return resolved


def _status_filter(status: UploadStatus | None) -> tuple[str, dict[str, str], dict[str, Any]] | None:
    """The FilterExpression for `status` on the stored status: a stored pending upload may have become complete or
    failed through its article, so it is read too and decided after the join."""
    if status is None:
        return None
    if status in ("complete", "failed"):
        return "#status IN (:status, :pending)", {"#status": "status"}, {":status": status, ":pending": "pending"}
    return "#status = :status", {"#status": "status"}, {":status": status}


def upload_record(upload: dict[str, Any]) -> UploadRecord:
    """The record of an upload item's plain attributes."""
    origin = upload.get("origin") or {}
    return UploadRecord.model_validate(
        {
            "upload_id": str(upload["pk"]).removeprefix(keys.UPLOAD_PREFIX),
            "bucket": origin.get("bucket", ""),
            "key": origin.get("key", ""),
            "etag": origin.get("etag") or "",
            "version_id": origin.get("version_id"),
            "size": origin.get("size") or 0,
            "status": upload["status"],
            "article_id": upload.get("article_id"),
            "error": upload.get("error"),
            "created_at": upload["created_at"],
            "updated_at": upload["updated_at"],
        }
    )


__all__ = ["UPLOAD_STATUSES", "UploadStore"]
