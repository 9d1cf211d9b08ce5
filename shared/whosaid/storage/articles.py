"""ArticleStore: articles and their claims in one DynamoDB table, large article bodies in S3.

Write discipline (a reader never sees a partial article):
- an article is first stored `pending` with a conditional put (attribute_not_exists): the put is the lock that
  makes concurrent submissions of the same text extract it once;
- its claims and the flip pending -> complete (with the summary) go in one TransactWriteItems when they fit
  (up to 99 claims); larger results batch-write the claims first, then flip, so "complete" always has all claims;
- a failed extraction deletes whatever claims were written and flips pending -> failed with the reason.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

from whosaid.errors import ConfigurationError, StorageError
from whosaid.models import Article, ExtractionResult
from whosaid.observability import logger
from whosaid.storage import keys
from whosaid.storage.aws import aws_client, error_code, translate_aws_errors
from whosaid.storage.items import (
    article_from_item,
    claim_attributes,
    claim_from_item,
    key_of,
    to_item,
    to_values,
)
from whosaid.storage.pagination import TokenCodec
from whosaid.storage.records import ArticleError, ArticleRecord, ClaimRecord, Page

# DynamoDB items are at most 400 KB; the body stays inline below this many UTF-8 bytes, leaving room for metadata
# and the speaker summary, and goes to S3 above it.
INLINE_BODY_MAX_BYTES = 300_000
TRANSACTION_MAX_ITEMS = 100  # TransactWriteItems limit: up to 99 claims plus the article flip
BATCH_MAX_ITEMS = 25  # BatchWriteItem limit
BATCH_MAX_ATTEMPTS = 8


class ArticleStateConflict(Exception):
    """A conditional write lost: the article is not in the state the caller expected (someone else moved it)."""


def _article_key(article_id: str) -> dict[str, Any]:
    """The DynamoDB key of an article's own item (its claims share the partition)."""
    return to_item({"pk": keys.article_pk(article_id), "sk": keys.META_SK})


class ArticleStore:
    def __init__(
        self,
        *,
        table_name: str,
        bucket_name: str,
        token_codec: TokenCodec,
        dynamodb: Any | None = None,
        s3: Any | None = None,
        inline_body_max_bytes: int = INLINE_BODY_MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self.bucket_name = bucket_name
        self.tokens = token_codec
        self._dynamodb = dynamodb or aws_client("dynamodb")
        self._s3 = s3
        self.inline_body_max_bytes = inline_body_max_bytes
        self._sleep = sleep

    @property
    def s3(self) -> Any:
        if self._s3 is None:  # created on first use: most requests never touch S3
            self._s3 = aws_client("s3")
        return self._s3

    # --- articles ---------------------------------------------------------------------------------------------

    def _article_item(self, article_id: str) -> dict[str, Any] | None:
        """The article's raw item (strongly consistent: callers act on its status), or None."""
        with translate_aws_errors("reading the article"):
            return self._dynamodb.get_item(
                TableName=self.table_name,
                Key=_article_key(article_id),
                ConsistentRead=True,
            ).get("Item")

    def get_article(self, article_id: str, *, with_text: bool = False) -> ArticleRecord | None:
        item = self._article_item(article_id)
        if item is None:
            return None
        return article_from_item(item, text=self._body_of(item) if with_text else None)

    def get_text(self, article_id: str) -> str:
        """The article's text as submitted (from the item or from S3)."""
        item = self._article_item(article_id)
        if item is None:
            raise StorageError(f"article {article_id} disappeared while being processed")
        text = self._body_of(item)
        if text is None:
            raise StorageError(f"the body of article {article_id} is missing from storage")
        return text

    def _body_of(self, item: dict[str, Any]) -> str | None:
        if "text" in item:
            return str(item["text"]["S"])
        if "body_key" not in item:
            return None
        with translate_aws_errors("reading the article body from S3"):
            try:
                response = self.s3.get_object(Bucket=self.bucket_name, Key=item["body_key"]["S"])
            except Exception as exc:
                if error_code(exc) in ("NoSuchKey", "404"):
                    return None
                raise
            return response["Body"].read().decode("utf-8")

    def create_pending(
        self,
        article: Article,
        article_id: str,
        *,
        now: str,
        lease_seconds: int,
        origin: dict[str, Any] | None = None,
    ) -> bool:
        """Store a new article as pending (with its body) unless it exists. True if this call created it."""
        body = article.text.encode("utf-8")
        attributes: dict[str, Any] = {
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
            "lease_until": int(time.time()) + lease_seconds,
            "gsi2pk": keys.ARTICLES_PARTITION,
            "gsi2sk": keys.recency_sort_key(now, article_id),
        }
        if len(body) <= self.inline_body_max_bytes:
            attributes["text"] = article.text
        else:
            # Body first: the item must never point at a body that is not there. The key is content-addressed,
            # so a racing writer of the same article writes the same bytes.
            attributes["body_key"] = keys.body_key(article_id)
            self._put_body(attributes["body_key"], body)
        with translate_aws_errors("storing the article"):
            try:
                self._dynamodb.put_item(
                    TableName=self.table_name,
                    Item=to_item(attributes),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def _put_body(self, key: str, body: bytes) -> None:
        if not self.bucket_name:
            raise ConfigurationError("WHOSAID_BUCKET_NAME is not set, so an article this large cannot be stored")
        with translate_aws_errors("storing the article body in S3"):
            self.s3.put_object(Bucket=self.bucket_name, Key=key, Body=body, ContentType="text/plain; charset=utf-8")

    def acquire(self, article_id: str, *, now: str, lease_seconds: int, take_live_lease: bool = False) -> bool:
        """Take over an article for (re-)extraction: a failed one, or a pending one whose worker's lease expired.

        `take_live_lease` also takes a pending article whose lease is live (the queue worker of an async article,
        which owns it by the message). True if this call now holds the article.
        """
        condition = "#status = :failed OR (#status = :pending AND lease_until < :epoch)"
        if take_live_lease:
            condition = "#status IN (:failed, :pending)"
        epoch = int(time.time())
        with translate_aws_errors("updating the article status"):
            try:
                self._dynamodb.update_item(
                    TableName=self.table_name,
                    Key=_article_key(article_id),
                    UpdateExpression="SET #status = :pending, updated_at = :now, lease_until = :lease REMOVE #error",
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#status": "status", "#error": "error"},
                    ExpressionAttributeValues=to_values(
                        {
                            ":pending": "pending",
                            ":failed": "failed",
                            ":now": now,
                            ":lease": epoch + lease_seconds,
                            **({} if take_live_lease else {":epoch": epoch}),
                        }
                    ),
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def complete(self, article: ArticleRecord, result: ExtractionResult, *, now: str) -> None:
        """Store the claims and flip the article pending -> complete with its summary, never half-visible."""
        if len(result.claims) > keys.MAX_CLAIM_INDEX:
            raise StorageError(f"too many claims to store ({len(result.claims)})")
        claim_items = [to_item(claim_attributes(article, i, c)) for i, c in enumerate(result.claims)]
        flip = {
            "TableName": self.table_name,
            "Key": _article_key(article.article_id),
            "UpdateExpression": "SET #status = :complete, claim_count = :count, speakers = :speakers, "
            "#usage = :usage, updated_at = :now, completed_at = :now REMOVE lease_until, #error",
            "ConditionExpression": "#status = :pending",
            "ExpressionAttributeNames": {"#status": "status", "#usage": "usage", "#error": "error"},
            "ExpressionAttributeValues": to_values(
                {
                    ":complete": "complete",
                    ":pending": "pending",
                    ":count": len(result.claims),
                    ":speakers": [s.model_dump(mode="json") for s in result.speakers],
                    ":usage": result.usage.model_dump(mode="json"),
                    ":now": now,
                }
            ),
        }
        if len(claim_items) < TRANSACTION_MAX_ITEMS:
            actions = [{"Put": {"TableName": self.table_name, "Item": item}} for item in claim_items]
            self._transact([*actions, {"Update": flip}], "storing the claims")
            return
        # Too many for one transaction: claims first (invisible to readers of the article until the flip).
        self._batch_write([{"PutRequest": {"Item": item}} for item in claim_items], "storing the claims")
        with translate_aws_errors("completing the article"):
            try:
                self._dynamodb.update_item(**flip)
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    raise ArticleStateConflict(article.article_id) from exc
                raise

    def fail(self, article_id: str, error: ArticleError, *, now: str) -> None:
        """Remove any claims written for the article and flip it pending -> failed with the reason."""
        self.delete_claims(article_id)
        with translate_aws_errors("marking the article failed"):
            try:
                self._dynamodb.update_item(
                    TableName=self.table_name,
                    Key=_article_key(article_id),
                    UpdateExpression="SET #status = :failed, #error = :error, updated_at = :now REMOVE lease_until",
                    ConditionExpression="#status = :pending",
                    ExpressionAttributeNames={"#status": "status", "#error": "error"},
                    ExpressionAttributeValues=to_values(
                        {":failed": "failed", ":pending": "pending", ":error": error.model_dump(), ":now": now}
                    ),
                )
            except Exception as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                # Someone else completed or failed it meanwhile: their outcome stands.

    def delete_article(self, article_id: str) -> bool:
        """Delete the article, its claims and its body. False if there was no such article."""
        item = self._article_item(article_id)
        if item is None:
            return False
        # The body goes first: deleting is idempotent, so if a later step fails, DELETE again finishes the job.
        if "body_key" in item:
            with translate_aws_errors("deleting the article body from S3"):
                self.s3.delete_object(Bucket=self.bucket_name, Key=item["body_key"]["S"])
        claim_keys = list(self._claim_keys(article_id))
        article_key = _article_key(article_id)
        if len(claim_keys) < TRANSACTION_MAX_ITEMS:
            actions = [{"Delete": {"TableName": self.table_name, "Key": key}} for key in claim_keys]
            self._transact([*actions, {"Delete": {"TableName": self.table_name, "Key": article_key}}], "deleting")
        else:
            self._batch_write([{"DeleteRequest": {"Key": key}} for key in claim_keys], "deleting the claims")
            with translate_aws_errors("deleting the article"):
                self._dynamodb.delete_item(TableName=self.table_name, Key=article_key)
        return True

    def all_claims(self, article_id: str) -> list[ClaimRecord]:
        """Every claim of an article in text order (the POST response carries them all)."""
        paginator = self._dynamodb.get_paginator("query")
        claims: list[ClaimRecord] = []
        with translate_aws_errors("reading the claims"):
            for page in paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :claim)",
                ExpressionAttributeValues=to_values({":pk": keys.article_pk(article_id), ":claim": keys.CLAIM_PREFIX}),
                ConsistentRead=True,
            ):
                claims.extend(claim_from_item(item) for item in page.get("Items", []))
        return claims

    def delete_claims(self, article_id: str) -> int:
        claim_keys = list(self._claim_keys(article_id))
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in claim_keys], "deleting the claims")
        return len(claim_keys)

    def _claim_keys(self, article_id: str) -> Iterable[dict[str, Any]]:
        paginator = self._dynamodb.get_paginator("query")
        with translate_aws_errors("listing the claims"):
            for page in paginator.paginate(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :claim)",
                ExpressionAttributeValues=to_values({":pk": keys.article_pk(article_id), ":claim": keys.CLAIM_PREFIX}),
                ProjectionExpression="pk, sk",
                ConsistentRead=True,
            ):
                yield from page.get("Items", [])

    # --- lists ------------------------------------------------------------------------------------------------

    def list_articles(self, *, limit: int, next_token: str | None) -> Page[ArticleRecord]:
        items, token = self._query_page(
            partition=keys.ARTICLES_PARTITION,
            partition_attribute="gsi2pk",
            key_attributes=("gsi2pk", "gsi2sk", "pk", "sk"),
            index=keys.RECENCY_INDEX,
            limit=limit,
            next_token=next_token,
            newest_first=True,
        )
        return Page[ArticleRecord](items=[article_from_item(item) for item in items], next_token=token)

    def list_claims(self, article_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        items, token = self._query_page(
            partition=keys.article_pk(article_id),
            partition_attribute="pk",
            key_attributes=("pk", "sk"),
            index=None,
            limit=limit,
            next_token=next_token,
            newest_first=False,
            sort_prefix=keys.CLAIM_PREFIX,
        )
        return Page[ClaimRecord](items=[claim_from_item(item) for item in items], next_token=token)

    def speaker_claims(self, speaker: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        items, token = self._query_page(
            partition=keys.speaker_pk(speaker),
            partition_attribute="gsi1pk",
            key_attributes=("gsi1pk", "gsi1sk", "pk", "sk"),
            index=keys.SPEAKER_INDEX,
            limit=limit,
            next_token=next_token,
            newest_first=True,
        )
        return Page[ClaimRecord](items=[claim_from_item(item) for item in items], next_token=token)

    def _query_page(
        self,
        *,
        partition: str,
        partition_attribute: str,
        key_attributes: tuple[str, ...],
        index: str | None,
        limit: int,
        next_token: str | None,
        newest_first: bool,
        sort_prefix: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        start_key = self.tokens.decode(next_token, partition, partition_attribute)
        condition = f"{partition_attribute} = :partition"
        values: dict[str, Any] = {":partition": partition}
        if sort_prefix:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = sort_prefix
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_values(values),
            "ScanIndexForward": not newest_first,
            # One more than asked: if it exists there is a next page, and the last page's token is exactly None.
            "Limit": limit + 1,
        }
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True  # the base table can: a just-completed article shows all its claims
        if start_key:
            request["ExclusiveStartKey"] = to_item(start_key)
        with translate_aws_errors("listing"):
            response = self._dynamodb.query(**request)
        items = response.get("Items", [])
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, self.tokens.encode(partition, key_of(items[-1], key_attributes))

    # --- write helpers ----------------------------------------------------------------------------------------

    def _transact(self, actions: list[dict[str, Any]], operation: str) -> None:
        with translate_aws_errors(operation):
            try:
                self._dynamodb.transact_write_items(TransactItems=actions)
            except Exception as exc:
                if error_code(exc) == "TransactionCanceledException":
                    reasons = exc.response.get("CancellationReasons") or []  # type: ignore[attr-defined]
                    if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                        raise ArticleStateConflict(operation) from exc
                raise

    def _batch_write(self, requests: list[dict[str, Any]], operation: str) -> None:
        """BatchWriteItem in chunks of 25, retrying UnprocessedItems with exponential backoff and jitter."""
        for start in range(0, len(requests), BATCH_MAX_ITEMS):
            pending = {self.table_name: requests[start : start + BATCH_MAX_ITEMS]}
            for attempt in range(BATCH_MAX_ATTEMPTS):
                with translate_aws_errors(operation):
                    response = self._dynamodb.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                delay = min(2.0, 0.05 * 2**attempt) * (0.5 + random.random() / 2)
                logger.info(
                    "retrying unprocessed batch items",
                    extra={"operation": operation, "unprocessed": len(pending.get(self.table_name, []))},
                )
                self._sleep(delay)
            else:
                raise StorageError(f"storage is unavailable: {operation} failed (throttled); try again later")
