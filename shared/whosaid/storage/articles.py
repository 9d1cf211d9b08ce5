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
  DELETE that failed half-way is finished by the next one;
- the speaker directory (storage/directory.py) follows: an article's speakers are added to it in the completing
  transaction when claims, flip and entries fit in one (claims + 1 + speakers <= 100; otherwise the claims are
  staged, and the entries follow the flip in guarded chunks), and removed in the deleting one (or, for a large
  article, in guarded chunks before the article item goes). Only complete articles are ever counted.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from whosaid.errors import ConfigurationError, StorageError
from whosaid.models import Article, ExtractionResult, Usage
from whosaid.observability import logger
from whosaid.storage import article_states, directory, keys
from whosaid.storage.article_states import (
    ArticleBusy,
    ArticleStateConflict,
    backoff,
    condition_values,
    conditional_write,
    epoch_now,
    new_lease_id,
)
from whosaid.storage.aws import aws_client, error_code, translate_aws_errors
from whosaid.storage.directory import Contribution
from whosaid.storage.items import (
    article_date,
    article_from_item,
    article_record,
    claim_attributes,
    claim_from_item,
    completed_records,
    from_item,
    key_of,
    pending_article_attributes,
    to_item,
    to_values,
)
from whosaid.storage.pagination import TokenCodec
from whosaid.storage.records import ArticleError, ArticleRecord, ClaimRecord, Page, SpeakerEntry

# DynamoDB items are at most 400 KB; the body stays inline below this many UTF-8 bytes, leaving room for metadata
# and the speaker summary, and goes to S3 above it.
INLINE_BODY_MAX_BYTES = 300_000
TRANSACTION_MAX_ITEMS = 100  # TransactWriteItems limit: up to 99 claims plus the article flip
BATCH_MAX_ITEMS = 25  # BatchWriteItem limit
BATCH_GET_MAX_KEYS = 100  # BatchGetItem limit
BATCH_MAX_ATTEMPTS = 8
TRANSACTION_MAX_ATTEMPTS = 8  # a transaction that lost to a concurrent writer of a directory entry is retried
DELETE_MAX_STEPS = 12
# Why DynamoDB cancels a transaction that is worth re-reading and retrying (anything else is an error).
RETRYABLE_CANCELLATIONS = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
# A filtered directory query evaluates this many entries per call, and at most this many calls per request: a page
# may come back short (even empty) with a next_token, rather than one request reading the whole directory.
FILTERED_READ_ITEMS = 1_000
FILTERED_MAX_READS = 8
RECENT_REFILL_READS = 3


@dataclass(frozen=True)
class _Index:
    """What a list reads: the table (name None) or a GSI, by its key attributes."""

    name: str | None
    partition: str
    sort: str

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes of a LastEvaluatedKey read from it."""
        return (self.partition, self.sort) if self.name is None else (self.partition, self.sort, "pk", "sk")


_TABLE = _Index(None, "pk", "sk")
_BY_SPEAKER = _Index(keys.SPEAKER_INDEX, "gsi1pk", "gsi1sk")
_BY_RECENCY = _Index(keys.RECENCY_INDEX, "gsi2pk", "gsi2sk")
_BY_CLAIMS = _Index(keys.DIRECTORY_INDEX, "gsi3pk", "gsi3sk")


__all__ = ["ArticleBusy", "ArticleStateConflict", "ArticleStore", "Held"]


@dataclass(frozen=True)
class Held:
    """An article this call holds under `lease_id` (it created or took it), as its write left it."""

    article: ArticleRecord
    lease_id: str


def _article_key(article_id: str) -> dict[str, Any]:
    """The DynamoDB key of an article's own item (its claims share the partition)."""
    return to_item({"pk": keys.article_pk(article_id), "sk": keys.META_SK})


def _entry_key(speaker_id: str) -> dict[str, Any]:
    return to_item({"pk": keys.speaker_entry_pk(speaker_id), "sk": keys.SPEAKER_ENTRY_SK})


def _contributions(article: ArticleRecord, claims: Iterable[tuple[str, Any]]) -> list[Contribution]:
    return directory.contributions(article.article_id, article.title, article_date(article), claims)


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

    def prepare(self) -> None:
        """Make the S3 client now (init, or before a SnapStart snapshot) rather than on first use."""
        _ = self.s3

    # --- articles ---------------------------------------------------------------------------------------------

    def _article_item(self, article_id: str) -> dict[str, Any] | None:
        """The article's raw item (strongly consistent: callers act on its status), or None."""
        with translate_aws_errors("reading the article"):
            return self._dynamodb.get_item(
                TableName=self.table_name,
                Key=_article_key(article_id),
                ConsistentRead=True,
            ).get("Item")

    def _article_state(self, article_id: str) -> dict[str, Any] | None:
        """The article's item decoded (plain values, bookkeeping included), or None."""
        item = self._article_item(article_id)
        return from_item(item) if item is not None else None

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

    def create(
        self,
        article: Article,
        article_id: str,
        *,
        now: str,
        lease_seconds: int,
        origin: dict[str, Any] | None = None,
        queued: bool = False,
    ) -> Held | ArticleRecord:
        """Create pending (article_states.ABSENT): the article as stored and held by this call, or, when it exists, the
        article as it is (without its text: the caller has it). One call either way when the body fits the item:
        the losing put returns the current item. A body for S3 is looked for first rather than uploaded again."""
        body = article.text.encode("utf-8")
        inline = len(body) <= self.inline_body_max_bytes
        if not inline and (current := self.get_article(article_id)) is not None:
            return current
        lease_id = new_lease_id()
        attributes = pending_article_attributes(
            article,
            article_id,
            now=now,
            lease_id=lease_id,
            lease_until=epoch_now() + lease_seconds,
            origin=origin,
            queued=queued,
        )
        body_version: str | None = None
        if inline:
            attributes["text"] = article.text
        else:
            # Body first: the item must never point at a body that is not there. The key is content-addressed,
            # so a racing writer of the same article writes the same bytes.
            attributes["body_key"] = keys.body_key(article_id)
            body_version = self._put_body(attributes["body_key"], body)
        item = to_item(attributes)
        try:
            conditional_write(
                self._dynamodb.put_item,
                "storing the article",
                TableName=self.table_name,
                Item=item,
                ConditionExpression=article_states.ABSENT,
            )
        except ArticleStateConflict as conflict:
            if conflict.item is None:  # DynamoDB always returns the item that failed ABSENT; never trust a None
                current = self.get_article(article_id)
                if current is None:
                    raise StorageError(f"article {article_id} could not be stored; try again") from None
                return current
            return article_from_item(conflict.item)
        except StorageError:
            if "body_key" in attributes:
                self._discard_body_version(attributes["body_key"], body_version)
            raise
        return Held(article_from_item(item, text=article.text), lease_id)

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

    def take(
        self,
        article_id: str,
        *,
        now: str,
        lease_seconds: int,
        from_queue: bool = False,
        queued: bool = False,
        with_text: bool = False,
    ) -> Held | ArticleRecord | None:
        """Acquire (article_states.TAKEABLE, or TAKEABLE_FROM_QUEUE `from_queue`): the article as taken, held by this
        call; else the article as it is (a live lease holds it, or it is complete); None if there is none. One
        call either way: the update returns the item it wrote, or the one its condition refused. `with_text`: the
        record carries the text (an S3 body is then read)."""
        lease_id = new_lease_id()
        epoch = epoch_now()
        update = "SET #status = :pending, updated_at = :now, lease_id = :lease_id, lease_until = :lease"
        update += ", queued = :true REMOVE #error, #usage" if queued else " REMOVE #error, #usage, queued"
        condition = article_states.TAKEABLE_FROM_QUEUE if from_queue else article_states.TAKEABLE
        values: dict[str, Any] = {**condition_values(condition, epoch=epoch), ":now": now, ":lease_id": lease_id}
        values[":lease"] = epoch + lease_seconds
        if queued:
            values[":true"] = True
        try:
            response = conditional_write(
                self._dynamodb.update_item,
                "updating the article status",
                TableName=self.table_name,
                Key=_article_key(article_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={**article_states.NAMES, "#error": "error", "#usage": "usage"},
                ExpressionAttributeValues=to_values(values),
                ReturnValues="ALL_NEW",
            )
        except ArticleStateConflict as conflict:
            if conflict.item is None:
                return None  # no such article (the condition refuses an absent item; DynamoDB returns none)
            return self._record_of(conflict.item, with_text=with_text)
        return Held(self._record_of(response["Attributes"], with_text=with_text), lease_id)

    def _record_of(self, item: dict[str, Any], *, with_text: bool) -> ArticleRecord:
        return article_from_item(item, text=self._body_of(item) if with_text else None)

    def complete(
        self, article: ArticleRecord, result: ExtractionResult, *, now: str, lease_id: str
    ) -> tuple[ArticleRecord, list[ClaimRecord]]:
        """Store the claims and flip the article pending -> complete (article_states.HELD) with its summary, never
        half-visible, and count its speakers in the directory. The article and its claims as stored (`article`,
        the record the lease was taken with, updated in memory: nothing is read back).

        Raises ArticleStateConflict, having written nothing that stays, if the article is no longer pending under
        `lease_id` (deleted, or taken over).
        """
        if len(result.claims) > keys.MAX_CLAIM_INDEX:
            raise StorageError(f"too many claims to store ({len(result.claims)})")
        article_id = article.article_id
        attributes = [claim_attributes(article, i, c) for i, c in enumerate(result.claims)]
        speakers = _contributions(article, ((a["gsi1pk"], c) for a, c in zip(attributes, result.claims, strict=True)))
        chunks = directory.chunks(speakers)
        # One transaction holds the claims, the flip and the speakers' entries, or the claims are staged.
        staged = len(attributes) + 1 + len(speakers) > TRANSACTION_MAX_ITEMS
        claim_items = [to_item({**a, "staged": True if staged else None}) for a in attributes]
        stored = completed_records(article, result, now, claim_items)
        leftovers = list(self._claim_keys(article_id))
        if leftovers or staged:
            # Unconditional writes (removing claims a previous attempt left behind, which would outlive this
            # result's last index; batch-writing claims) only while this lease holds the pending article. If it
            # already completed it (a retried call), that completion stands.
            state = self._lease_state(article_id, lease_id)
            if state == "completed":
                return stored
            if state != "holding":
                raise ArticleStateConflict(article_id)
            self._batch_write([{"DeleteRequest": {"Key": key}} for key in leftovers], "removing stale claims")
        flip = {
            "TableName": self.table_name,
            "Key": _article_key(article_id),
            # lease_id stays: it tells an ambiguous failure of this very write (committed, reported as an error and
            # retried) from a real conflict.
            "UpdateExpression": "SET #status = :complete, claim_count = :count, speakers = :speakers, "
            "#usage = :usage, updated_at = :now, completed_at = :now, dir_total = :dir_total, dir_done = :dir_done "
            "REMOVE lease_until, #error, queued",
            "ConditionExpression": article_states.HELD,
            "ExpressionAttributeNames": {**article_states.NAMES, "#usage": "usage", "#error": "error"},
            "ExpressionAttributeValues": to_values(
                {
                    **condition_values(article_states.HELD, lease_id=lease_id),
                    ":complete": "complete",
                    ":count": len(result.claims),
                    ":speakers": [s.model_dump(mode="json") for s in result.speakers],
                    ":usage": result.usage.model_dump(mode="json"),
                    ":now": now,
                    ":dir_total": len(chunks),
                    ":dir_done": 0 if staged else len(chunks),
                }
            ),
        }
        try:
            if not staged:
                actions = [{"Put": {"TableName": self.table_name, "Item": item}} for item in claim_items]
                self._transact_with_speakers([*actions, {"Update": flip}], len(actions), speakers, "storing the claims")
                return stored
            # Too many for one transaction: claims first, staged (hidden from every reader until the flip).
            self._batch_write([{"PutRequest": {"Item": item}} for item in claim_items], "storing the claims")
            conditional_write(self._dynamodb.update_item, "completing the article", **flip)
        except ArticleStateConflict:
            if self._lease_state(article_id, lease_id) == "completed":
                return stored  # our own write, committed, then retried: it stands
            if staged:
                self._discard_claims(article_id)
            raise
        self._add_to_directory(article_id, chunks, start=0)
        return stored

    def finish_directory(self, article_id: str) -> None:
        """Count in the directory the speakers an interrupted completion left out (ArticleRecord.directory_pending):
        the chunks after the article's dir_done."""
        state = self._article_state(article_id)
        if state is None or state.get("status") != "complete":
            return
        done = int(state.get("dir_done", 0))
        if done >= int(state.get("dir_total", 0)):
            return
        speakers = self._stored_contributions(state, list(self._claim_items(article_id)))
        self._add_to_directory(article_id, directory.chunks(speakers), start=done)

    def _add_to_directory(self, article_id: str, chunks: list[list[Contribution]], *, start: int) -> None:
        """Best effort, after the flip: each chunk moves the article's dir_done from its index to the next, so it
        is applied once. Whoever loses a step (a concurrent finisher, a DELETE) stops and leaves the rest to it."""
        for index in range(start, len(chunks)):
            step = self._directory_step(article_id, index, index + 1, "#status = :complete", {":complete": "complete"})
            try:
                self._transact_with_speakers([step], 0, chunks[index], "adding the article's speakers to the directory")
            except ArticleStateConflict:
                return
            except StorageError:
                logger.warning(
                    "speakers left out of the directory; the next submission of the article adds them",
                    extra={"article_id": article_id, "chunk": index},
                )
                return

    def _directory_step(
        self, article_id: str, done: int, to: int, condition: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        """The article action of a directory chunk: dir_done from `done` to `to`, if `condition` holds."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": _article_key(article_id),
                "UpdateExpression": "SET dir_done = :to",
                "ConditionExpression": f"attribute_exists(pk) AND dir_done = :done AND {condition}",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_values({**values, ":done": done, ":to": to}),
            }
        }

    def _lease_state(self, article_id: str, lease_id: str) -> article_states.LeaseState:
        """Whether `lease_id` still holds the pending article, completed it, or lost it (deleted, taken over)."""
        state = self._article_state(article_id) or {}
        return article_states.lease_state(state.get("status"), state.get("lease_id"), lease_id)

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
            **condition_values(article_states.HELD, lease_id=lease_id),
            ":failed": "failed",
            ":error": error.model_dump(),
            ":now": now,
        }
        names = {**article_states.NAMES, "#error": "error"}
        update = "SET #status = :failed, #error = :error, updated_at = :now"
        if usage is not None:
            update += ", #usage = :usage"
            names["#usage"] = "usage"
            values[":usage"] = usage.model_dump(mode="json")
        try:
            conditional_write(
                self._dynamodb.update_item,
                "marking the article failed",
                TableName=self.table_name,
                Key=_article_key(article_id),
                UpdateExpression=update + " REMOVE lease_until, queued",
                ConditionExpression=article_states.HELD,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_values(values),
            )
        except ArticleStateConflict:
            return False  # someone else completed, failed or deleted it meanwhile: their outcome stands
        # After the flip: claims of a failed article are hidden (staged), so a failure here only leaves garbage that
        # the next completion or DELETE removes.
        self._discard_claims(article_id)
        return True

    def delete_article(self, article_id: str) -> bool:
        """Delete the article, its claims and its body, and take its speakers out of the directory. False if there
        was no such article.

        Raises ArticleBusy while the article is pending under a live lease. The article item goes conditionally (the
        commit point: no worker can complete it after that) with its directory entries' updates, then the claims
        (hidden meanwhile: transactionally with the item when they fit, staged otherwise), then the body. A large
        article's speakers leave the directory first, chunk by chunk, while its item stays. When an earlier DELETE
        failed half-way the item is gone: what is left of it is removed again.
        """
        for step in range(DELETE_MAX_STEPS):
            state = self._article_state(article_id)
            if state is None:
                if step:
                    return True  # a concurrent DELETE won
                leftovers = self.delete_claims(article_id)
                return self._delete_body(keys.body_key(article_id), only_if_present=True) or leftovers > 0
            epoch = epoch_now()
            if article_states.is_busy(state.get("status"), int(state.get("lease_until", 0)), epoch):
                raise ArticleBusy(article_id)
            try:
                if self._delete_step(article_id, state, epoch):
                    break
            except ArticleStateConflict:
                continue  # taken for extraction, deleted, or its directory chunks moved meanwhile: look again
        else:
            raise StorageError("storage is busy: deleting the article kept conflicting with other writes; try again")
        if "body_key" in state:
            self._delete_body(str(state["body_key"]))
        return True

    def _delete_step(self, article_id: str, state: dict[str, Any], epoch: int) -> bool:
        """One step of a delete (article_states.DELETABLE): the whole article when it fits one transaction (True), else
        one chunk of its directory entries (False: call again), and once none is left the item and then the claims
        (True). `state`: the article item as read, decoded."""
        done = int(state.get("dir_done", 0))
        claim_items = list(self._claim_items(article_id, keys_only=not done))
        claim_keys = [{"pk": i["pk"], "sk": i["sk"]} for i in claim_items]
        chunks = directory.chunks(self._stored_contributions(state, claim_items)) if done else []
        last = chunks[done - 1] if 0 < done <= len(chunks) else []
        values = condition_values(article_states.DELETABLE, epoch=epoch)
        if done > 1 or (done and len(claim_keys) + 1 + len(last) > TRANSACTION_MAX_ITEMS):
            step = self._directory_step(article_id, done, done - 1, article_states.DELETABLE, values)
            self._transact_with_speakers(
                [step], 0, last, "removing the article's speakers from the directory", removing=article_id
            )
            return False
        if "dir_done" in state:
            values[":done"] = done
        delete_article = {
            "TableName": self.table_name,
            "Key": _article_key(article_id),
            "ConditionExpression": f"attribute_exists(pk) AND {article_states.DELETABLE} AND "
            + ("dir_done = :done" if "dir_done" in state else "attribute_not_exists(dir_done)"),
            "ExpressionAttributeNames": article_states.NAMES,
            "ExpressionAttributeValues": to_values(values),
        }
        if len(claim_keys) + 1 + len(last) <= TRANSACTION_MAX_ITEMS:
            actions = [{"Delete": {"TableName": self.table_name, "Key": key}} for key in claim_keys]
            self._transact_with_speakers(
                [{"Delete": delete_article}, *actions], 0, last, "deleting the article", removing=article_id
            )
            return True
        conditional_write(self._dynamodb.delete_item, "deleting the article", **delete_article)
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in claim_keys], "deleting the claims")
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
        return [claim_from_item(item) for item in self._claim_items(article_id)]

    def delete_claims(self, article_id: str) -> int:
        claim_keys = list(self._claim_keys(article_id))
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in claim_keys], "deleting the claims")
        return len(claim_keys)

    def _claim_keys(self, article_id: str) -> Iterable[dict[str, Any]]:
        return self._claim_items(article_id, keys_only=True)

    def _claim_items(self, article_id: str, *, keys_only: bool = False) -> Iterable[dict[str, Any]]:
        """The article's claim items in text order (strongly consistent), or only their keys."""
        paginator = self._dynamodb.get_paginator("query")
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :claim)",
            "ExpressionAttributeValues": to_values({":pk": keys.article_pk(article_id), ":claim": keys.CLAIM_PREFIX}),
            "ConsistentRead": True,
        }
        if keys_only:
            request["ProjectionExpression"] = "pk, sk"
        with translate_aws_errors("reading the claims"):
            for page in paginator.paginate(**request):
                yield from page.get("Items", [])

    def _stored_contributions(self, state: dict[str, Any], claim_items: list[dict[str, Any]]) -> list[Contribution]:
        """What a stored article (its decoded item) and its claims added to the directory, by the partition each claim
        is indexed in (so a later change of who counts as article-scoped cannot make a delete miss the entries it
        counted in)."""
        return _contributions(article_record(state), ((i["gsi1pk"]["S"], claim_from_item(i)) for i in claim_items))

    # --- lists ------------------------------------------------------------------------------------------------

    def list_articles(self, *, limit: int, next_token: str | None) -> Page[ArticleRecord]:
        items, token = self._query_page(
            _BY_RECENCY, keys.ARTICLES_PARTITION, limit=limit, next_token=next_token, newest_first=True
        )
        return Page[ArticleRecord](items=[article_from_item(item) for item in items], next_token=token)

    def query_recency(
        self,
        partition: str,
        *,
        limit: int,
        next_token: str | None,
        keep: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
        query_filter: tuple[str, dict[str, str], dict[str, Any]] | None = None,
        scope: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of raw items of one by_recency partition, newest first, and the next page's token (other stores
        of the table, e.g. storage/uploads.py, list through it: one pagination for every list)."""
        return self._query_page(
            _BY_RECENCY,
            partition,
            limit=limit,
            next_token=next_token,
            newest_first=True,
            keep=keep,
            query_filter=query_filter,
            scope=scope,
        )

    def article_states(self, article_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The current status, error and updated_at of each of the articles that exist (strongly consistent), by
        id, as plain values."""
        if not article_ids:
            return {}
        items = self._batch_get(
            [_article_key(a) for a in sorted(set(article_ids))],
            "reading the articles' status",
            projection="article_id, #status, #error, updated_at",
            names={"#status": "status", "#error": "error"},
        )
        return {str(state["article_id"]): state for state in map(from_item, items)}

    def put_item(self, attributes: dict[str, Any], operation: str) -> None:
        """An unconditional put of one item of the table (a record another store of it owns, e.g. an upload)."""
        with translate_aws_errors(operation):
            self._dynamodb.put_item(TableName=self.table_name, Item=to_item(attributes))

    def list_claims(self, article_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        items, token = self._query_page(
            _TABLE,
            keys.article_pk(article_id),
            limit=limit,
            next_token=next_token,
            newest_first=False,
            sort_prefix=keys.CLAIM_PREFIX,
        )
        return Page[ClaimRecord](items=[claim_from_item(item) for item in items], next_token=token)

    def speaker_claims(self, speaker: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        """A named speaker's claims across articles, newest first, by the name as displayed."""
        return self._claims_in(keys.speaker_pk(speaker), limit=limit, next_token=next_token)

    def speaker_claims_by_id(self, speaker_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        """The claims of the directory entry `speaker_id` (named or article-scoped); none if there is no entry."""
        with translate_aws_errors("reading the speaker"):
            item = self._dynamodb.get_item(
                TableName=self.table_name,
                Key=_entry_key(speaker_id),
                ProjectionExpression="claims_partition",
                ConsistentRead=True,
            ).get("Item")
        if item is None:
            return Page[ClaimRecord](items=[], next_token=None)
        return self._claims_in(item["claims_partition"]["S"], limit=limit, next_token=next_token)

    def _claims_in(self, partition: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        items, token = self._query_page(
            _BY_SPEAKER, partition, limit=limit, next_token=next_token, newest_first=True, keep=self._without_unfinished
        )
        return Page[ClaimRecord](items=[claim_from_item(item) for item in items], next_token=token)

    def list_speakers(
        self, *, words: list[str], speaker_type: str | None, limit: int, next_token: str | None
    ) -> Page[SpeakerEntry]:
        """The speaker directory, most claims first: every speaker, or those of `speaker_type` whose name has a word
        beginning with each of `words` (directory.search_words). A page may be short when a filter skips many."""
        items, token = self._query_page(
            _BY_CLAIMS,
            keys.DIRECTORY_PARTITION,
            limit=limit,
            next_token=next_token,
            newest_first=True,
            query_filter=directory.search_filter(words, speaker_type),
            scope=directory.query_scope(words, speaker_type),
        )
        return Page[SpeakerEntry](items=[directory.entry_record(from_item(item)) for item in items], next_token=token)

    def _without_unfinished(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop staged claims whose article is not complete (pending, failed, deleted). Claims written in the
        completing transaction carry no mark and need no check, so most pages cost no extra read."""
        staged_ids = sorted({item["article_id"]["S"] for item in items if "staged" in item})
        if not staged_ids:
            return items
        complete = self._complete_article_ids(staged_ids)
        return [item for item in items if "staged" not in item or item["article_id"]["S"] in complete]

    def _complete_article_ids(self, article_ids: list[str]) -> set[str]:
        items = self._batch_get(
            [_article_key(a) for a in article_ids],
            "reading the articles of the claims",
            projection="article_id, #status",
            names={"#status": "status"},
        )
        return {i["article_id"]["S"] for i in items if i.get("status", {}).get("S") == "complete"}

    def _batch_get(
        self,
        item_keys: list[dict[str, Any]],
        operation: str,
        *,
        projection: str | None = None,
        names: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """BatchGetItem (strongly consistent) in chunks of 100, retrying UnprocessedKeys with backoff."""
        items_read: list[dict[str, Any]] = []
        for start in range(0, len(item_keys), BATCH_GET_MAX_KEYS):
            request: dict[str, Any] = {"Keys": item_keys[start : start + BATCH_GET_MAX_KEYS], "ConsistentRead": True}
            if projection:
                request["ProjectionExpression"] = projection
            if names:
                request["ExpressionAttributeNames"] = names
            pending: dict[str, Any] = {self.table_name: request}
            for attempt in range(BATCH_MAX_ATTEMPTS):
                with translate_aws_errors(operation):
                    response = self._dynamodb.batch_get_item(RequestItems=pending)
                items_read.extend(response.get("Responses", {}).get(self.table_name, []))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                self._sleep(backoff(attempt))
            else:
                raise StorageError(f"storage is unavailable: {operation} failed; try again later")
        return items_read

    def _query_page(
        self,
        index: _Index,
        partition: str,
        *,
        limit: int,
        next_token: str | None,
        newest_first: bool,
        sort_prefix: str | None = None,
        keep: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
        query_filter: tuple[str, dict[str, str], dict[str, Any]] | None = None,
        scope: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of `limit` items (after `keep`), and the token of the next page (None on the last one).

        Follows LastEvaluatedKey until the page is full: a query stops early at 1 MB (article items with inline
        bodies reach that within a page) or returns items `keep` drops, and neither may end the list early. With
        a `query_filter` (FilterExpression, names, values) it reads a bounded slice per request instead: the page
        may be short, and its token (bound to `scope` too) goes on where the reading stopped.
        """
        start_key = self.tokens.decode(next_token, partition, index.partition, scope=scope)
        condition = f"{index.partition} = :partition"
        values: dict[str, Any] = {":partition": partition}
        if sort_prefix:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = sort_prefix
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ScanIndexForward": not newest_first,
        }
        if query_filter:
            request["FilterExpression"], request["ExpressionAttributeNames"], filter_values = query_filter
            values.update(filter_values)
        request["ExpressionAttributeValues"] = to_values(values)
        if index.name:
            request["IndexName"] = index.name
        else:
            request["ConsistentRead"] = True  # the base table can: a just-completed article shows all its claims
        exclusive_start = to_item(start_key) if start_key else None
        items: list[dict[str, Any]] = []
        for reads in itertools.count(1):
            # One more than asked: if it exists there is a next page, and the last page's token is exactly None.
            wanted = limit + 1 - len(items)
            request["Limit"] = max(wanted, FILTERED_READ_ITEMS) if query_filter else wanted
            if exclusive_start:
                request["ExclusiveStartKey"] = exclusive_start
            with translate_aws_errors("listing"):
                response = self._dynamodb.query(**request)
            page_items = response.get("Items", [])
            items.extend(keep(page_items) if keep else page_items)
            exclusive_start = response.get("LastEvaluatedKey")
            if len(items) > limit or not exclusive_start:
                break
            if query_filter and reads >= FILTERED_MAX_READS:
                return items, self.tokens.encode(partition, key_of(exclusive_start, index.key_attributes), scope=scope)
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, self.tokens.encode(partition, key_of(items[-1], index.key_attributes), scope=scope)

    # --- write helpers ----------------------------------------------------------------------------------------

    def _transact_codes(self, actions: list[dict[str, Any]], operation: str) -> list[str] | None:
        """TransactWriteItems: None when it commits; the cancellation code of every action when a condition or a
        concurrent transaction cancelled it (nothing was written). Anything else is a StorageError."""
        with translate_aws_errors(operation):
            try:
                self._dynamodb.transact_write_items(TransactItems=actions)
            except Exception as exc:
                if error_code(exc) == "TransactionCanceledException":
                    reasons = exc.response.get("CancellationReasons") or []  # type: ignore[attr-defined]
                    codes = [str(r.get("Code") or "None") for r in reasons]
                    if RETRYABLE_CANCELLATIONS.intersection(codes):
                        return codes + ["None"] * (len(actions) - len(codes))
                raise
        return None

    def _transact_with_speakers(
        self,
        head: list[dict[str, Any]],
        article_index: int,
        speakers: list[Contribution],
        operation: str,
        *,
        removing: str | None = None,
    ) -> None:
        """One transaction of `head` (the article's own writes; the article action at `article_index`) and the
        speakers' directory entries with this article added (or, `removing` its id, taken away).

        Entries are read, recomputed and written conditionally on the version read; a transaction cancelled by a
        concurrent writer is re-read and retried. ArticleStateConflict when the article action's condition fails.
        """
        for attempt in range(TRANSACTION_MAX_ATTEMPTS):
            # An article-scoped entry is this article's alone: nothing to read, unless it surprised us already.
            current = self._speaker_entries([s.speaker_id for s in speakers if attempt or not s.scoped])
            writes = [self._entry_write(s, current.get(s.speaker_id), removing, read=attempt > 0) for s in speakers]
            codes = self._transact_codes([*head, *(w for w in writes if w)], operation)
            if codes is None:
                return
            if codes[article_index] == "ConditionalCheckFailed":
                raise ArticleStateConflict(operation)
            logger.info("retrying a transaction that lost to a concurrent write", extra={"operation": operation})
            self._sleep(backoff(attempt))
        raise StorageError(f"storage is busy: {operation} kept conflicting with concurrent writes; try again later")

    def _speaker_entries(self, speaker_ids: list[str]) -> dict[str, dict[str, Any]]:
        if not speaker_ids:
            return {}
        items = self._batch_get([_entry_key(i) for i in speaker_ids], "reading the speaker directory")
        return {item["speaker_id"]["S"]: item for item in items}

    def _entry_write(
        self, speaker: Contribution, current: dict[str, Any] | None, removing: str | None, *, read: bool
    ) -> dict[str, Any] | None:
        """The transaction action that writes `speaker`'s entry with the article added or removed (None: none)."""
        key = _entry_key(speaker.speaker_id)
        entry = from_item(current) if current else None
        if removing and entry is None:
            if speaker.scoped and not read:  # this article's own entry: it goes with the article
                return {"Delete": {"TableName": self.table_name, "Key": key}}
            return None  # never counted (an article completed before the directory existed)
        if removing and entry is not None:
            updated_entry = directory.removed(entry, speaker)
            if updated_entry is not None and not updated_entry["recent"]:
                updated_entry = directory.with_recent(
                    updated_entry, self._recent_mentions(updated_entry["claims_partition"], removing)
                )
        else:
            updated_entry = directory.added(entry, speaker)
        version = int(entry["version"]) if entry else 0
        guard: dict[str, Any] = (
            {"ConditionExpression": "version = :version", "ExpressionAttributeValues": to_values({":version": version})}
            if entry
            else {"ConditionExpression": "attribute_not_exists(pk)"}
        )
        if updated_entry is None:
            return {"Delete": {"TableName": self.table_name, "Key": key, **guard}}
        return {
            "Put": {"TableName": self.table_name, "Item": to_item({**updated_entry, "version": version + 1}), **guard}
        }

    def _recent_mentions(self, partition: str, excluded_article_id: str) -> list[dict[str, Any]]:
        """The most recent complete articles (other than the one being deleted) quoting the speaker of `partition`,
        read back from the speaker index when every article the entry remembered is gone."""
        mentions: dict[str, dict[str, Any]] = {}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": _BY_SPEAKER.name,
            "KeyConditionExpression": f"{_BY_SPEAKER.partition} = :partition",
            "ExpressionAttributeValues": to_values({":partition": partition}),
            "ScanIndexForward": False,
            "Limit": BATCH_GET_MAX_KEYS,
        }
        for _ in range(RECENT_REFILL_READS):
            with translate_aws_errors("reading the speaker's articles"):
                response = self._dynamodb.query(**request)
            for item in self._without_unfinished(response.get("Items", [])):
                claim = claim_from_item(item)
                if claim.article_id != excluded_article_id and claim.article_id not in mentions:
                    mentions[claim.article_id] = directory.mention(
                        claim.article_id, claim.article_title, claim.article_date, claim.speaker.name
                    )
            if len(mentions) >= directory.RECENT_ARTICLES or "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return list(mentions.values())

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
                delay = backoff(attempt)
                logger.info(
                    "retrying unprocessed batch items",
                    extra={"operation": operation, "unprocessed": len(pending.get(self.table_name, []))},
                )
                self._sleep(delay)
            else:
                raise StorageError(f"storage is unavailable: {operation} failed (throttled); try again later")
