"""The in-memory store (tests/support/memory_store.py) against the DynamoDB store on moto: the same sequences of
create, take, complete, fail and delete under live and lapsed leases, queued takes, listing and paging, the speaker
directory and uploads, run on both, must give the same observable results (records, claims, pages and their signed
tokens, errors), so the fake the API and service tests run on cannot drift from the real store.

Each scenario returns what it observed as plain data; lease ids (random) are replaced by their order of issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from tests.support.memory_store import MemoryArticleStore, MemoryUploadStore
from tests.support.service_support import FakeExtractor
from whosaid.errors import InvalidInputError, WhosaidError
from whosaid.models import Article, ExtractionResult, Usage
from whosaid.storage import (
    ArticleBusy,
    ArticleError,
    ArticleRecord,
    ArticleStateConflict,
    ArticleStore,
    Held,
    TokenCodec,
    UploadStore,
    article_id_for_text,
    search_words,
)
from whosaid.storage.protocols import ArticleStorage, UploadStorage

KEY = b"contract-test-key"
LIVE = 300
LAPSED = -5  # a lease that ran out before the next call


@dataclass
class Stores:
    articles: ArticleStorage
    uploads: UploadStorage


def _dynamodb(env: dict[str, str]) -> Stores:
    store = ArticleStore(
        table_name=env["WHOSAID_TABLE_NAME"],
        bucket_name=env["WHOSAID_BUCKET_NAME"],
        token_codec=TokenCodec(KEY),
        sleep=lambda _: None,
    )
    return Stores(store, UploadStore(store))


def _memory() -> Stores:
    store = MemoryArticleStore(token_codec=TokenCodec(KEY))
    return Stores(store, MemoryUploadStore(store))


class Observer:
    """Runs store calls and writes down what they answered, with lease ids named by their order of issue."""

    def __init__(self) -> None:
        self.seen: list[Any] = []
        self._leases: dict[str, str] = {}

    def lease(self, outcome: Held | ArticleRecord | None) -> str:
        assert isinstance(outcome, Held), outcome
        return outcome.lease_id

    def note(self, label: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`call(*args, **kwargs)`, its answer (or what it raised) written down under `label`; None if it raised."""
        try:
            value = call(*args, **kwargs)
        except (ArticleStateConflict, ArticleBusy, WhosaidError) as exc:
            self.seen.append((label, ("raised", type(exc).__name__, getattr(exc, "code", None))))
            return None
        self.seen.append((label, self._plain(value)))
        return value

    def _plain(self, value: Any) -> Any:
        if isinstance(value, Held):
            name = self._leases.setdefault(value.lease_id, f"lease{len(self._leases)}")
            return {"held": name, "article": self._plain(value.article)}
        if hasattr(value, "model_dump"):
            return value.model_dump(mode="json")
        if isinstance(value, tuple | list):
            return [self._plain(v) for v in value]
        return value


def _run_on_both(aws_env: dict[str, str], scenario: Callable[[Stores, Observer], None]) -> list[Any]:
    observed = []
    for stores in (_dynamodb(aws_env), _memory()):
        observer = Observer()
        scenario(stores, observer)
        observed.append(observer.seen)
    dynamodb, memory = observed
    for step_dynamodb, step_memory in zip(dynamodb, memory, strict=True):
        assert step_memory == step_dynamodb
    return dynamodb


def _extracted(text: str, **speakers: Any) -> ExtractionResult:
    return FakeExtractor(**speakers).extract(Article(text=text))


def _at(second: int) -> str:
    return f"2024-05-01T10:00:{second:02d}.000000Z"


TEXT = "Ann Lee said the talks went well. Bob Roe said nothing had changed."
ARTICLE_ID = article_id_for_text(TEXT)


def test_create_take_complete_fail_delete_under_a_live_lease(aws_env: dict[str, str]) -> None:
    def scenario(stores: Stores, seen: Observer) -> None:
        store = stores.articles
        article = Article(text=TEXT, title="Talks", published_at="2024-04-30T08:00:00Z", url="https://example.com/a")
        held = seen.note("create", store.create, article, ARTICLE_ID, now=_at(0), lease_seconds=LIVE)
        lease = seen.lease(held)
        seen.note("create again", store.create, article, ARTICLE_ID, now=_at(1), lease_seconds=LIVE)
        seen.note("take a live lease", store.take, ARTICLE_ID, now=_at(1), lease_seconds=LIVE)
        seen.note("delete a live lease", store.delete_article, ARTICLE_ID)
        result = _extracted(TEXT)
        record = held.article
        seen.note("complete, other lease", store.complete, record, result, now=_at(2), lease_id="other")
        seen.note("complete", store.complete, record, result, now=_at(2), lease_id=lease)
        seen.note("complete, retried", store.complete, record, result, now=_at(2), lease_id=lease)
        seen.note("fail after complete", store.fail, ARTICLE_ID, _error(), now=_at(3), lease_id=lease)
        seen.note("take complete", store.take, ARTICLE_ID, now=_at(3), lease_seconds=LIVE)
        seen.note("get", store.get_article, ARTICLE_ID, with_text=True)
        seen.note("all claims", store.all_claims, ARTICLE_ID)
        seen.note("finish directory", store.finish_directory, ARTICLE_ID)
        seen.note("delete", store.delete_article, ARTICLE_ID)
        seen.note("delete again", store.delete_article, ARTICLE_ID)
        seen.note("get deleted", store.get_article, ARTICLE_ID)
        seen.note("take deleted", store.take, ARTICLE_ID, now=_at(4), lease_seconds=LIVE)
        seen.note("claims deleted", store.all_claims, ARTICLE_ID)

    observed = dict(_run_on_both(aws_env, scenario))
    assert observed["create"]["held"] == "lease0" and observed["create again"]["status"] == "pending"
    assert observed["complete, other lease"] == ("raised", "ArticleStateConflict", None)
    assert observed["delete a live lease"] == ("raised", "ArticleBusy", None)
    assert observed["get"]["status"] == "complete" and observed["get"]["text"] == TEXT
    assert [c["content"] for c in observed["all claims"]] == ["the talks went well", "nothing had changed"]
    assert (observed["delete"], observed["delete again"], observed["get deleted"]) == (True, False, None)


def _error() -> ArticleError:
    return ArticleError(code="llm_unavailable", message="the LLM is down")


def test_lapsed_leases_failures_and_takeovers(aws_env: dict[str, str]) -> None:
    usage = Usage(extractor="llm", model="m", requests=2, prompt_tokens=10, completion_tokens=5, total_tokens=15)

    def scenario(stores: Stores, seen: Observer) -> None:
        store = stores.articles
        first = seen.note("create", store.create, Article(text=TEXT), ARTICLE_ID, now=_at(0), lease_seconds=LAPSED)
        old_lease = seen.lease(first)
        second = seen.note("take lapsed", store.take, ARTICLE_ID, now=_at(1), lease_seconds=LIVE)
        new_lease = seen.lease(second)
        result = _extracted(TEXT)
        seen.note("old complete", store.complete, first.article, result, now=_at(2), lease_id=old_lease)
        seen.note("old fail", store.fail, ARTICLE_ID, _error(), now=_at(2), lease_id=old_lease)
        seen.note("fail", store.fail, ARTICLE_ID, _error(), now=_at(3), lease_id=new_lease, usage=usage)
        seen.note("get failed", store.get_article, ARTICLE_ID)
        seen.note("delete failed? no: take it", store.take, ARTICLE_ID, now=_at(4), lease_seconds=LAPSED)
        seen.note("delete lapsed", store.delete_article, ARTICLE_ID)
        again = seen.note(
            "create after delete", store.create, Article(text=TEXT), ARTICLE_ID, now=_at(5), lease_seconds=LIVE
        )
        seen.note("fail it", store.fail, ARTICLE_ID, _error(), now=_at(6), lease_id=seen.lease(again))
        seen.note("delete failed", store.delete_article, ARTICLE_ID)

    observed = dict(_run_on_both(aws_env, scenario))
    assert observed["take lapsed"]["held"] == "lease1"
    assert observed["old fail"] is False and observed["fail"] is True
    assert observed["get failed"]["error"] == _error().model_dump() and observed["get failed"]["usage"]["requests"] == 2
    assert observed["delete failed? no: take it"]["article"]["error"] is None
    assert observed["delete lapsed"] is True and observed["delete failed"] is True


def test_a_queued_article_is_taken_by_its_worker_only(aws_env: dict[str, str]) -> None:
    def scenario(stores: Stores, seen: Observer) -> None:
        store = stores.articles
        origin = {"bucket": "b", "key": "incoming/a.txt", "size": 12}
        article = Article(text=TEXT)
        queued = seen.note(
            "create queued",
            store.create,
            article,
            ARTICLE_ID,
            now=_at(0),
            lease_seconds=LIVE,
            origin=origin,
            queued=True,
        )
        seen.note("take, not the worker", store.take, ARTICLE_ID, now=_at(1), lease_seconds=LIVE)
        seen.note("delete queued", store.delete_article, ARTICLE_ID)
        worker = seen.note(
            "worker takes", store.take, ARTICLE_ID, now=_at(2), lease_seconds=LIVE, from_queue=True, with_text=True
        )
        seen.note("worker again", store.take, ARTICLE_ID, now=_at(3), lease_seconds=LIVE, from_queue=True)
        seen.note(
            "old lease", store.complete, queued.article, _extracted(TEXT), now=_at(4), lease_id=seen.lease(queued)
        )
        seen.note("complete", store.complete, worker.article, _extracted(TEXT), now=_at(4), lease_id=seen.lease(worker))
        seen.note("worker after complete", store.take, ARTICLE_ID, now=_at(5), lease_seconds=LIVE, from_queue=True)

    observed = dict(_run_on_both(aws_env, scenario))
    assert observed["take, not the worker"]["status"] == "pending"
    assert observed["worker takes"]["article"]["text"] == TEXT
    assert observed["complete"][0]["status"] == "complete"


ARTICLES = [
    ("Hazem Qassem said the old thing. Mary Smith said a thing.", "2021-08-01T00:00:00Z"),
    ("Házem Qassem said the new thing. A senior official said nothing.", "2021-08-04T10:00:00Z"),
    ("Mary Smith said something else. Hamas said it agreed. Mary Smith said more.", None),
    ("Person Four said four. Person Five said five. Person Six said six. Person Seven said seven.", "2020-01-01"),
    ("Hazem Qassem said the last thing.", "2022-02-02"),
]


def _store_articles(stores: Stores, seen: Observer) -> list[str]:
    store = stores.articles
    extractor = FakeExtractor(
        types={"Hamas": "organization", "A senior official": "anonymous"}, roles={"Mary Smith": "minister"}
    )
    ids = []
    for second, (text, published) in enumerate(ARTICLES):
        article = Article(text=text, title=f"Article {second}", published_at=published)
        article_id = article_id_for_text(text)
        held = store.create(article, article_id, now=_at(second), lease_seconds=LIVE)
        assert isinstance(held, Held)
        seen.note(
            f"complete {second}",
            store.complete,
            held.article,
            extractor.extract(article),
            now=_at(second),
            lease_id=held.lease_id,
        )
        ids.append(article_id)
    return ids


def _all_pages(seen: Observer, label: str, read: Callable[..., Any]) -> list[Any]:
    """Every page of a list, `read(next_token=...)` from the first to the last, each noted."""
    pages = []
    token: str | None = None
    while True:
        page = seen.note(f"{label} page {len(pages)}", read, next_token=token)
        pages.append(page)
        token = page.next_token
        if token is None or len(pages) > 10:
            return pages


def test_lists_pages_and_their_tokens(aws_env: dict[str, str]) -> None:
    def scenario(stores: Stores, seen: Observer) -> None:
        store = stores.articles
        ids = _store_articles(stores, seen)
        _all_pages(seen, "articles", partial(store.list_articles, limit=2))
        _all_pages(seen, "claims", partial(store.list_claims, ids[3], limit=3))
        qassem = _all_pages(seen, "qassem", partial(store.speaker_claims, "hazem QASSEM", limit=2))
        speaker_id = qassem[0].items[0].speaker_id
        _all_pages(seen, "by id", partial(store.speaker_claims_by_id, speaker_id, limit=2))
        seen.note("unknown id", store.speaker_claims_by_id, "spk_" + "0" * 20, limit=2, next_token=None)
        seen.note("nobody", store.speaker_claims, "Nobody", limit=2, next_token=None)
        for words, speaker_type in (
            ([], None),
            (search_words("qas"), None),
            ([], "person"),
            (search_words("person s"), "person"),
        ):
            _all_pages(
                seen,
                f"speakers {words} {speaker_type}",
                partial(store.list_speakers, words=words, speaker_type=speaker_type, limit=2),
            )
        token = store.list_articles(limit=1, next_token=None).next_token
        seen.note("article token on claims", store.list_claims, ids[3], limit=1, next_token=token)
        seen.note(
            "article token on speakers", store.list_speakers, words=[], speaker_type=None, limit=1, next_token=token
        )
        speakers_token = store.list_speakers(words=[], speaker_type=None, limit=1, next_token=None).next_token
        seen.note(
            "speakers token, other query",
            store.list_speakers,
            words=[],
            speaker_type="person",
            limit=1,
            next_token=speakers_token,
        )

    observed = dict(_run_on_both(aws_env, scenario))
    assert [len(observed[f"articles page {i}"]["items"]) for i in range(3)] == [2, 2, 1]
    assert observed["qassem page 0"]["items"][0]["content"] == "the last thing"
    assert observed["article token on claims"] == ("raised", InvalidInputError.__name__, "invalid_next_token")
    assert observed["speakers token, other query"][0] == "raised"


def test_the_directory_follows_deletes(aws_env: dict[str, str]) -> None:
    def scenario(stores: Stores, seen: Observer) -> None:
        store = stores.articles
        ids = _store_articles(stores, seen)
        for index in (4, 1, 0):  # Hazem Qassem's latest articles first, so his entry is read back from the rest
            seen.note(f"delete {index}", store.delete_article, ids[index])
            seen.note(
                f"speakers after {index}", store.list_speakers, words=[], speaker_type=None, limit=20, next_token=None
            )
            seen.note(f"claims after {index}", store.speaker_claims, "Hazem Qassem", limit=20, next_token=None)

    observed = dict(_run_on_both(aws_env, scenario))
    assert "Hazem Qassem" not in [e["name"] for e in observed["speakers after 0"]["items"]]


def test_an_entry_whose_remembered_articles_are_all_deleted_reads_its_latest_back(aws_env: dict[str, str]) -> None:
    def scenario(stores: Stores, seen: Observer) -> None:
        store = stores.articles
        ids = []
        for day in range(1, 8):  # more articles than an entry remembers (directory.RECENT_ARTICLES)
            text = f"Ann Lee said thing {day}. Bob Roe said other {day}."
            article = Article(text=text, title=f"Day {day}", published_at=f"2024-03-0{day}T00:00:00Z")
            held = store.create(article, article_id_for_text(text), now=_at(day), lease_seconds=LIVE)
            assert isinstance(held, Held)
            store.complete(held.article, _extracted(text), now=_at(day), lease_id=held.lease_id)
            ids.append(held.article.article_id)
        for article_id in reversed(ids[2:]):  # the five latest
            seen.note(f"delete {article_id}", store.delete_article, article_id)
        seen.note("speakers", store.list_speakers, words=[], speaker_type=None, limit=20, next_token=None)

    observed = dict(_run_on_both(aws_env, scenario))
    latest = [entry["latest_article"]["title"] for entry in observed["speakers"]["items"]]
    assert latest == ["Day 2", "Day 2"]


def test_uploads_follow_their_articles(aws_env: dict[str, str]) -> None:
    def scenario(stores: Stores, seen: Observer) -> None:
        store, uploads = stores.articles, stores.uploads
        held = store.create(Article(text=TEXT), ARTICLE_ID, now=_at(0), lease_seconds=LIVE, queued=True)
        assert isinstance(held, Held)
        origin = {"bucket": "b", "key": "incoming/x.txt", "etag": "e", "version_id": "v", "size": 3}
        uploads.record(upload_id="upl_1", origin=origin, status="pending", now=_at(1), article_id=ARTICLE_ID)
        uploads.record(upload_id="upl_2", origin=origin, status="failed", now=_at(2), error=_error())
        uploads.record(upload_id="upl_3", origin=origin, status="gone", now=_at(3))
        uploads.record(upload_id="upl_4", origin=origin, status="pending", now=_at(4), article_id="f" * 20)
        for status in (None, "pending", "complete", "failed", "gone"):
            _all_pages(seen, f"{status} before", partial(uploads.list_uploads, status=status, limit=2))
        store.complete(held.article, _extracted(TEXT), now=_at(5), lease_id=held.lease_id)
        for status in (None, "pending", "complete"):
            _all_pages(seen, f"{status} after", partial(uploads.list_uploads, status=status, limit=2))
        token = uploads.list_uploads(status=None, limit=1, next_token=None).next_token
        seen.note("token of another status", uploads.list_uploads, status="gone", limit=1, next_token=token)

    observed = dict(_run_on_both(aws_env, scenario))
    assert [u["status"] for u in observed["complete after page 0"]["items"]] == ["complete"]
    assert observed["token of another status"][0] == "raised"


def test_the_memory_store_is_safe_under_concurrent_creates() -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = MemoryArticleStore()
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(
            pool.map(lambda i: store.create(Article(text=TEXT), ARTICLE_ID, now=_at(i), lease_seconds=LIVE), range(20))
        )
    assert sum(isinstance(o, Held) for o in outcomes) == 1


@pytest.mark.parametrize("from_queue", [False, True])
def test_the_memory_store_is_safe_under_concurrent_takes(from_queue: bool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = MemoryArticleStore()
    store.create(Article(text=TEXT), ARTICLE_ID, now=_at(0), lease_seconds=LAPSED, queued=from_queue)
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(
            pool.map(lambda i: store.take(ARTICLE_ID, now=_at(i), lease_seconds=LIVE, from_queue=from_queue), range(20))
        )
    assert sum(isinstance(o, Held) for o in outcomes) == 1
