"""What an IngestQueue message says: S3 upload notifications, S3's test event, or an async extraction request.

The queue carries two kinds of JSON bodies: S3 event notifications (S3's own shape, possibly several Records, and
`{"Event": "s3:TestEvent", ...}` when the notification is first configured) and the service's
`{"type": "extract_article", "article_id": "..."}`. Anything else is malformed and fails its record.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from whosaid.article_input import validation_message
from whosaid.errors import InvalidInputError
from whosaid.storage.queue import EXTRACT_ARTICLE, ExtractArticleMessage  # the service sends what it defines

INCOMING_PREFIX = "incoming/"


class S3ObjectRef(BaseModel):
    """One uploaded object as a notification names it: what is ingested, and the idempotency key's data."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str = Field(description="The object key, URL-decoded (notifications carry it URL-encoded).")
    etag: str = ""
    size: int = 0
    version_id: str | None = None
    # Orders events for one key; together with the etag it tells a redelivery from a new upload of the same key.
    sequencer: str = ""
    event_name: str = ""

    def origin(self) -> dict[str, Any]:
        """The record of where an article came from, stored on the article item."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "etag": self.etag,
            "size": self.size,
            "version_id": self.version_id,
        }


class S3TestEvent(BaseModel):
    """S3's `s3:TestEvent`, sent once when a bucket notification is configured: nothing to do."""


IngestMessage = list[S3ObjectRef] | ExtractArticleMessage | S3TestEvent


def parse_message(body: str) -> IngestMessage:
    """Classify and parse one SQS message body; InvalidInputError when it is none of the known kinds."""
    try:
        payload = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("queue message is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidInputError("queue message is not a JSON object")
    if payload.get("Event") == "s3:TestEvent":
        return S3TestEvent()
    if payload.get("type") == EXTRACT_ARTICLE:
        try:
            return ExtractArticleMessage.model_validate(payload)
        except ValidationError as exc:
            raise InvalidInputError(f"malformed {EXTRACT_ARTICLE} message: {validation_message(exc.errors())}") from exc
    if isinstance(payload.get("Records"), list):
        return s3_objects(payload)
    raise InvalidInputError("queue message is neither an S3 notification nor an extract_article request")


def s3_objects(notification: dict[str, Any]) -> list[S3ObjectRef]:
    """The created objects under incoming/ that an S3 notification names (other events and keys are not ours)."""
    objects = []
    try:
        for record in S3Event(notification).records:
            if not record.event_name.startswith("ObjectCreated:"):
                continue
            s3_object = record.s3.get_object
            key = unquote_plus(s3_object.key)
            if not key.startswith(INCOMING_PREFIX):
                continue
            objects.append(
                S3ObjectRef(
                    bucket=record.s3.bucket.name,
                    key=key,
                    etag=s3_object.etag,
                    size=int(s3_object.get("size") or 0),
                    version_id=s3_object.version_id,
                    sequencer=s3_object.get("sequencer") or "",
                    event_name=record.event_name,
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"malformed S3 notification: missing or invalid {exc}") from exc
    return objects


__all__ = [
    "EXTRACT_ARTICLE",
    "INCOMING_PREFIX",
    "ExtractArticleMessage",
    "IngestMessage",
    "S3ObjectRef",
    "S3TestEvent",
    "parse_message",
    "s3_objects",
]
