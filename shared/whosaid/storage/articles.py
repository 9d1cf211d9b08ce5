"""ArticleStore: articles and their claims in one DynamoDB table, large article bodies in S3.

Write discipline (a reader never sees a partial article):
- an article is first stored `pending` with a conditional put (attribute_not_exists): the put is the lock that
  makes concurrent submissions of the same text extract it once. Whoever holds it holds a *lease*: a random
  `lease_id` and an expiry (`lease_until`) longer than any function may run, so a live worker is never taken over;
  an article waiting in the queue is marked `queued` so that its queue worker (and only it) may take it at once;
- every write that ends an attempt (complete, fail) is conditional on the article still being pending under the
  caller's lease: a worker that lost its article (deleted, or taken over after its lease lapsed) writes nothing;
- claims and the flip pending -> complete (with the summary) go in one TransactWriteItems when they fit (up to 99
  claims). Larger results batch-write the claims first, marked `staged`, then flip: the speaker index hides a
  staged claim unless its article is complete (one BatchGetItem per page, only for such claims), so claims of an
  article that is still pending, failed, or deleted are never listed. A worker whose flip loses removes its claims;
- a failed attempt flips pending -> failed with the reason (and the usage of the attempt) first, then removes any
  claims it wrote: the flip decides the outcome, so an ambiguous completion (committed, but reported as an error)
  is never undone;
- completing first removes claims a previous attempt left behind (its cleanup failed), so a complete article has
  exactly its own claims;
- an article pending under a live lease cannot be deleted (ArticleBusy): deleting one under extraction would race
  the worker's claim writes. Deleting removes the article item first (conditionally), then its claims and body; a
  DELETE that failed half-way is finished by the next one.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Literal

from whosaid.errors import ConfigurationError, StorageError
from whosaid.models import Article, ExtractionResult, Usage
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
BATCH_GET_MAX_KEYS = 100  # BatchGetItem limit
BATCH_MAX_ATTEMPTS = 8


class ArticleStateConflict(Exception):
    """A conditional write lost: the article is not in the state the caller expected (someone else moved it)."""


class ArticleBusy(Exception):
    """The article is pending under a live lease (being extracted, or queued for it): it cannot be deleted now."""


def new_lease_id() -> str:
    return uuid.uuid4().hex


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
        queued: bool = False,
    ) -> str | None:
        """Store a new article as pending (with its body) unless it exists. The lease id if this call created it.

        `queued`: the article waits for the queue worker, which may take it over before the lease lapses.
        """
        body = article.text.encode("utf-8")
        lease_id = new_lease_id()
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
            "lease_id": lease_id,
            "lease_until": int(time.time()) + lease_seconds,
            "queued": True if queued else None,
            "gsi2pk": keys.ARTICLES_PARTITION,
            "gsi2sk": keys.recency_sort_key(now, article_id),
        }
        body_version: str | None = None
        if len(body) <= self.inline_body_max_bytes:
            attributes["text"] = article.text
        else:
            # Body first: the item must never point at a body that is not there. The key is content-addressed,
            # so a racing writer of the same article writes the same bytes.
            attributes["body_key"] = keys.body_key(article_id)
            body_version = self._put_body(attributes["body_key"], body)
        with translate_aws_errors("storing the article"):
            try:
                self._dynamodb.put_item(
                    TableName=self.table_name,
                    Item=to_item(attributes),
                    ConditionExpression="attribute_not_exists(pk)",
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return None
                if "body_key" in attributes:
                    self._discard_body_version(attributes["body_key"], body_version)
                raise
        return lease_id

    def _put_body(self, key: str, body: bytes) -> str | None:
        """Store a body; its S3 version id (the bucket is versioned) or None."""
        if not self.bucket_name:
            raise ConfigurationError("WHOSAID_BUCKET_NAME is not set, so an article this large cannot be stored")
        with translate_aws_errors("storing the article body in S3"):
            response = self.s3.put_object(
                Bucket=self.bucket_name, Key=key, Body=body, ContentType="text/plain; charset=utf-8"
            )
        return response.get("VersionId")

    def _discard_body_version(self, key: str, version: str | None) -> None:
        """Best effort: remove the body version this call wrote when its item could not be stored.

        Only that version: a concurrent writer of the same text keeps its own (the bucket is versioned). Without a
        version id nothing is removed: the key may be another writer's, and a retry overwrites it anyway.
        """
        if not version:
            return
        try:
            self.s3.delete_object(Bucket=self.bucket_name, Key=key, VersionId=version)
        except Exception:
            logger.warning("could not remove the body of an article that was not stored", extra={"body_key": key})

    def acquire(
        self, article_id: str, *, now: str, lease_seconds: int, from_queue: bool = False, queued: bool = False
    ) -> str | None:
        """Take over an article for (re-)extraction: a failed one, or a pending one whose worker's lease expired.

        `from_queue` (the queue worker) also takes a pending article that is `queued`, lease live or not; never one
        a live worker holds. `queued` marks the article as waiting for the queue. The new lease id, or None.
        """
        takeover = "lease_until < :epoch OR attribute_exists(queued)" if from_queue else "lease_until < :epoch"
        condition = f"#status = :failed OR (#status = :pending AND ({takeover}))"
        lease_id = new_lease_id()
        epoch = int(time.time())
        update = "SET #status = :pending, updated_at = :now, lease_id = :lease_id, lease_until = :lease"
        update += ", queued = :true REMOVE #error, #usage" if queued else " REMOVE #error, #usage, queued"
        values: dict[str, Any] = {
            ":pending": "pending",
            ":failed": "failed",
            ":now": now,
            ":lease_id": lease_id,
            ":lease": epoch + lease_seconds,
            ":epoch": epoch,
        }
        if queued:
            values[":true"] = True
        with translate_aws_errors("updating the article status"):
            try:
                self._dynamodb.update_item(
                    TableName=self.table_name,
                    Key=_article_key(article_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#status": "status", "#error": "error", "#usage": "usage"},
                    ExpressionAttributeValues=to_values(values),
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return None
                raise
        return lease_id

    def complete(self, article: ArticleRecord, result: ExtractionResult, *, now: str, lease_id: str) -> None:
        """Store the claims and flip the article pending -> complete with its summary, never half-visible.

        Raises ArticleStateConflict, having written nothing that stays, if the article is no longer pending under
        `lease_id` (deleted, or taken over).
        """
        if len(result.claims) > keys.MAX_CLAIM_INDEX:
            raise StorageError(f"too many claims to store ({len(result.claims)})")
        article_id = article.article_id
        staged = len(result.claims) >= TRANSACTION_MAX_ITEMS
        leftovers = list(self._claim_keys(article_id))
        if leftovers or staged:
            # Unconditional writes (removing claims a previous attempt left behind, which would outlive this
            # result's last index; batch-writing claims) only while this lease holds the pending article. If it
            # already completed it (a retried call), that completion stands.
            state = self._lease_state(article_id, lease_id)
            if state == "completed":
                return
            if state != "holding":
                raise ArticleStateConflict(article_id)
            self._batch_write([{"DeleteRequest": {"Key": key}} for key in leftovers], "removing stale claims")
        claim_items = [
            to_item({**claim_attributes(article, i, c), "staged": True if staged else None})
            for i, c in enumerate(result.claims)
        ]
        flip = {
            "TableName": self.table_name,
            "Key": _article_key(article_id),
            # lease_id stays: it tells an ambiguous failure of this very write (committed, reported as an error and
            # retried) from a real conflict.
            "UpdateExpression": "SET #status = :complete, claim_count = :count, speakers = :speakers, "
            "#usage = :usage, updated_at = :now, completed_at = :now REMOVE lease_until, #error, queued",
            "ConditionExpression": "#status = :pending AND lease_id = :lease_id",
            "ExpressionAttributeNames": {"#status": "status", "#usage": "usage", "#error": "error"},
            "ExpressionAttributeValues": to_values(
                {
                    ":complete": "complete",
                    ":pending": "pending",
                    ":lease_id": lease_id,
                    ":count": len(result.claims),
                    ":speakers": [s.model_dump(mode="json") for s in result.speakers],
                    ":usage": result.usage.model_dump(mode="json"),
                    ":now": now,
                }
            ),
        }
        try:
            if not staged:
                actions = [{"Put": {"TableName": self.table_name, "Item": item}} for item in claim_items]
                self._transact([*actions, {"Update": flip}], "storing the claims")
                return
            # Too many for one transaction: claims first, staged (hidden from every reader until the flip).
            self._batch_write([{"PutRequest": {"Item": item}} for item in claim_items], "storing the claims")
            with translate_aws_errors("completing the article"):
                try:
                    self._dynamodb.update_item(**flip)
                except Exception as exc:
                    if error_code(exc) == "ConditionalCheckFailedException":
                        raise ArticleStateConflict(article_id) from exc
                    raise
        except ArticleStateConflict:
            if self._lease_state(article_id, lease_id) == "completed":
                return  # our own write, committed, then retried: it stands
            if staged:
                self._discard_claims(article_id)
            raise

    def _lease_state(self, article_id: str, lease_id: str) -> Literal["holding", "completed", "lost"]:
        """Whether `lease_id` still holds the pending article, completed it, or lost it (deleted, taken over)."""
        item = self._article_item(article_id)
        if item is None or item.get("lease_id", {}).get("S") != lease_id:
            return "lost"
        status = item.get("status", {}).get("S")
        return "holding" if status == "pending" else "completed" if status == "complete" else "lost"

    def _discard_claims(self, article_id: str) -> None:
        """Best effort: the claims of a completion that lost. Left behind they stay hidden (staged, article not
        complete) and the next completion or DELETE removes them."""
        try:
            self.delete_claims(article_id)
        except StorageError:
            logger.warning("could not remove the claims of a lost completion", extra={"article_id": article_id})

    def fail(
        self, article_id: str, error: ArticleError, *, now: str, lease_id: str, usage: Usage | None = None
    ) -> bool:
        """Flip the article pending -> failed with the reason (and what the attempt cost), then remove any claims
        the attempt wrote. False if the article was no longer pending under `lease_id`: its outcome stands."""
        values: dict[str, Any] = {
            ":failed": "failed",
            ":pending": "pending",
            ":lease_id": lease_id,
            ":error": error.model_dump(),
            ":now": now,
        }
        names = {"#status": "status", "#error": "error"}
        update = "SET #status = :failed, #error = :error, updated_at = :now"
        if usage is not None:
            update += ", #usage = :usage"
            names["#usage"] = "usage"
            values[":usage"] = usage.model_dump(mode="json")
        with translate_aws_errors("marking the article failed"):
            try:
                self._dynamodb.update_item(
                    TableName=self.table_name,
                    Key=_article_key(article_id),
                    UpdateExpression=update + " REMOVE lease_until, queued",
                    ConditionExpression="#status = :pending AND lease_id = :lease_id",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_values(values),
                )
            except Exception as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                return False  # someone else completed, failed or deleted it meanwhile: their outcome stands
        # After the flip: claims of a failed article are hidden (staged), so a failure here only leaves garbage that
        # the next completion or DELETE removes.
        self._discard_claims(article_id)
        return True

    def delete_article(self, article_id: str) -> bool:
        """Delete the article, its claims and its body. False if there was no such article.

        Raises ArticleBusy while the article is pending under a live lease. The article item goes first and
        conditionally (the commit point: no worker can complete it after that), then the claims (hidden meanwhile:
        transactionally with the item when they fit, staged otherwise), then the body. When an earlier DELETE failed
        half-way the item is gone: what is left of it is removed again.
        """
        item = self._article_item(article_id)
        if item is None:
            leftovers = self.delete_claims(article_id)
            return self._delete_body(keys.body_key(article_id), only_if_present=True) or leftovers > 0
        epoch = int(time.time())
        if item.get("status", {}).get("S") == "pending" and int(item.get("lease_until", {}).get("N", "0")) >= epoch:
            raise ArticleBusy(article_id)
        claim_keys = list(self._claim_keys(article_id))
        delete_article = {
            "TableName": self.table_name,
            "Key": _article_key(article_id),
            "ConditionExpression": "attribute_exists(pk) AND (#status <> :pending OR lease_until < :epoch)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_values({":pending": "pending", ":epoch": epoch}),
        }
        try:
            if len(claim_keys) < TRANSACTION_MAX_ITEMS:
                actions = [{"Delete": {"TableName": self.table_name, "Key": key}} for key in claim_keys]
                self._transact([*actions, {"Delete": delete_article}], "deleting the article")
            else:
                with translate_aws_errors("deleting the article"):
                    try:
                        self._dynamodb.delete_item(**delete_article)
                    except Exception as exc:
                        if error_code(exc) == "ConditionalCheckFailedException":
                            raise ArticleStateConflict(article_id) from exc
                        raise
                self._batch_write([{"DeleteRequest": {"Key": key}} for key in claim_keys], "deleting the claims")
        except ArticleStateConflict:
            if self._article_item(article_id) is None:
                return True  # a concurrent DELETE won
            raise ArticleBusy(article_id) from None  # taken for extraction meanwhile
        if "body_key" in item:
            self._delete_body(item["body_key"]["S"])
        return True

    def _delete_body(self, key: str, *, only_if_present: bool = False) -> bool:
        """Delete a body; with `only_if_present`, look first and say whether there was one."""
        if not self.bucket_name:
            return False
        with translate_aws_errors("deleting the article body from S3"):
            if only_if_present:
                try:
                    self.s3.head_object(Bucket=self.bucket_name, Key=key)
                except Exception as exc:
                    if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
                        return False
                    raise
            self.s3.delete_object(Bucket=self.bucket_name, Key=key)
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
            keep=self._without_unfinished,
        )
        return Page[ClaimRecord](items=[claim_from_item(item) for item in items], next_token=token)

    def _without_unfinished(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop staged claims whose article is not complete (pending, failed, deleted). Claims written in the
        completing transaction carry no mark and need no check, so most pages cost no extra read."""
        staged_ids = sorted({item["article_id"]["S"] for item in items if "staged" in item})
        if not staged_ids:
            return items
        complete = self._complete_article_ids(staged_ids)
        return [item for item in items if "staged" not in item or item["article_id"]["S"] in complete]

    def _complete_article_ids(self, article_ids: list[str]) -> set[str]:
        complete: set[str] = set()
        for start in range(0, len(article_ids), BATCH_GET_MAX_KEYS):
            pending: dict[str, Any] = {
                self.table_name: {
                    "Keys": [_article_key(a) for a in article_ids[start : start + BATCH_GET_MAX_KEYS]],
                    "ProjectionExpression": "article_id, #status",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ConsistentRead": True,
                }
            }
            for attempt in range(BATCH_MAX_ATTEMPTS):
                with translate_aws_errors("reading the articles of the claims"):
                    response = self._dynamodb.batch_get_item(RequestItems=pending)
                for item in response.get("Responses", {}).get(self.table_name, []):
                    if item.get("status", {}).get("S") == "complete":
                        complete.add(item["article_id"]["S"])
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                self._sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random() / 2))
            else:
                raise StorageError("storage is unavailable: reading the articles of the claims failed; try again later")
        return complete

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
        keep: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of `limit` items (after `keep`), and the token of the next page (None on the last one).

        Follows LastEvaluatedKey until the page is full: a query stops early at 1 MB (article items with inline
        bodies reach that within a page) or returns items `keep` drops, and neither may end the list early.
        """
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
        }
        if index:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True  # the base table can: a just-completed article shows all its claims
        exclusive_start = to_item(start_key) if start_key else None
        items: list[dict[str, Any]] = []
        while True:
            # One more than asked: if it exists there is a next page, and the last page's token is exactly None.
            request["Limit"] = limit + 1 - len(items)
            if exclusive_start:
                request["ExclusiveStartKey"] = exclusive_start
            with translate_aws_errors("listing"):
                response = self._dynamodb.query(**request)
            found = response.get("Items", [])
            items.extend(keep(found) if keep else found)
            exclusive_start = response.get("LastEvaluatedKey")
            if len(items) > limit or not exclusive_start:
                break
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
