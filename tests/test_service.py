"""ArticleService: idempotent submission (also concurrent), failures leave the article failed and no claims,
async submission through the queue, and the OpenAI key from SSM / Secrets Manager (moto)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from tests.service_support import FakeExtractor, queue_messages, table_items
from whosaid.config import get_settings
from whosaid.errors import ConfigurationError, LLMTimeoutError, LLMUnavailableError, NotFoundError, StorageError
from whosaid.models import Article
from whosaid.service import ArticleNotReadyError, ArticleService, ExtractorProvider
from whosaid.service.secrets import OpenAIKeySource, with_openai_key
from whosaid.storage import article_id_for_text

TEXT = "Hazem Qassem said the talks went well. Mary Smith said nothing had changed."


def _claim_items(env: dict[str, str]) -> list[dict[str, object]]:
    return [item for item in table_items(env) if item["sk"]["S"].startswith("CLAIM#")]


def test_submit_twice_extracts_once(
    article_service: ArticleService, fake_extractor: FakeExtractor, aws_env: dict[str, str]
) -> None:
    first = article_service.submit(Article(text=TEXT, title="Talks"))
    second = article_service.submit(Article(text=TEXT, title="A different title, same text"))
    assert (first.status, second.status) == ("created", "existing")
    assert first.article.article_id == second.article.article_id == article_id_for_text(TEXT)
    assert second.article.title == "Talks"  # the stored article, unchanged
    assert [c.content for c in second.claims] == ["the talks went well", "nothing had changed"]
    assert fake_extractor.calls == 1
    assert len(_claim_items(aws_env)) == 2


def test_twenty_concurrent_submissions_store_one_article(
    article_service: ArticleService, fake_extractor: FakeExtractor, aws_env: dict[str, str]
) -> None:
    fake_extractor.delay = 0.3  # long enough for every other request to arrive while the first extracts
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _: article_service.submit(Article(text=TEXT)), range(20)))
    assert sorted(o.status for o in outcomes) == ["created"] + ["existing"] * 19
    assert {o.article.article_id for o in outcomes} == {article_id_for_text(TEXT)}
    assert all(len(o.claims) == 2 for o in outcomes)
    assert fake_extractor.calls == 1
    items = table_items(aws_env)
    assert len([i for i in items if i["sk"]["S"] == "META"]) == 1
    assert len(_claim_items(aws_env)) == 2


@pytest.mark.parametrize("error", [LLMUnavailableError("the LLM is down"), LLMTimeoutError("the LLM timed out")])
def test_extraction_failure_leaves_the_article_failed_without_claims(
    article_service: ArticleService, fake_extractor: FakeExtractor, aws_env: dict[str, str], error: Exception
) -> None:
    fake_extractor.error = error
    with pytest.raises(type(error)):
        article_service.submit(Article(text=TEXT))
    record = article_service.get_article(article_id_for_text(TEXT))
    assert record.status == "failed" and record.error is not None
    assert (record.error.code, record.error.message) == (error.code, error.message)  # type: ignore[attr-defined]
    assert _claim_items(aws_env) == []
    with pytest.raises(ArticleNotReadyError):
        article_service.list_claims(record.article_id)
    # The next submission retries and succeeds.
    fake_extractor.error = None
    assert article_service.submit(Article(text=TEXT)).status == "created"
    assert article_service.get_article(record.article_id).error is None


def test_unexpected_extractor_crash_is_an_extraction_error(
    article_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.error = ZeroDivisionError("bug")
    with pytest.raises(Exception) as caught:
        article_service.submit(Article(text=TEXT))
    assert getattr(caught.value, "status", None) == 502 and "bug" not in str(caught.value)
    assert article_service.get_article(article_id_for_text(TEXT)).status == "failed"


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
    article_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.delay = 0.3
    fake_extractor.error = LLMUnavailableError("the LLM is down")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(article_service.submit, Article(text=TEXT)) for _ in range(3)]
    errors = [f.exception() for f in futures]
    assert all(getattr(e, "status", None) == 503 for e in errors)
    assert fake_extractor.calls == 1


def test_duplicate_that_waits_too_long_is_accepted(
    article_service: ArticleService, fake_extractor: FakeExtractor
) -> None:
    fake_extractor.delay = 0.5
    article_service.wait_seconds = 0.1  # in production 20 s, below API Gateway's 29 s
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(article_service.submit, Article(text=TEXT))
        while fake_extractor.calls == 0:  # the first holds the article, extracting
            time.sleep(0.01)
        second = pool.submit(article_service.submit, Article(text=TEXT)).result()
        assert second.status == "accepted" and second.article.status == "pending"
        assert first.result().status == "created"


def test_async_submission_queues_then_process_pending_completes(
    article_service: ArticleService, fake_extractor: FakeExtractor, aws_env: dict[str, str]
) -> None:
    outcome = article_service.submit(Article(text=TEXT), mode="async")
    assert outcome.status == "accepted" and outcome.article.status == "pending" and outcome.claims == []
    assert fake_extractor.calls == 0
    assert queue_messages(aws_env) == [{"type": "extract_article", "article_id": outcome.article.article_id}]
    assert article_service.submit(Article(text=TEXT), mode="async").status == "accepted"  # no second message
    assert queue_messages(aws_env) == []

    done = article_service.process_pending(outcome.article.article_id)
    assert done.status == "created" and len(done.claims) == 2
    again = article_service.process_pending(outcome.article.article_id)  # SQS redelivery
    assert again.status == "existing" and fake_extractor.calls == 1
    with pytest.raises(NotFoundError):
        article_service.process_pending("0" * 20)


def test_long_articles_go_async_automatically(article_service: ArticleService, aws_env: dict[str, str]) -> None:
    article_service.async_threshold_chars = 50
    assert article_service.submit(Article(text=TEXT)).status == "accepted"
    assert len(queue_messages(aws_env)) == 1


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
