"""The API handler end to end on moto: every route through the events/api-*.json files, idempotent POST,
async mode, pagination, speaker search, delete, and upstream failures in the error shape."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from tests.support.memory_store import MemoryStorage
from tests.support.service_support import (
    SEED_ARTICLE_ID,
    SEED_TEXT,
    FakeExtractor,
    api_event,
    bucket_keys,
    invoke,
    load_event,
    table_items,
)
from whosaid.errors import LLMOutputError, LLMTimeoutError, LLMUnavailableError
from whosaid.service import ArticleService


def _post(body: dict[str, Any], query: dict[str, str] | None = None) -> Any:
    return invoke(api_event("POST", "/articles", body=body, query=query))


def _claim_count(env: dict[str, str]) -> int:
    return sum(1 for item in table_items(env) if item["sk"]["S"].startswith("CLAIM#"))


def _assert_error(result: Any, status: int, code: str) -> None:
    assert result.status == status, result.raw
    assert set(result.body) == {"error"} and set(result.body["error"]) == {"code", "message"}
    assert result.body["error"]["code"] == code
    assert "Traceback" not in result.raw


# --- the event files, in the order a client would use them -------------------------------------------------------


def test_every_route_event_file(memory_service: ArticleService, memory_storage: MemoryStorage) -> None:
    posted = invoke(load_event("api-post-article.json"))
    assert posted.status == 201, posted.raw
    article = posted.body["article"]
    assert article["article_id"] == SEED_ARTICLE_ID and article["status"] == "complete"
    assert article["text"] == SEED_TEXT and article["language"] == "en"

    listed = invoke(load_event("api-list-articles.json"))
    assert listed.status == 200
    assert [a["article_id"] for a in listed.body["articles"]] == [SEED_ARTICLE_ID]
    assert listed.body["next_token"] is None and listed.body["articles"][0]["text"] is None

    one = invoke(load_event("api-get-article.json"))
    assert one.status == 200 and one.body["article"]["status"] == "complete"

    claims = invoke(load_event("api-get-article-claims.json"))
    assert claims.status == 200
    assert claims.body["claims"] == posted.body["claims"][:20]

    speaker = invoke(load_event("api-get-speaker-claims.json"))  # /speakers/Hazem%20Qassem/claims
    assert speaker.status == 200 and speaker.body["next_token"] is None

    directory = invoke(load_event("api-list-speakers.json"))  # /speakers?q=qassem&limit=10
    assert directory.status == 200, directory.raw
    # The fake extractor's speakers are whatever precedes "said": the one it finds here starts with "Qassem".
    [entry] = directory.body["speakers"]
    assert entry["name"].startswith("Qassem ") and entry["claim_count"] == entry["article_count"] == 1
    assert entry["latest_article"]["article_id"] == SEED_ARTICLE_ID

    deleted = invoke(load_event("api-delete-article.json"))
    assert deleted.status == 204 and deleted.raw == ""
    assert memory_storage.is_empty()
    assert invoke(load_event("api-list-speakers.json")).body == {"speakers": [], "next_token": None}
    _assert_error(invoke(load_event("api-get-article.json")), 404, "not_found")
    _assert_error(invoke(load_event("api-delete-article.json")), 404, "not_found")


def test_malformed_event_file_is_400_and_writes_nothing(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    result = invoke(load_event("api-post-article-malformed.json"))
    _assert_error(result, 400, "invalid_json")
    assert "JSON" in result.body["error"]["message"]
    assert memory_storage.is_empty()


def test_seed_article_with_the_real_rules_extractor(aws_env: dict[str, str]) -> None:
    """No fake: the service the handler builds from the environment (WHOSAID_EXTRACTOR=rules)."""
    posted = invoke(load_event("api-post-article.json"))
    assert posted.status == 201, posted.raw
    assert posted.body["article"]["claim_count"] == len(posted.body["claims"]) > 0
    for claim in posted.body["claims"]:
        start, end = claim["content_span"]
        assert SEED_TEXT[start:end] == claim["content"]  # grounded in the text as submitted
    speaker = invoke(load_event("api-get-speaker-claims.json"))
    assert speaker.status == 200
    names = {c["speaker"]["name"] for c in speaker.body["claims"]}
    assert names == {"Hazem Qassem"} and len(speaker.body["claims"]) >= 1
    assert all(c["article_id"] == SEED_ARTICLE_ID for c in speaker.body["claims"])
    directory = invoke(load_event("api-list-speakers.json"))  # ?q=qassem
    [entry] = [e for e in directory.body["speakers"] if e["name"] == "Hazem Qassem"]
    assert entry["claim_count"] == len(speaker.body["claims"]) and entry["article_count"] == 1
    assert {c["speaker_id"] for c in speaker.body["claims"]} == {entry["speaker_id"]}


# --- idempotency --------------------------------------------------------------------------------------------------


def test_same_article_twice_is_201_then_200(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    body = {"text": "Hazem Qassem said the talks went well. Mary Smith said nothing had changed."}
    first, second = _post(body), _post(body)
    assert (first.status, second.status) == (201, 200)
    assert first.body["article"]["article_id"] == second.body["article"]["article_id"]
    assert first.body["claims"] == second.body["claims"] and len(first.body["claims"]) == 2
    assert memory_storage.claim_count() == 2 and fake_extractor.calls == 1


def test_twenty_concurrent_posts(
    memory_service: ArticleService,
    fake_extractor: FakeExtractor,
    memory_storage: MemoryStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Threads stand in for 20 Lambda instances. Each instance has its own metrics buffer, but threads share one, and
    # powertools' flush is not thread-safe ("Must contain at least one metric" when two flush at once): turn it off.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    fake_extractor.delay = 0.3
    body = {"text": "Hazem Qassem said the talks went well. Mary Smith said nothing had changed."}
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: _post(body), range(20)))
    assert sorted(r.status for r in results) == [200] * 19 + [201]
    assert len({r.body["article"]["article_id"] for r in results}) == 1
    assert memory_storage.article_count() == 1
    assert memory_storage.claim_count() == 2 and fake_extractor.calls == 1


# --- async --------------------------------------------------------------------------------------------------------


def test_async_post_is_202_with_a_status_url(
    memory_service: ArticleService, fake_extractor: FakeExtractor, memory_storage: MemoryStorage
) -> None:
    event = load_event("api-post-article.json")
    event["queryStringParameters"] = {"mode": "async"}
    event["multiValueQueryStringParameters"] = {"mode": ["async"]}
    accepted = invoke(event)
    assert accepted.status == 202, accepted.raw
    assert accepted.body["status_url"] == f"/Prod/articles/{SEED_ARTICLE_ID}"  # under the stage it came in on
    assert accepted.headers["location"] == accepted.body["status_url"]
    assert accepted.body["article"]["status"] == "pending" and fake_extractor.calls == 0
    assert memory_storage.queue.receive() == [{"type": "extract_article", "article_id": SEED_ARTICLE_ID}]

    pending = invoke(load_event("api-get-article.json"))
    assert pending.status == 200 and pending.body["article"]["status"] == "pending"
    _assert_error(invoke(load_event("api-get-article-claims.json")), 409, "article_not_complete")

    memory_service.process_pending(SEED_ARTICLE_ID)  # what the ingest function does with the message
    done = invoke(load_event("api-get-article.json"))
    assert done.body["article"]["status"] == "complete"
    assert invoke(load_event("api-get-article-claims.json")).status == 200


# --- lists --------------------------------------------------------------------------------------------------------


def test_articles_are_paginated_newest_first(memory_service: ArticleService) -> None:
    ids = [_post({"text": f"Person {i} said thing {i}."}).body["article"]["article_id"] for i in range(5)]
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"limit": "2", **({"next_token": token} if token else {})}
        page = invoke(api_event("GET", "/articles", query=query))
        assert page.status == 200
        seen += [a["article_id"] for a in page.body["articles"]]
        token = page.body["next_token"]
        pages += 1
        if token is None:
            break
    assert pages == 3 and seen == list(reversed(ids))


def test_claims_are_paginated_in_text_order(memory_service: ArticleService) -> None:
    text = " ".join(f"Person{i} said thing {i}." for i in range(7))
    article_id = _post({"text": text}).body["article"]["article_id"]
    first = invoke(api_event("GET", f"/articles/{article_id}/claims", query={"limit": "5"}))
    second = invoke(
        api_event("GET", f"/articles/{article_id}/claims", query={"limit": "5", "next_token": first.body["next_token"]})
    )
    assert [c["index"] for c in first.body["claims"] + second.body["claims"]] == list(range(7))
    assert second.body["next_token"] is None


def test_token_from_another_partition_is_rejected(
    memory_service: ArticleService, memory_storage: MemoryStorage
) -> None:
    a = _post({"text": "Ann Lee said one. Ann Lee said two. Ann Lee said three."}).body["article"]["article_id"]
    b = _post({"text": "Bob Roe said one. Bob Roe said two. Bob Roe said three."}).body["article"]["article_id"]
    token = invoke(api_event("GET", f"/articles/{a}/claims", query={"limit": "1"})).body["next_token"]
    assert token
    before = memory_storage.snapshot()
    for path in (f"/articles/{b}/claims", "/speakers/Bob%20Roe/claims", "/articles"):
        result = invoke(api_event("GET", path, query={"limit": "1", "next_token": token}))
        _assert_error(result, 400, "invalid_next_token")
        assert "next_token" in result.body["error"]["message"]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    _assert_error(
        invoke(api_event("GET", f"/articles/{a}/claims", query={"next_token": tampered})), 400, "invalid_next_token"
    )
    assert memory_storage.snapshot() == before


def test_speaker_claims_across_articles_newest_first(memory_service: ArticleService) -> None:
    older = _post({"text": "Házem Qassem said the old thing.", "published_at": "2021-08-01"})
    newer = _post({"text": "Hazem Qassem said the new thing.", "published_at": "2021-08-04T10:00:00Z"})
    _post({"text": "Mary Smith said something else.", "published_at": "2021-08-05"})
    for spelling in ("Hazem%20Qassem", "hazem%20QASSEM", "H%C3%A1zem%20Qassem", "Hazem%20%20Qassem"):
        result = invoke(api_event("GET", f"/speakers/{spelling}/claims"))
        assert result.status == 200, result.raw
        assert [c["content"] for c in result.body["claims"]] == ["the new thing", "the old thing"]
        assert [c["article_id"] for c in result.body["claims"]] == [
            newer.body["article"]["article_id"],
            older.body["article"]["article_id"],
        ]
    page = invoke(api_event("GET", "/speakers/Hazem%20Qassem/claims", query={"limit": "1"}))
    rest = invoke(
        api_event("GET", "/speakers/Hazem%20Qassem/claims", query={"limit": "1", "next_token": page.body["next_token"]})
    )
    assert [c["content"] for c in page.body["claims"] + rest.body["claims"]] == ["the new thing", "the old thing"]
    assert invoke(api_event("GET", "/speakers/Nobody/claims")).body == {"claims": [], "next_token": None}


def test_delete_removes_a_large_body_from_s3(article_service: ArticleService, aws_env: dict[str, str]) -> None:
    article_service.async_threshold_chars = 200_000  # keep this large article synchronous
    text = "Ann Lee said it. " + "𝒜" * 90_000  # 360 KB of UTF-8: its body goes to S3
    posted = _post({"text": text})
    assert posted.status == 201 and posted.body["article"]["text"] == text
    article_id = posted.body["article"]["article_id"]
    assert bucket_keys(aws_env) == [f"articles/{article_id}.txt"]
    assert invoke(api_event("DELETE", f"/articles/{article_id}")).status == 204
    assert table_items(aws_env) == [] and bucket_keys(aws_env) == []


# --- upstream failures --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (LLMOutputError("the model returned unusable output"), 502),
        (LLMUnavailableError("the LLM is unavailable"), 503),
        (LLMTimeoutError("the LLM timed out"), 504),
    ],
)
def test_llm_failure_is_5xx_and_leaves_the_article_failed(
    memory_service: ArticleService,
    fake_extractor: FakeExtractor,
    memory_storage: MemoryStorage,
    error: Exception,
    status: int,
) -> None:
    fake_extractor.error = error
    result = _post({"text": "Hazem Qassem said the talks went well."})
    _assert_error(result, status, error.code)  # type: ignore[attr-defined]
    (article,) = invoke(api_event("GET", "/articles")).body["articles"]
    assert article["status"] == "failed"
    assert article["error"]["code"] == error.code  # type: ignore[attr-defined]
    assert article["error"]["message"] == result.body["error"]["message"]
    assert memory_storage.claim_count() == 0


def test_aws_failure_is_503(article_service: ArticleService, aws_env: dict[str, str]) -> None:
    boto3.client("dynamodb").delete_table(TableName=aws_env["WHOSAID_TABLE_NAME"])
    _assert_error(_post({"text": "Hazem Qassem said the talks went well."}), 503, "storage_unavailable")
    _assert_error(invoke(load_event("api-list-articles.json")), 503, "storage_unavailable")


def test_unexpected_error_is_a_generic_500(memory_service: ArticleService, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /var/task/whosaid.py")

    monkeypatch.setattr(memory_service, "list_articles", broken)
    result = invoke(load_event("api-list-articles.json"))
    _assert_error(result, 500, "internal_error")
    assert "secret internals" not in result.raw and "RuntimeError" not in result.raw


# --- docs ---------------------------------------------------------------------------------------------------------


def test_openapi_and_swagger(memory_service: ArticleService) -> None:
    document = invoke(api_event("GET", "/openapi.json"))
    assert document.status == 200
    paths = document.body["paths"]
    assert set(paths) == {
        "/articles",
        "/articles/{article_id}",
        "/articles/{article_id}/claims",
        "/speakers",
        "/speakers/{speaker}/claims",
        "/uploads",
    }
    assert set(paths["/articles"]) == {"get", "post"} and set(paths["/articles/{article_id}"]) == {"get", "delete"}
    assert {"201", "200", "202", "400", "413", "422"} <= set(paths["/articles"]["post"]["responses"])
    assert "ErrorResponse" in document.body["components"]["schemas"]
    docs = invoke(api_event("GET", "/docs"))
    assert docs.status == 200 and "swagger" in docs.raw.lower()


def test_event_files_are_real_shaped() -> None:
    for name in (
        "api-post-article.json",
        "api-post-article-malformed.json",
        "api-list-articles.json",
        "api-get-article.json",
        "api-get-article-claims.json",
        "api-get-speaker-claims.json",
        "api-list-speakers.json",
        "api-delete-article.json",
        "api-list-uploads.json",
    ):
        event = copy.deepcopy(load_event(name))
        assert {"resource", "path", "httpMethod", "headers", "requestContext", "body", "isBase64Encoded"} <= set(event)
        assert event["requestContext"]["stage"] == "Prod"
        assert event["requestContext"]["path"] == "/Prod" + event["path"]
    assert load_event("api-get-speaker-claims.json")["path"] == "/speakers/Hazem%20Qassem/claims"
