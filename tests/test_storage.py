"""Storage: key design, speaker normalisation, pagination tokens, conditional/transactional/batch writes, S3 bodies,
and AWS failures reported as StorageError (moto; tables from template.yaml)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.service_support import bucket_keys, table_items
from whosaid.config import get_settings
from whosaid.errors import InvalidInputError, StorageError
from whosaid.models import Article, Claim, ExtractionResult, Speaker, Usage
from whosaid.storage import (
    ArticleError,
    ArticleStateConflict,
    ArticleStore,
    TokenCodec,
    article_id_for_text,
    codec_secret,
    speaker_key,
)
from whosaid.storage.keys import body_key, utc_timestamp


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


def _pending(store: ArticleStore, text: str, **metadata: Any) -> str:
    article_id = article_id_for_text(text)
    assert store.create_pending(Article(text=text, **metadata), article_id, now=utc_timestamp(), lease_seconds=60)
    return article_id


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
    assert not store.create_pending(Article(text=text), article_id, now=utc_timestamp(), lease_seconds=60)
    record = store.get_article(article_id, with_text=True)
    assert record is not None and record.status == "pending" and record.title == "Talks" and record.text == text
    assert len(table_items({"WHOSAID_TABLE_NAME": store.table_name})) == 1


def test_complete_flips_status_and_stores_claims_atomically(store: ArticleStore) -> None:
    text = "Officials said the talks went well."
    article_id = _pending(store, text)
    record = store.get_article(article_id)
    assert record is not None
    store.complete(record, _claims(text, "Ann Lee", 3), now=utc_timestamp())
    done = store.get_article(article_id)
    assert done is not None and done.status == "complete" and done.claim_count == 3
    assert [c.index for c in store.all_claims(article_id)] == [0, 1, 2]
    # A second completion loses its condition and writes nothing.
    with pytest.raises(ArticleStateConflict):
        store.complete(record, _claims(text, "Someone Else", 3), now=utc_timestamp())
    assert {c.speaker.name for c in store.all_claims(article_id)} == {"Ann Lee"}


def test_more_claims_than_one_transaction_are_batch_written_then_flipped(store: ArticleStore) -> None:
    text = "x" * 300
    article_id = _pending(store, text)
    record = store.get_article(article_id)
    assert record is not None
    store.complete(record, _claims(text, "Ann Lee", 250), now=utc_timestamp())
    assert len(store.all_claims(article_id)) == 250
    first = store.list_claims(article_id, limit=100, next_token=None)
    second = store.list_claims(article_id, limit=100, next_token=first.next_token)
    third = store.list_claims(article_id, limit=100, next_token=second.next_token)
    assert [len(first.items), len(second.items), len(third.items)] == [100, 100, 50]
    assert third.next_token is None
    assert [c.index for c in first.items + second.items + third.items] == list(range(250))
    assert store.delete_article(article_id)
    assert table_items({"WHOSAID_TABLE_NAME": store.table_name}) == []


def test_fail_removes_written_claims_and_records_the_reason(store: ArticleStore) -> None:
    text = "x" * 300
    article_id = _pending(store, text)
    record = store.get_article(article_id)
    assert record is not None
    items = [{"PutRequest": {"Item": item}} for item in _claim_items(record, text, 30)]
    store._batch_write(items, "test")  # as if a completion died after writing some claims
    store.fail(article_id, ArticleError(code="llm_timeout", message="the LLM timed out", status=504), now="t")
    failed = store.get_article(article_id)
    assert failed is not None and failed.status == "failed"
    assert failed.error is not None and failed.error.code == "llm_timeout" and failed.error.status == 504
    assert store.all_claims(article_id) == []


def _claim_items(record: Any, text: str, count: int) -> list[dict[str, Any]]:
    from whosaid.storage.items import claim_attributes, to_item

    return [to_item(claim_attributes(record, i, c)) for i, c in enumerate(_claims(text, "Ann Lee", count).claims)]


def test_acquire_takes_over_failed_or_expired_articles_only(store: ArticleStore) -> None:
    article_id = _pending(store, "Officials said the talks went well.")
    assert not store.acquire(article_id, now="t", lease_seconds=60)  # live lease: the worker is still at it
    assert store.acquire(article_id, now="t", lease_seconds=60, take_live_lease=True)  # the queue worker may
    store.fail(article_id, ArticleError(code="x", message="y"), now="t")
    assert store.acquire(article_id, now="t", lease_seconds=60)
    expired = _pending(store, "Someone said something else.")
    store._dynamodb.update_item(  # the worker crashed long ago
        TableName=store.table_name,
        Key={"pk": {"S": f"ARTICLE#{expired}"}, "sk": {"S": "META"}},
        UpdateExpression="SET lease_until = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    assert store.acquire(expired, now="t", lease_seconds=60)


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
    assert caught.value.status == 503 and "ResourceNotFoundException" in caught.value.message
