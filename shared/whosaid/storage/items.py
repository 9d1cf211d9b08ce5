"""Conversion between records and DynamoDB items (low-level attribute-value format)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from whosaid.models import Article, Claim, ExtractionResult
from whosaid.storage import keys
from whosaid.storage.records import ArticleRecord, ClaimRecord

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Article item attributes that are bookkeeping, not part of the record returned to callers.
_ARTICLE_INTERNAL = {
    "pk",
    "sk",
    "entity",
    "gsi2pk",
    "gsi2sk",
    "lease_until",
    "lease_id",
    "queued",
    "body_key",
    "text",
    "dir_total",
    "dir_done",
}


def _dynamo_safe(value: Any) -> Any:
    # DynamoDB numbers must be Decimal, never float; a JSON round trip converts nested floats in one go.
    return json.loads(json.dumps(value), parse_float=Decimal)


def _plain(value: Any) -> Any:
    """Decimals back to int/float, recursively (pydantic and json want plain numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def to_item(attributes: dict[str, Any]) -> dict[str, Any]:
    """A plain dict as a DynamoDB item; None values are left out (absent, not NULL)."""
    return {k: _serializer.serialize(_dynamo_safe(v)) for k, v in attributes.items() if v is not None}


def to_values(attributes: dict[str, Any]) -> dict[str, Any]:
    """Expression attribute values (":name": value) in DynamoDB format."""
    return {k: _serializer.serialize(_dynamo_safe(v)) for k, v in attributes.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def article_from_item(item: dict[str, Any], *, text: str | None = None) -> ArticleRecord:
    return article_record(from_item(item), text=text)


def article_record(attributes: dict[str, Any], *, text: str | None = None) -> ArticleRecord:
    """The record of an article item decoded by from_item (its bookkeeping left out)."""
    record = ArticleRecord.model_validate(
        {**{k: v for k, v in attributes.items() if k not in _ARTICLE_INTERNAL}, "text": text}
    )
    record._directory_pending = record.status == "complete" and attributes.get("dir_done", 0) < attributes.get(
        "dir_total", 0
    )
    return record


def pending_article_attributes(
    article: Article,
    article_id: str,
    *,
    now: str,
    lease_id: str,
    lease_until: int,
    origin: dict[str, Any] | None,
    queued: bool,
) -> dict[str, Any]:
    """The attributes of a new article item, pending under a lease (its body, inline or in S3, is the store's)."""
    return {
        "pk": keys.article_pk(article_id),
        "sk": keys.META_SK,
        "entity": "article",
        "article_id": article_id,
        "status": "pending",
        "title": article.title,
        "url": str(article.url) if article.url else None,
        "source": article.source,
        "published_at": keys.utc_timestamp(article.published_at) if article.published_at else None,
        "language": article.language,
        "text_chars": len(article.text),
        "claim_count": 0,
        "origin": origin,
        "created_at": now,
        "updated_at": now,
        "lease_id": lease_id,
        "lease_until": lease_until,
        "queued": True if queued else None,
        "gsi2pk": keys.ARTICLES_PARTITION,
        "gsi2sk": keys.recency_sort_key(now, article_id),
    }


def completed_records(
    article: ArticleRecord, result: ExtractionResult, now: str, claim_items: list[dict[str, Any]]
) -> tuple[ArticleRecord, list[ClaimRecord]]:
    """The article (`article`, the record its lease was taken with) and claims (`claim_items`, as stored) as a read
    after the completing write returns them (values round-tripped through the item format, so numbers come back as
    a read decodes them)."""
    summary = from_item(
        to_item(
            {
                "claim_count": len(result.claims),
                "speakers": [s.model_dump(mode="json") for s in result.speakers],
                "usage": result.usage.model_dump(mode="json"),
            }
        )
    )
    record = ArticleRecord.model_validate(
        {
            **article.model_dump(),
            **summary,
            "status": "complete",
            "error": None,
            "updated_at": now,
            "completed_at": now,
        }
    )
    return record, [claim_from_item(item) for item in claim_items]


def article_date(article: ArticleRecord) -> str:
    """The date an article's claims are ordered by: its publication date, or when it was submitted."""
    return article.published_at or article.created_at


def claim_attributes(article: ArticleRecord, index: int, claim: Claim) -> dict[str, Any]:
    date = article_date(article)
    return {
        "pk": keys.article_pk(article.article_id),
        "sk": keys.claim_sk(index),
        "entity": "claim",
        "article_id": article.article_id,
        "index": index,
        "claim": claim.model_dump(mode="json"),
        "article_title": article.title,
        "article_date": date,
        "speaker_key": keys.speaker_key(claim.speaker.name),
        "gsi1pk": keys.claims_partition(article.article_id, claim.speaker),
        "gsi1sk": keys.speaker_sort_key(date, article.article_id, index),
    }


def claim_from_item(item: dict[str, Any]) -> ClaimRecord:
    attributes = from_item(item)
    return ClaimRecord.model_validate(
        {
            **attributes["claim"],
            "article_id": attributes["article_id"],
            # From where the claim is indexed, so the id always leads to the list the claim is in.
            "speaker_id": keys.speaker_id(attributes["gsi1pk"]),
            "index": attributes["index"],
            "article_title": attributes.get("article_title"),
            "article_date": attributes["article_date"],
        }
    )


def key_of(item: dict[str, Any], attributes: tuple[str, ...]) -> dict[str, str]:
    """The LastEvaluatedKey-shaped key of an item (plain strings) for the given key attributes."""
    return {name: item[name]["S"] for name in attributes}
