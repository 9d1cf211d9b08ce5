"""ArticleService: idempotent submission (also concurrent), failures leave the article failed and no claims,
async submission through the queue, and the OpenAI key from SSM / Secrets Manager (moto)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from pydantic import SecretStr

from infra.fake_openai import Behaviour, FakeOpenAI
from tests.support.memory_store import MemoryStorage, service_on
from tests.support.service_support import FakeExtractor, api_event, bucket_keys, invoke, table_items
from whosaid.config import get_settings
from whosaid.errors import (
    ConfigurationError,
    InvalidInputError,
    LLMOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
    NotFoundError,
    StorageError,
)
from whosaid.models import Article, Usage
from whosaid.service import ArticleNotReadyError, ArticleProcessingError, ArticleService, ExtractorProvider
from whosaid.service.secrets import OpenAIKeySource, PaginationKeySource, pagination_key, with_openai_key
from whosaid.storage import TokenCodec, article_id_for_text, codec_secret

TEXT = "Hazem Qassem said the talks went well. Mary Smith said nothing had changed."


def _claim_items(env: dict[str, str]) -> list[dict[str, object]]:
    return [item for item in table_items(env) if item["sk"]["S"].startswith("CLAIM#")]


def test_submit_twice_extracts_once(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    first = memory_service.submit(Article(text=TEXT, title="Talks"))
    second = memory_service.submit(Article(text=TEXT, title="A different title, same text"))
    assert (first.status, second.status) == ("created", "existing")
    assert first.article.article_id == second.article.article_id == article_id_for_text(TEXT)
    assert second.article.title == "Talks"  # the stored article, unchanged
    assert [c.content for c in second.claims] == ["the talks went well", "nothing had changed"]
    assert fake_extractor.calls == 1
    assert memory_storage.claim_count() == 2


def test_twenty_concurrent_submissions_store_one_article(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    fake_extractor.delay = 0.3  # long enough for every other request to arrive while the first extracts
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _: memory_service.submit(Article(text=TEXT)), range(20)))
    assert sorted(o.status for o in outcomes) == ["created"] + ["existing"] * 19
    assert {o.article.article_id for o in outcomes} == {article_id_for_text(TEXT)}
    assert all(len(o.claims) == 2 for o in outcomes)
    assert fake_extractor.calls == 1
    assert memory_storage.article_count() == 1
    assert memory_storage.claim_count() == 2


@pytest.mark.parametrize("error", [LLMUnavailableError("the LLM is down"), LLMTimeoutError("the LLM timed out")])
def test_extraction_failure_leaves_the_article_failed_without_claims(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage, error: Exception
) -> None:
    fake_extractor.error = error
    with pytest.raises(type(error)):
        memory_service.submit(Article(text=TEXT))
    record = memory_service.get_article(article_id_for_text(TEXT))
    assert record.status == "failed" and record.error is not None
    assert (record.error.code, record.error.message) == (error.code, error.message)  # type: ignore[attr-defined]
    assert memory_storage.claim_count() == 0
    with pytest.raises(ArticleNotReadyError):
        memory_service.list_claims(record.article_id)
    # The next submission retries and succeeds.
    fake_extractor.error = None
    assert memory_service.submit(Article(text=TEXT)).status == "created"
    assert memory_service.get_article(record.article_id).error is None


def test_unexpected_extractor_crash_is_an_extraction_error(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.error = ZeroDivisionError("bug")
    with pytest.raises(Exception) as caught:
        memory_service.submit(Article(text=TEXT))
    assert getattr(caught.value, "code", None) == "extraction_failed" and "bug" not in str(caught.value)
    assert memory_service.get_article(article_id_for_text(TEXT)).status == "failed"


def test_storage_failure_while_storing_claims_leaves_no_claims(
    article_service: ArticleService, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = " ".join(f"Speaker{i} said thing {i}." for i in range(150))  # more than one transaction: batch path
    store = article_service.store
    real_update = store._dynamodb.update_item

    def flip_fails(**kwargs: object) -> object:
        if "claim_count" in str(kwargs.get("UpdateExpression")):
            raise StorageError("storage is unavailable: completing the article failed; try again later")
        return real_update(**kwargs)

    monkeypatch.setattr(store._dynamodb, "update_item", flip_fails)
    with pytest.raises(StorageError):
        article_service.submit(Article(text=text))
    monkeypatch.setattr(store._dynamodb, "update_item", real_update)
    assert article_service.get_article(article_id_for_text(text)).status == "failed"
    assert _claim_items(aws_env) == []


def test_waiting_duplicate_reports_the_failure_of_the_first(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.delay = 0.3
    fake_extractor.error = LLMUnavailableError("the LLM is down")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(memory_service.submit, Article(text=TEXT)) for _ in range(3)]
    errors = [f.exception() for f in futures]
    assert all(getattr(e, "code", None) == "llm_unavailable" for e in errors)
    assert fake_extractor.calls == 1


def test_duplicate_that_waits_too_long_is_accepted(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.delay = 0.5
    memory_service.wait_seconds = 0.1  # in production 20 s, below API Gateway's 29 s
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(memory_service.submit, Article(text=TEXT))
        while fake_extractor.calls == 0:  # the first holds the article, extracting
            time.sleep(0.01)
        second = pool.submit(memory_service.submit, Article(text=TEXT)).result()
        assert second.status == "accepted" and second.article.status == "pending"
        assert first.result().status == "created"


def test_async_submission_queues_then_process_pending_completes(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    outcome = memory_service.submit(Article(text=TEXT), mode="async")
    assert outcome.status == "accepted" and outcome.article.status == "pending" and outcome.claims == []
    assert fake_extractor.calls == 0
    assert memory_storage.queue.receive() == [{"type": "extract_article", "article_id": outcome.article.article_id}]
    assert memory_service.submit(Article(text=TEXT), mode="async").status == "accepted"  # no second message
    assert memory_storage.queue.receive() == []

    done = memory_service.process_pending(outcome.article.article_id)
    assert done.status == "created" and len(done.claims) == 2
    again = memory_service.process_pending(outcome.article.article_id)  # SQS redelivery
    assert again.status == "existing" and fake_extractor.calls == 1
    with pytest.raises(NotFoundError):
        memory_service.process_pending("0" * 20)


def test_long_articles_go_async_through_the_api(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    # The route picks the mode by length; the service obeys the mode it is given (the ingest function's sync).
    memory_service.async_threshold_chars = 50
    assert invoke(api_event("POST", "/articles", body={"text": TEXT})).status == 202
    assert len(memory_storage.queue.receive()) == 1


def test_submit_obeys_its_mode_whatever_the_length(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    memory_service.async_threshold_chars = 50
    assert memory_service.submit(Article(text=TEXT), mode="sync").status == "created"
    assert fake_extractor.calls == 1 and memory_storage.queue.receive() == []


def test_queue_failure_marks_the_article_failed(article_service: ArticleService) -> None:
    article_service.queue.queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/missing"
    with pytest.raises(StorageError):
        article_service.submit(Article(text=TEXT), mode="async")
    assert article_service.get_article(article_id_for_text(TEXT)).status == "failed"


def test_from_settings_uses_the_environment(aws_env: dict[str, str]) -> None:
    service = ArticleService.from_settings(get_settings())
    assert service.store.table_name == aws_env["WHOSAID_TABLE_NAME"]
    assert service.queue.queue_url == aws_env["WHOSAID_QUEUE_URL"]
    assert service.submit(Article(text=TEXT)).article.status == "complete"  # the real rules extractor


# --- the OpenAI key -----------------------------------------------------------------------------------------------

SECRET = "sk-test-0123456789abcdef"


def test_openai_key_from_ssm_is_cached_and_never_logged(
    aws_env: dict[str, str], capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/whosaid/openai-key", Value=SECRET, Type="SecureString")
    source = OpenAIKeySource("/whosaid/openai-key")
    assert source.get() == SECRET
    ssm.put_parameter(Name="/whosaid/openai-key", Value="sk-rotated", Type="SecureString", Overwrite=True)
    assert source.get() == SECRET  # cached (max_age 300 s)
    settings = with_openai_key(get_settings().model_copy(update={"extractor": "auto"}), source)
    assert settings.openai_api_key is not None and settings.openai_api_key.get_secret_value() == SECRET
    assert settings.effective_extractor == "llm"
    assert SECRET not in capsys.readouterr().out + caplog.text


def test_openai_key_from_secrets_manager_json(aws_env: dict[str, str]) -> None:
    boto3.client("secretsmanager").create_secret(Name="whosaid/openai", SecretString=json.dumps({"api_key": SECRET}))
    assert OpenAIKeySource("secretsmanager:whosaid/openai").get() == SECRET


def test_missing_key_parameter_is_a_configuration_error(aws_env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="/whosaid/absent"):
        OpenAIKeySource("/whosaid/absent").get()


def test_rules_extractor_never_fetches_the_key(aws_env: dict[str, str]) -> None:
    settings = get_settings().model_copy(update={"extractor": "rules"})
    provider = ExtractorProvider(settings, OpenAIKeySource("/whosaid/absent"))  # would fail if read
    assert provider().name == "rules"


# --- consistency under failures and concurrency ---------------------------------------------------------------------

MANY = " ".join(f"Ann Lee said thing {i}." for i in range(150))  # more claims than one transaction: batch path


def test_speaker_claims_never_show_an_article_that_is_not_complete(
    article_service: ArticleService, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = article_service.store
    real_update = store._dynamodb.update_item
    seen: list[int] = []

    def update_item(**kwargs: object) -> object:
        if "claim_count" in str(kwargs.get("UpdateExpression")):  # the flip: every claim is written by now
            result = invoke(api_event("GET", "/speakers/Ann%20Lee/claims", query={"limit": "100"}))
            seen.append(len(result.body["claims"]))
            raise StorageError("storage is unavailable: completing the article failed; try again later")
        return real_update(**kwargs)

    monkeypatch.setattr(store._dynamodb, "update_item", update_item)
    with pytest.raises(StorageError):
        article_service.submit(Article(text=MANY))
    monkeypatch.setattr(store._dynamodb, "update_item", real_update)
    assert seen == [0]
    assert article_service.speaker_claims("Ann Lee").items == []  # failed: still nothing
    assert article_service.submit(Article(text=MANY)).status == "created"
    page = article_service.speaker_claims("Ann Lee", limit=100)
    assert len(page.items) == 100 and page.next_token


def test_ambiguous_completion_is_kept_not_failed(
    article_service: ArticleService, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flip commits but its answer is lost (a timeout after the write): the article must stay complete with all
    # its claims, not be "failed" with its claims deleted.
    store = article_service.store
    real_update = store._dynamodb.update_item

    def update_item(**kwargs: object) -> object:
        result = real_update(**kwargs)
        if "claim_count" in str(kwargs.get("UpdateExpression")):
            raise StorageError("storage is unavailable: completing the article failed (timeout); try again later")
        return result

    monkeypatch.setattr(store._dynamodb, "update_item", update_item)
    with pytest.raises(StorageError):
        article_service.submit(Article(text=MANY))
    monkeypatch.setattr(store._dynamodb, "update_item", real_update)
    record = article_service.get_article(article_id_for_text(MANY))
    assert record.status == "complete" and record.claim_count == 150
    assert len(_claim_items(aws_env)) == 150
    assert article_service.submit(Article(text=MANY)).status == "existing"


def test_delete_of_an_article_being_processed_is_refused(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    fake_extractor.delay = 0.5
    article_id = article_id_for_text(MANY)
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(memory_service.submit, Article(text=MANY))
        while fake_extractor.calls == 0:
            time.sleep(0.01)
        result = invoke(api_event("DELETE", f"/articles/{article_id}"))
        assert result.status == 409 and result.body["error"]["code"] == "article_processing", result.raw
        assert running.result().status == "created"
    assert memory_storage.claim_count() == 150  # the extraction finished undisturbed
    assert invoke(api_event("DELETE", f"/articles/{article_id}")).status == 204
    assert memory_storage.is_empty()

    queued = memory_service.submit(Article(text=TEXT), mode="async")  # waiting in the queue is processing too
    with pytest.raises(ArticleProcessingError):
        memory_service.delete_article(queued.article.article_id)


def test_failed_extraction_records_the_usage_of_the_attempt(
    memory_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    error = LLMTimeoutError("the LLM timed out")
    error.usage = Usage(
        extractor="llm", model="m", requests=4, prompt_tokens=400, completion_tokens=80, total_tokens=480
    )
    fake_extractor.error = error
    with pytest.raises(LLMTimeoutError):
        memory_service.submit(Article(text=TEXT))
    record = memory_service.get_article(article_id_for_text(TEXT))
    assert record.status == "failed" and record.usage == error.usage


def test_llm_extractor_failure_carries_its_partial_usage_to_the_article(
    memory_storage: MemoryStorage, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whosaid.config import Settings
    from whosaid.extraction.llm import LLMExtractor

    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("WHOSAID_MODEL", "test-model")
    extractor = LLMExtractor(Settings())
    service = service_on(memory_storage, lambda: extractor)
    invalid = {"claims": [{"speaker": "Hazem Qassem", "stance": "shouts"}]}
    fake_openai.enqueue(Behaviour(content=invalid), Behaviour(content=invalid))  # invalid, re-asked, invalid again
    with pytest.raises(LLMOutputError) as caught:
        service.submit(Article(text=TEXT))
    record = service.get_article(article_id_for_text(TEXT))
    assert record.status == "failed" and record.error is not None and record.error.code == "llm_bad_output"
    assert record.usage is not None and caught.value.usage == record.usage
    assert (record.usage.extractor, record.usage.requests, record.usage.total_tokens) == ("llm", 2, 240)


def test_configuration_error_details_stay_in_the_logs(
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("WHOSAID_EXTRACTOR", "llm")
    monkeypatch.setenv("WHOSAID_OPENAI_API_KEY_PARAMETER", "/whosaid/secret-name")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    service = ArticleService.from_settings(get_settings())
    monkeypatch.setattr("whosaid.api.routes.get_article_service", lambda: service)
    result = invoke(api_event("POST", "/articles", body={"text": TEXT}))
    assert result.status == 500 and result.body["error"]["code"] == "configuration_error", result.raw
    assert "secret-name" not in result.raw and "WHOSAID" not in result.raw
    record = service.get_article(article_id_for_text(TEXT))
    assert record.status == "failed" and record.error is not None and record.error.code == "configuration_error"
    assert "secret-name" not in record.error.message
    assert "secret-name" not in invoke(api_event("GET", f"/articles/{record.article_id}")).raw
    details = [str(getattr(r, "detail", "")) for r in caplog.records]
    assert any("/whosaid/secret-name" in d for d in details)  # the operator can see what is wrong


def test_pending_article_whose_body_is_gone_is_marked_failed(
    article_service: ArticleService, aws_env: dict[str, str]
) -> None:
    text = "Ann Lee said it. " + "𝒜" * 90_000  # body in S3
    accepted = article_service.submit(Article(text=text), mode="async")
    assert accepted.status == "accepted"
    [key] = bucket_keys(aws_env)
    boto3.client("s3").delete_object(Bucket=aws_env["WHOSAID_BUCKET_NAME"], Key=key)
    with pytest.raises(StorageError):
        article_service.process_pending(accepted.article.article_id)
    record = article_service.get_article(accepted.article.article_id)
    assert record.status == "failed" and record.error is not None and record.error.code == "storage_unavailable"


def test_a_completion_that_loses_its_lease_waits_for_the_new_holder(
    memory_service: ArticleService, memory_storage: MemoryStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Our lease lapsed while we extracted and another attempt, holding the pending article now, is storing its
    # outcome: rather than fail the request, wait for that outcome, as a concurrent duplicate does.
    import threading

    from whosaid.storage.articles import ArticleStateConflict

    store = memory_service.store
    real_complete = store.complete
    others: list[threading.Thread] = []

    def lose_the_lease(article, result, *, now, lease_id):  # type: ignore[no-untyped-def]
        later = threading.Timer(0.3, lambda: real_complete(article, result, now=now, lease_id=lease_id))
        others.append(later)
        later.start()
        raise ArticleStateConflict(article.article_id)

    monkeypatch.setattr(store, "complete", lose_the_lease)
    outcome = memory_service.submit(Article(text=TEXT))
    others[0].join()
    assert outcome.status == "existing" and len(outcome.claims) == 2


# --- the pagination key ---------------------------------------------------------------------------------------------

GENERATED = "Q3kz8generatedbythestack0123456789abcdefghijklmnopqrstuvwxyzABCD"


def _token(codec: TokenCodec) -> str:
    token = codec.encode("ARTICLES", {"pk": "ARTICLES", "sk": "x"})
    assert token is not None
    return token


def test_pagination_key_is_read_from_secrets_manager_through_powertools_and_cached(aws_env: dict[str, str]) -> None:
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="whosaid-test-pagination-key", SecretString=GENERATED)["ARN"]
    settings = get_settings().model_copy(update={"pagination_secret_arn": arn})
    key = pagination_key(settings)
    assert isinstance(key, PaginationKeySource)
    codec = TokenCodec(key)
    token = _token(codec)
    # Signed with the secret's value: another codec holding that value accepts it, the derived key does not.
    assert TokenCodec(GENERATED.encode()).decode(token, "ARTICLES", "pk") == {"pk": "ARTICLES", "sk": "x"}
    with pytest.raises(InvalidInputError):
        TokenCodec(codec_secret(None, settings.table_name)).decode(token, "ARTICLES", "pk")
    secrets.put_secret_value(SecretId=arn, SecretString="replaced")
    assert _token(codec) == token  # cached by the SecretsProvider, not re-read per token


def test_article_listing_pages_with_the_generated_key(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="whosaid-test-key", SecretString=GENERATED)["ARN"]
    monkeypatch.setenv("WHOSAID_PAGINATION_SECRET_ARN", arn)  # as the template sets it for the API function
    get_settings.cache_clear()
    service = ArticleService.from_settings(get_settings())
    for text in (TEXT, TEXT + " Bob Day said more."):
        service.submit(Article(text=text))
    first = service.list_articles(limit=1)
    assert first.next_token is not None
    assert TokenCodec(GENERATED.encode()).decode(first.next_token, "ARTICLES", "gsi2pk") is not None
    second = service.list_articles(limit=1, next_token=first.next_token)
    assert {a.article_id for a in first.items + second.items} == {
        article_id_for_text(TEXT),
        article_id_for_text(TEXT + " Bob Day said more."),
    }


def test_pagination_key_is_read_only_when_a_token_is_signed(aws_env: dict[str, str]) -> None:
    settings = get_settings().model_copy(update={"pagination_secret_arn": "arn:aws:secretsmanager:us-east-1:1:absent"})
    service = ArticleService.from_settings(settings)  # what the ingest function builds: no read, no failure
    assert service.submit(Article(text=TEXT)).article.status == "complete"
    # An ARN that cannot be read is a configuration error, never a silent fall back to the derived key.
    codec = TokenCodec(pagination_key(settings))
    with pytest.raises(ConfigurationError, match="WHOSAID_PAGINATION_SECRET_ARN"):
        _token(codec)
    # Checking a token fails the same way: a 500 the operator must fix, not a client's invalid_next_token.
    with pytest.raises(ConfigurationError):
        codec.decode(_token(TokenCodec(b"any")), "ARTICLES", "pk")


def test_pagination_key_precedence(aws_env: dict[str, str]) -> None:
    base = get_settings()
    # WHOSAID_PAGINATION_SECRET (local runs) wins over the ARN, which is then never read.
    explicit = base.model_copy(
        update={"pagination_secret": SecretStr("local-key"), "pagination_secret_arn": "arn:aws:secretsmanager:x"}
    )
    assert pagination_key(explicit) == b"local-key"
    # Neither set (local stack, tests): the key derived from the table name, as before.
    neither = base.model_copy(update={"pagination_secret": None, "pagination_secret_arn": ""})
    assert pagination_key(neither) == codec_secret(None, base.table_name)


# --- metrics the alarms read ----------------------------------------------------------------------------------------

LLM_USAGE = Usage(extractor="llm", model="m", requests=2, prompt_tokens=900, completion_tokens=334, total_tokens=1234)


class _PaidExtractor(FakeExtractor):
    """The fake extractor, reporting what an LLM would have charged."""

    def extract(self, article: Article, *, deadline: object = None) -> object:  # type: ignore[override]
        if self.error is not None:
            self.error.usage = LLM_USAGE
            raise self.error
        return super().extract(article).model_copy(update={"usage": LLM_USAGE})


def _metric_values(name: str) -> list[float]:
    from whosaid.observability import metrics

    return list(metrics.metric_set.get(name, {}).get("Value", []))


@pytest.mark.parametrize("fails", [False, True])
def test_llm_tokens_and_failures_are_counted_once_per_extraction(memory_storage: MemoryStorage, fails: bool) -> None:
    from whosaid.observability import metrics

    extractor = _PaidExtractor(error=LLMTimeoutError("the model took too long") if fails else None)
    service = service_on(memory_storage, lambda: extractor)
    metrics.clear_metrics()
    try:
        if fails:
            with pytest.raises(LLMTimeoutError):
                service.submit(Article(text=TEXT))
        else:
            service.submit(Article(text=TEXT))
        # The LlmTokens alarm sums these per hour: a failed attempt's tokens were paid for and count too.
        assert _metric_values("LlmTokens") == [1234]
        assert _metric_values("ExtractionFailures") == ([1] if fails else [])
    finally:
        metrics.clear_metrics()
