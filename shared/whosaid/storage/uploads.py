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
            {
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
            },
            "recording the upload",
        )

    def list_uploads(self, *, status: UploadStatus | None, limit: int, next_token: str | None) -> Page[UploadRecord]:
        """Processed uploads, newest first; with `status`, only those whose status (pending ones' through their
        article) is that. A filtered page may be short, even empty, with a next_token (a bounded read per page)."""

        def current(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            # Raw items in and out: the page's token is made from the last one kept.
            records = self._with_article_status([from_item(item) for item in items])
            return [to_item(record) for record in records if status is None or record["status"] == status]

        items, token = self._store.query_recency(
            keys.UPLOADS_PARTITION,
            limit=limit,
            next_token=next_token,
            keep=current,
            query_filter=_status_filter(status),
            scope=f"status={status}" if status else None,
        )
        return Page[UploadRecord](items=[_record(from_item(item)) for item in items], next_token=token)

    def _with_article_status(self, uploads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Pending uploads take their article's current status (and error); a deleted article leaves it pending."""
        waiting = [u["article_id"] for u in uploads if u.get("status") == "pending" and u.get("article_id")]
        states = self._store.article_states(waiting)
        resolved = []
        for upload in uploads:
            state = states.get(upload.get("article_id") or "") if upload.get("status") == "pending" else None
            if state is not None and state.get("status") != "pending":
                upload = {
                    **upload,
                    "status": state["status"],
                    "error": state.get("error"),
                    "updated_at": state.get("updated_at") or upload["updated_at"],
                }
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


def _record(upload: dict[str, Any]) -> UploadRecord:
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
