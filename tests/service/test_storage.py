"""Storage: key design, speaker normalisation, pagination tokens, conditional/transactional/batch writes, S3 bodies,
and AWS failures reported as StorageError (moto; tables from template.yaml)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.support.service_support import bucket_keys, table_items
from tests.support.store_limits import SMALL_TRANSACTION_MAX_ITEMS
from whosaid.config import get_settings
from whosaid.errors import InvalidInputError, StorageError
from whosaid.models import Article, Claim, ExtractionResult, Speaker, Usage
from whosaid.storage import (
    ArticleBusy,
    ArticleError,
    ArticleStateConflict,
    ArticleStore,
    Held,
    TokenCodec,
    article_id_for_text,
    codec_secret,
    speaker_key,
)
from whosaid.storage.keys import body_key, utc_timestamp

# Against the store's transaction limits made small (tests/support/store_limits.py, the `small_transactions`
# fixture): STAGED_CLAIMS are more than one transaction holds, as 150 are against the real limit of 100, so they are
# batch-written before the flip; PAGED_CLAIMS fill two pages of CLAIM_PAGE and part of a third, as 250 did pages of 100.
STAGED_CLAIMS = 3 * SMALL_TRANSACTION_MAX_ITEMS
PAGED_CLAIMS = 5 * SMALL_TRANSACTION_MAX_ITEMS
CLAIM_PAGE = 2 * SMALL_TRANSACTION_MAX_ITEMS


@pytest.fixture
def store(aws_env: dict[str, str]) -> ArticleStore:
    settings = get_settings()
    return ArticleStore(
        table_name=settings.table_name,
        bucket_name=settings.bucket_name,
        token_codec=TokenCodec(codec_secret(None, settings.table_name)),
        sleep=lambda _: None,
    )


def _claims(text: str, speaker: str, count: int) -> ExtractionResult:
    claims = [
        Claim(
            speaker=Speaker(name=speaker, type="person"),
            cue="said",
            content=text[i : i + 1],
            quote_type="indirect",
            stance="asserts",
            content_span=(i, i + 1),
            extractor="rules",
        )
        for i in range(count)
    ]
    return ExtractionResult.from_claims(claims, Usage(extractor="rules"))


def _created_lease(store: ArticleStore, article: Article, article_id: str) -> str | None:
    """The lease id when this create made the article pending, None when it existed."""
    outcome = store.create(article, article_id, now=utc_timestamp(), lease_seconds=60)
    return outcome.lease_id if isinstance(outcome, Held) else None


def _taken_lease(store: ArticleStore, article_id: str, *, now: str = "t", **options: Any) -> str | None:
    """The new lease id when this take acquired the article, None when it did not."""
    outcome = store.take(article_id, now=now, lease_seconds=60, **options)
    return outcome.lease_id if isinstance(outcome, Held) else None


def _pending(store: ArticleStore, text: str, **metadata: Any) -> str:
    return _pending_with_lease(store, text, **metadata)[0]


def _pending_with_lease(store: ArticleStore, text: str, **metadata: Any) -> tuple[str, str]:
    article_id = article_id_for_text(text)
    lease_id = _created_lease(store, Article(text=text, **metadata), article_id)
    assert lease_id
    return article_id, lease_id


def _expire_lease(store: ArticleStore, article_id: str) -> None:
    """As if the article's worker crashed long ago."""
    store._dynamodb.update_item(
        TableName=store.table_name,
        Key={"pk": {"S": f"ARTICLE#{article_id}"}, "sk": {"S": "META"}},
        UpdateExpression="SET lease_until = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


# --- keys ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Hazem Qassem", "hazem qassem", "  HAZEM   Qassem ", "Házem Qāssem", "Hazem\tQassem", "ＨＡＺＥＭ Qassem"],
)
def test_speaker_key_ignores_case_accents_and_spacing(name: str) -> None:
    assert speaker_key(name) == "hazem qassem"


def test_speaker_key_keeps_different_names_apart() -> None:
    assert speaker_key("Hazem Qassem") != speaker_key("Hazem Qassim")
    assert speaker_key("Straße") == speaker_key("STRASSE")  # casefold, not lower


def test_article_id_is_a_content_hash() -> None:
    assert article_id_for_text("abc") == article_id_for_text("abc")
    assert article_id_for_text("abc") != article_id_for_text("abc ")
    assert len(article_id_for_text("abc")) == 20


# --- pagination tokens --------------------------------------------------------------------------------------------


def test_token_round_trip_and_rejections() -> None:
    codec = TokenCodec(b"secret")
    key = {"pk": "ARTICLE#a", "sk": "CLAIM#000001"}
    token = codec.encode("ARTICLE#a", key)
    assert token and codec.decode(token, "ARTICLE#a", "pk") == key
    assert codec.encode("ARTICLE#a", None) is None
    with pytest.raises(InvalidInputError, match="next_token is invalid"):
        codec.decode(token, "ARTICLE#b", "pk")  # a genuine token, for another partition
    with pytest.raises(InvalidInputError):
        TokenCodec(b"other").decode(token, "ARTICLE#a", "pk")  # signed by someone else
    body, _, signature = token.partition(".")
    with pytest.raises(InvalidInputError):
        codec.decode(body[:-2] + "xx." + signature, "ARTICLE#a", "pk")  # tampered payload
    for garbage in ["", "abc", "....", "x" * 5000, "%%%.%%%"]:
        with pytest.raises(InvalidInputError):
            codec.decode(garbage, "ARTICLE#a", "pk")


def test_token_whose_key_lies_in_another_partition_is_rejected() -> None:
    codec = TokenCodec(b"secret")
    forged = codec.encode("ARTICLE#a", {"pk": "ARTICLE#b", "sk": "CLAIM#000001"})
    with pytest.raises(InvalidInputError):
        codec.decode(forged, "ARTICLE#a", "pk")


# --- writes -------------------------------------------------------------------------------------------------------


def test_create_pending_is_conditional(store: ArticleStore) -> None:
    text = "Officials said the talks went well."
    article_id = _pending(store, text, title="Talks")
    assert not _created_lease(store, Article(text=text), article_id)
    record = store.get_article(article_id, with_text=True)
    assert record is not None and record.status == "pending" and record.title == "Talks" and record.text == text
    assert len(table_items({"WHOSAID_TABLE_NAME": store.table_name})) == 1


def test_complete_flips_status_and_stores_claims_atomically(store: ArticleStore) -> None:
    text = "Officials said the talks went well."
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None
    store.complete(record, _claims(text, "Ann Lee", 3), now=utc_timestamp(), lease_id=lease)
    done = store.get_article(article_id)
    assert done is not None and done.status == "complete" and done.claim_count == 3
    assert [c.index for c in store.all_claims(article_id)] == [0, 1, 2]
    # A completion under another lease loses its condition and writes nothing; under the same one it is a no-op.
    with pytest.raises(ArticleStateConflict):
        store.complete(record, _claims(text, "Someone Else", 2), now=utc_timestamp(), lease_id="another-lease")
    store.complete(record, _claims(text, "Someone Else", 2), now=utc_timestamp(), lease_id=lease)
    assert {c.speaker.name for c in store.all_claims(article_id)} == {"Ann Lee"}
    assert len(store.all_claims(article_id)) == 3


@pytest.mark.usefixtures("small_transactions")
def test_more_claims_than_one_transaction_are_batch_written_then_flipped(store: ArticleStore) -> None:
    text = "x" * 300
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None
    store.complete(record, _claims(text, "Ann Lee", PAGED_CLAIMS), now=utc_timestamp(), lease_id=lease)
    assert len(store.all_claims(article_id)) == PAGED_CLAIMS
    first = store.list_claims(article_id, limit=CLAIM_PAGE, next_token=None)
    second = store.list_claims(article_id, limit=CLAIM_PAGE, next_token=first.next_token)
    third = store.list_claims(article_id, limit=CLAIM_PAGE, next_token=second.next_token)
    assert [len(first.items), len(second.items), len(third.items)] == [
        CLAIM_PAGE,
        CLAIM_PAGE,
        PAGED_CLAIMS - 2 * CLAIM_PAGE,
    ]
    assert third.next_token is None
    assert [c.index for c in first.items + second.items + third.items] == list(range(PAGED_CLAIMS))
    assert store.delete_article(article_id)
    assert table_items({"WHOSAID_TABLE_NAME": store.table_name}) == []


def test_fail_removes_written_claims_and_records_the_reason(store: ArticleStore) -> None:
    text = "x" * 300
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None
    items = [{"PutRequest": {"Item": item}} for item in _claim_items(record, text, 30)]
    store._batch_write(items, "test")  # as if a completion died after writing some claims
    error = ArticleError(code="llm_timeout", message="the LLM timed out")
    assert not store.fail(article_id, error, now="t", lease_id="another-lease")  # not the holder: no effect
    assert len(store.all_claims(article_id)) == 30
    assert store.fail(article_id, error, now="t", lease_id=lease)
    failed = store.get_article(article_id)
    assert failed is not None and failed.status == "failed"
    assert failed.error is not None and failed.error.code == "llm_timeout"
    assert store.all_claims(article_id) == []


def _claim_items(record: Any, text: str, count: int) -> list[dict[str, Any]]:
    from whosaid.storage.items import claim_attributes, to_item

    return [to_item(claim_attributes(record, i, c)) for i, c in enumerate(_claims(text, "Ann Lee", count).claims)]


def test_acquire_takes_over_failed_or_expired_articles_only(store: ArticleStore) -> None:
    article_id, lease = _pending_with_lease(store, "Officials said the talks went well.")
    assert not _taken_lease(store, article_id)  # live lease: the worker is still at it
    # Nor may the queue worker take it: only an article waiting in the queue (queued) is its own.
    assert not _taken_lease(store, article_id, from_queue=True)
    assert store.fail(article_id, ArticleError(code="x", message="y"), now="t", lease_id=lease)
    queued = _taken_lease(store, article_id, queued=True)
    assert queued and queued != lease
    assert not _taken_lease(store, article_id)
    worker = _taken_lease(store, article_id, from_queue=True)
    assert worker and worker != queued
    assert not _taken_lease(store, article_id, from_queue=True)  # a redelivery: running
    expired = _pending(store, "Someone said something else.")
    _expire_lease(store, expired)
    assert _taken_lease(store, expired)


# --- bodies in S3 -------------------------------------------------------------------------------------------------


def test_body_too_large_for_an_item_lives_in_s3(store: ArticleStore, aws_env: dict[str, str]) -> None:
    # 90,000 characters of 4-byte UTF-8: 360 KB, too much for a 400 KB item with its metadata.
    text = "𝒜" * 90_000
    article_id = _pending(store, text)
    assert bucket_keys(aws_env) == [body_key(article_id)]
    item = table_items(aws_env)[0]
    assert "text" not in item and item["body_key"]["S"] == f"articles/{article_id}.txt"
    record = store.get_article(article_id, with_text=True)
    assert record is not None and record.text == text and record.text_chars == 90_000
    assert store.get_text(article_id) == text
    _expire_lease(store, article_id)
    assert store.delete_article(article_id)
    assert bucket_keys(aws_env) == [] and table_items(aws_env) == []


def test_small_body_stays_in_the_item(store: ArticleStore, aws_env: dict[str, str]) -> None:
    _pending(store, "é" * 90_000)  # 180 KB
    assert bucket_keys(aws_env) == []


# --- batch retries and AWS failures -------------------------------------------------------------------------------


class _ThrottlingDynamo:
    """Stub client: BatchWriteItem leaves items unprocessed `throttled` times, then accepts them."""

    def __init__(self, throttled: int) -> None:
        self.throttled = throttled
        self.calls: list[int] = []

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        (requests,) = RequestItems.values()
        self.calls.append(len(requests))
        if len(self.calls) <= self.throttled:
            return {"UnprocessedItems": {"t": requests[1:]}}  # one item gets through each time
        return {"UnprocessedItems": {}}


def test_batch_write_retries_unprocessed_items_with_backoff() -> None:
    delays: list[float] = []
    stub = _ThrottlingDynamo(throttled=3)
    store = ArticleStore(
        table_name="t", bucket_name="b", token_codec=TokenCodec(b"k"), dynamodb=stub, sleep=delays.append
    )
    store._batch_write([{"PutRequest": {"Item": {"n": {"N": str(i)}}}} for i in range(10)], "test")
    assert stub.calls == [10, 9, 8, 7]
    assert len(delays) == 3 and delays[0] < delays[2]  # exponential backoff (with jitter)


def test_batch_write_gives_up_with_storage_error() -> None:
    store = ArticleStore(
        table_name="t",
        bucket_name="b",
        token_codec=TokenCodec(b"k"),
        dynamodb=_ThrottlingDynamo(throttled=100),
        sleep=lambda _: None,
    )
    with pytest.raises(StorageError, match="try again later"):
        store._batch_write([{"PutRequest": {"Item": {"n": {"N": "1"}}}}, {"PutRequest": {"Item": {}}}], "test")


def test_aws_failure_is_a_storage_error(store: ArticleStore) -> None:
    boto3.client("dynamodb").delete_table(TableName=store.table_name)
    with pytest.raises(StorageError) as caught:
        store.get_article("0" * 20)
    assert caught.value.code == "storage_unavailable" and "ResourceNotFoundException" in caught.value.message


# --- the speaker index never shows claims of an incomplete article ------------------------------------------------


class _Crash(BaseException):
    """The process dies here (no except clause of the code under test catches it)."""


def _complete_hooked(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch, article_id: str, before_flip: Any
) -> dict[str, Any]:
    """Run `before_flip()` when complete() is about to flip the article (its claims are written by then)."""
    real_update = store._dynamodb.update_item
    seen: dict[str, Any] = {}

    def update_item(**kwargs: Any) -> Any:
        if "claim_count" in str(kwargs.get("UpdateExpression")) and "flipped" not in seen:
            seen["flipped"] = True
            seen["result"] = before_flip()
        return real_update(**kwargs)

    monkeypatch.setattr(store._dynamodb, "update_item", update_item)
    return seen


@pytest.mark.usefixtures("small_transactions")
def test_speaker_index_hides_batch_written_claims_until_the_article_completes(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "x" * 300
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None

    def speaker_page() -> list[Any]:
        assert len(store.all_claims(article_id)) == STAGED_CLAIMS  # the claims are in the table, staged
        return store.speaker_claims("Ann Lee", limit=CLAIM_PAGE, next_token=None).items

    seen = _complete_hooked(store, monkeypatch, article_id, speaker_page)
    store.complete(record, _claims(text, "Ann Lee", STAGED_CLAIMS), now=utc_timestamp(), lease_id=lease)
    assert seen["result"] == []  # mid-completion: nothing
    first = store.speaker_claims("Ann Lee", limit=CLAIM_PAGE, next_token=None)
    second = store.speaker_claims("ann  LEE", limit=CLAIM_PAGE, next_token=first.next_token)
    assert (len(first.items), len(second.items), second.next_token) == (CLAIM_PAGE, STAGED_CLAIMS - CLAIM_PAGE, None)
    assert [c.index for c in first.items + second.items] == list(range(STAGED_CLAIMS))


@pytest.mark.usefixtures("small_transactions")
def test_claims_of_a_worker_that_died_mid_completion_stay_hidden(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "y" * 300
    article_id, lease = _pending_with_lease(store, text)
    done_text = "Officials said the talks went well."
    done_id, done_lease = _pending_with_lease(store, done_text)
    done = store.get_article(done_id)
    assert done is not None
    store.complete(done, _claims(done_text, "Ann Lee", 2), now=utc_timestamp(), lease_id=done_lease)
    record = store.get_article(article_id)
    assert record is not None

    def crash() -> None:
        raise _Crash

    _complete_hooked(store, monkeypatch, article_id, crash)
    with pytest.raises(_Crash):
        store.complete(record, _claims(text, "Ann Lee", STAGED_CLAIMS), now=utc_timestamp(), lease_id=lease)
    assert len(store.all_claims(article_id)) == STAGED_CLAIMS  # left behind in the table...
    page = store.speaker_claims("Ann Lee", limit=5, next_token=None)
    assert [c.article_id for c in page.items] == [done_id, done_id] and page.next_token is None  # ...never listed

    # Whoever takes the article over next replaces them with its own result, and only those are listed.
    _expire_lease(store, article_id)
    lease2 = _taken_lease(store, article_id, now=utc_timestamp())
    assert lease2
    monkeypatch.undo()
    store.complete(record, _claims(text, "Ann Lee", 3), now=utc_timestamp(), lease_id=lease2)
    assert [c.index for c in store.all_claims(article_id)] == [0, 1, 2]
    listed = store.speaker_claims("Ann Lee", limit=20, next_token=None).items
    assert sorted((c.article_id, c.index) for c in listed) == sorted(
        [(done_id, 0), (done_id, 1), (article_id, 0), (article_id, 1), (article_id, 2)]
    )


def test_a_page_is_filled_past_hidden_claims_and_truncated_queries(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DynamoDB stops a query at 1 MB (article items with inline bodies get there in a few items): a short answer
    # with a LastEvaluatedKey is not the end of the list.
    ids = []
    for i in range(6):
        text = f"Article number {i} said something."
        ids.append(_pending(store, text))
    real_query = store._dynamodb.query

    def query(**kwargs: Any) -> Any:
        return real_query(**{**kwargs, "Limit": min(kwargs["Limit"], 2)})

    monkeypatch.setattr(store._dynamodb, "query", query)
    first = store.list_articles(limit=4, next_token=None)
    second = store.list_articles(limit=4, next_token=first.next_token)
    assert (len(first.items), len(second.items), second.next_token) == (4, 2, None)
    assert {a.article_id for a in first.items + second.items} == set(ids)


# --- leases: a worker that lost its article writes nothing that stays ---------------------------------------------


@pytest.mark.usefixtures("small_transactions")
@pytest.mark.parametrize("count", [3, STAGED_CLAIMS])
def test_completion_under_a_lost_lease_leaves_nothing(store: ArticleStore, count: int) -> None:
    text = "z" * 300
    article_id, stale = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None
    _expire_lease(store, article_id)
    current = _taken_lease(store, article_id, now=utc_timestamp())  # taken over: `stale` is lost
    assert current
    with pytest.raises(ArticleStateConflict):
        store.complete(record, _claims(text, "Ann Lee", count), now=utc_timestamp(), lease_id=stale)
    assert store.all_claims(article_id) == []
    assert not store.fail(article_id, ArticleError(code="x", message="y"), now="t", lease_id=stale)
    pending = store.get_article(article_id)
    assert pending is not None and pending.status == "pending"


@pytest.mark.usefixtures("small_transactions")
def test_article_deleted_during_a_batch_completion_leaves_no_orphan_claims(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    text = "w" * 300
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None

    def deleted_meanwhile() -> None:  # e.g. removed after the lease lapsed, while this worker was still writing
        boto3.client("dynamodb").delete_item(
            TableName=store.table_name, Key={"pk": {"S": f"ARTICLE#{article_id}"}, "sk": {"S": "META"}}
        )

    _complete_hooked(store, monkeypatch, article_id, deleted_meanwhile)
    with pytest.raises(ArticleStateConflict):
        store.complete(record, _claims(text, "Ann Lee", STAGED_CLAIMS), now=utc_timestamp(), lease_id=lease)
    assert table_items(aws_env) == []


@pytest.mark.usefixtures("small_transactions")
def test_ambiguous_completion_is_not_undone(store: ArticleStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # The flip commits, the answer is lost and the retry finds the condition false: it was this lease's own write.
    text = "v" * 300
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None
    real_update = store._dynamodb.update_item

    def update_item(**kwargs: Any) -> Any:
        if "claim_count" in str(kwargs.get("UpdateExpression")):
            real_update(**kwargs)
        return real_update(**kwargs)

    monkeypatch.setattr(store._dynamodb, "update_item", update_item)
    store.complete(record, _claims(text, "Ann Lee", STAGED_CLAIMS), now=utc_timestamp(), lease_id=lease)
    done = store.get_article(article_id)
    assert done is not None and done.status == "complete" and len(store.all_claims(article_id)) == STAGED_CLAIMS
    # A failure reported afterwards (the service marks the article failed) loses to the completion.
    assert not store.fail(article_id, ArticleError(code="x", message="y"), now="t", lease_id=lease)
    assert len(store.all_claims(article_id)) == STAGED_CLAIMS


def test_failure_records_the_usage_of_the_attempt(store: ArticleStore) -> None:
    article_id, lease = _pending_with_lease(store, "Officials said the talks went well.")
    usage = Usage(extractor="llm", model="m", requests=3, prompt_tokens=300, completion_tokens=60, total_tokens=360)
    assert store.fail(article_id, ArticleError(code="llm_timeout", message="t"), now="t", lease_id=lease, usage=usage)
    failed = store.get_article(article_id)
    assert failed is not None and failed.usage == usage
    assert _taken_lease(store, article_id)  # a new attempt starts from nothing
    retried = store.get_article(article_id)
    assert retried is not None and retried.usage is None and retried.error is None


# --- deleting -----------------------------------------------------------------------------------------------------


def test_pending_article_under_a_live_lease_cannot_be_deleted(store: ArticleStore, aws_env: dict[str, str]) -> None:
    article_id = _pending(store, "Officials said the talks went well.")
    with pytest.raises(ArticleBusy):
        store.delete_article(article_id)
    assert len(table_items(aws_env)) == 1
    _expire_lease(store, article_id)  # its worker died: nothing races the delete any more
    assert store.delete_article(article_id)
    assert table_items(aws_env) == []
    assert not store.delete_article(article_id)


@pytest.mark.usefixtures("small_transactions")
@pytest.mark.parametrize("failing", ["delete_item", "batch_write_item", "delete_object"])
def test_a_delete_that_fails_half_way_never_shows_half_an_article_and_is_finished_by_the_next(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str], failing: str
) -> None:
    text = "𝒜" * 90_000  # body in S3
    article_id, lease = _pending_with_lease(store, text)
    record = store.get_article(article_id)
    assert record is not None
    store.complete(record, _claims(text, "Ann Lee", STAGED_CLAIMS), now=utc_timestamp(), lease_id=lease)
    client = store.s3 if failing == "delete_object" else store._dynamodb
    real = getattr(client, failing)

    def fails(**kwargs: Any) -> Any:
        raise StorageError("storage is unavailable: injected; try again later")

    monkeypatch.setattr(client, failing, fails)
    with pytest.raises(StorageError):
        store.delete_article(article_id)
    monkeypatch.setattr(client, failing, real)
    article = store.get_article(article_id)
    listed = store.speaker_claims("Ann Lee", limit=10, next_token=None).items
    if article is None:  # gone, and so are its claims for every reader
        assert listed == []
    else:  # untouched: whole
        assert article.status == "complete" and len(store.all_claims(article_id)) == STAGED_CLAIMS and len(listed) == 10
    assert store.delete_article(article_id)
    assert table_items(aws_env) == [] and bucket_keys(aws_env) == []


def test_body_written_for_an_item_that_could_not_be_stored_is_removed(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    s3 = boto3.client("s3")
    bucket = aws_env["WHOSAID_BUCKET_NAME"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})  # as template.yaml

    def put_item(**kwargs: Any) -> Any:
        raise StorageError("storage is unavailable: injected; try again later")

    monkeypatch.setattr(store._dynamodb, "put_item", put_item)
    text = "𝒜" * 90_000
    article_id = article_id_for_text(text)
    with pytest.raises(StorageError):
        _created_lease(store, Article(text=text), article_id)
    assert bucket_keys(aws_env) == []
    # Only the version this call wrote goes: a concurrent writer's body of the same text stays.
    s3.put_object(Bucket=bucket, Key=body_key(article_id), Body=text.encode())
    with pytest.raises(StorageError):
        _created_lease(store, Article(text=text), article_id)
    assert s3.get_object(Bucket=bucket, Key=body_key(article_id))["Body"].read() == text.encode()
