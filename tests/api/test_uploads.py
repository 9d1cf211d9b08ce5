"""GET /uploads through the API handler on moto: processed uploads newest first, the status filter, pagination with
signed tokens bound to the filter, and pending uploads that follow their article. The ingest side (what gets
recorded, and when) is in tests/ingest/test_ingest.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.service_support import SEED_TEXT, FakeExtractor, api_event, invoke, load_event
from whosaid.errors import InvalidInputError, LLMOutputError
from whosaid.models import Article
from whosaid.service import ArticleService
from whosaid.storage.keys import upload_id


def _origin(key: str, size: int = 10) -> dict[str, Any]:
    return {"bucket": "whosaid-test-bucket", "key": key, "etag": "e" * 32, "size": size, "version_id": "v1"}


def _record(service: ArticleService, key: str, status: Any, **kwargs: Any) -> str:
    uid = upload_id("whosaid-test-bucket", key, "e" * 32, "v1", key)
    service.record_upload(uid, _origin(key), status, **kwargs)
    return uid


def _list(**query: str) -> Any:
    return invoke(api_event("GET", "/uploads", query=query or None))


def _keys(result: Any) -> list[str]:
    assert result.status == 200, result.raw
    return [upload["key"] for upload in result.body["uploads"]]


def _assert_error(result: Any, status: int, code: str) -> None:
    assert result.status == status, result.raw
    assert result.body["error"]["code"] == code
    assert "Traceback" not in result.raw


def test_uploads_newest_first_with_their_outcome_and_the_event_file(memory_service: ArticleService) -> None:
    article_id = memory_service.submit(Article(text=SEED_TEXT)).article.article_id
    _record(memory_service, "incoming/a.txt", "complete", article_id=article_id)
    bad = _record(memory_service, "incoming/b.pdf", "failed", error=InvalidInputError("unsupported file type '.pdf'"))
    _record(memory_service, "incoming/c.txt", "gone")

    result = _list()

    assert _keys(result) == ["incoming/c.txt", "incoming/b.pdf", "incoming/a.txt"]
    assert result.body["next_token"] is None
    newest, failed, oldest = result.body["uploads"]
    assert oldest["status"] == "complete" and oldest["article_id"] == article_id and oldest["error"] is None
    assert failed == {
        "upload_id": bad,
        "bucket": "whosaid-test-bucket",
        "key": "incoming/b.pdf",
        "etag": "e" * 32,
        "version_id": "v1",
        "size": 10,
        "status": "failed",
        "article_id": None,
        "error": {"code": "invalid_input", "message": "unsupported file type '.pdf'"},  # no HTTP status stored
        "created_at": failed["created_at"],
        "updated_at": failed["created_at"],
    }
    assert newest["status"] == "gone"
    assert oldest["created_at"] < failed["created_at"] < newest["created_at"]
    # The sample event asks for the failed ones.
    assert _keys(invoke(load_event("api-list-uploads.json"))) == ["incoming/b.pdf"]
    # Uploads are not articles: the article listing is unchanged.
    articles = invoke(api_event("GET", "/articles"))
    assert [a["article_id"] for a in articles.body["articles"]] == [article_id]


@pytest.mark.parametrize("status", ["complete", "pending", "failed", "gone"])
def test_status_filter(memory_service: ArticleService, status: str) -> None:
    for name in ("complete", "pending", "failed", "gone"):
        error = InvalidInputError("bad") if name == "failed" else None
        _record(memory_service, f"incoming/{name}.txt", name, error=error)  # pending: no article (deleted since)

    assert _keys(_list(status=status)) == [f"incoming/{status}.txt"]


def test_pagination_is_signed_and_bound_to_the_status(memory_service: ArticleService) -> None:
    for index in range(5):
        _record(memory_service, f"incoming/{index}.txt", "failed", error=InvalidInputError("bad"))
    _record(memory_service, "incoming/ok.txt", "complete")

    pages: list[list[str]] = []
    token: str | None = None
    while True:
        result = _list(status="failed", limit="2", **({"next_token": token} if token else {}))
        pages.append(_keys(result))
        token = result.body["next_token"]
        if token is None:
            break
    assert [key for page in pages for key in page] == [f"incoming/{i}.txt" for i in (4, 3, 2, 1, 0)]
    assert all(len(page) <= 2 for page in pages)

    first = _list(status="failed", limit="2").body["next_token"]
    _assert_error(_list(next_token=first), 400, "invalid_next_token")  # a failed-only token for the whole list
    _assert_error(_list(status="gone", next_token=first), 400, "invalid_next_token")
    _assert_error(_list(status="failed", next_token=first[:-3] + "AAA"), 400, "invalid_next_token")
    # A token of the article listing (the same index, another partition) does not page uploads.
    for text in (SEED_TEXT, SEED_TEXT + "\n\nThe mayor said nothing."):
        memory_service.submit(Article(text=text))
    articles_token = invoke(api_event("GET", "/articles", query={"limit": "1"})).body["next_token"]
    assert articles_token
    _assert_error(_list(next_token=articles_token), 400, "invalid_next_token")
    plain = _list(limit="3")
    assert _keys(plain) == ["incoming/ok.txt", "incoming/4.txt", "incoming/3.txt"]
    assert _keys(_list(limit="3", next_token=plain.body["next_token"])) == [f"incoming/{i}.txt" for i in (2, 1, 0)]


def test_bad_status_and_limit_are_422(memory_service: ArticleService) -> None:
    for query in ({"status": "done"}, {"status": ""}, {"limit": "0"}, {"limit": "101"}):
        result = _list(**query)
        _assert_error(result, 422, "validation_error")


def test_a_pending_upload_follows_its_article(memory_service: ArticleService, fake_extractor: FakeExtractor) -> None:
    first = memory_service.submit(Article(text=SEED_TEXT), mode="async").article.article_id
    second = memory_service.submit(Article(text=SEED_TEXT + "\n\nThe mayor said nothing."), mode="async")
    second_id = second.article.article_id
    _record(memory_service, "incoming/first.txt", "pending", article_id=first)
    _record(memory_service, "incoming/second.txt", "pending", article_id=second_id)
    assert [u["status"] for u in _list().body["uploads"]] == ["pending", "pending"]
    assert _keys(_list(status="complete")) == [] and _keys(_list(status="failed")) == []

    memory_service.process_pending(first)
    fake_extractor.error = LLMOutputError("The model refused to extract claims: policy")
    with pytest.raises(LLMOutputError):
        memory_service.process_pending(second_id)

    second_upload, first_upload = _list().body["uploads"]
    assert (first_upload["status"], first_upload["error"]) == ("complete", None)
    assert second_upload["status"] == "failed"
    assert second_upload["error"]["code"] == "llm_bad_output" and second_upload["article_id"] == second_id
    assert second_upload["updated_at"] > second_upload["created_at"]
    assert _keys(_list(status="complete")) == ["incoming/first.txt"]
    assert _keys(_list(status="failed")) == ["incoming/second.txt"]
    assert _keys(_list(status="pending")) == []
