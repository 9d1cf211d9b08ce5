"""In-memory storage for the service (whosaid.storage.protocols), for the API and service tests that are not about
storage: the same answers as the DynamoDB store for everything the service and the API observe, without moto.

What it shares with the real store rather than re-implementing: the lease state machine's named conditions
(`article_states.ABSENT`, `HELD`, `TAKEABLE`, `TAKEABLE_FROM_QUEUE`, `DELETABLE`, each with its Python form), the
items an article, a claim and an upload are stored as and the records read from them (`storage.items`,
`storage.uploads`), the speaker directory's counting and search (`storage.directory`), signed page tokens over the
same keys (`storage.pagination`) and the ids (`storage.keys`). What it does itself: keeping items in dicts, one
lock around every operation (so a conditional write is atomic and no reader sees half of a completion, as in
DynamoDB), sorting and slicing pages. tests/service/test_store_contract.py runs the same sequences against both
stores and compares what they answer.

Where it is simpler than DynamoDB, nothing the service sees differs: a completion is one step (never staged, never
interrupted, so `finish_directory` has nothing to do), bodies stay inline whatever their size, and a filtered list
reads everything (its pages are always full; DynamoDB's may come back short, which callers already allow).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from whosaid.config import get_settings
from whosaid.errors import WhosaidError
from whosaid.extraction import Extractor
from whosaid.models import Article, ExtractionResult, Usage
from whosaid.service import ArticleService
from whosaid.storage import article_states, directory, keys
from whosaid.storage.article_states import ArticleBusy, ArticleStateConflict, epoch_now, new_lease_id
from whosaid.storage.articles import Held
from whosaid.storage.directory import Contribution
from whosaid.storage.items import (
    article_date,
    article_record,
    claim_attributes,
    claim_from_item,
    completed_records,
    from_item,
    pending_article_attributes,
    to_item,
)
from whosaid.storage.pagination import TokenCodec
from whosaid.storage.protocols import ArticleStorage, ExtractionQueue, UploadStorage
from whosaid.storage.queue import ExtractArticleMessage
from whosaid.storage.records import (
    ArticleError,
    ArticleRecord,
    ClaimRecord,
    Page,
    SpeakerEntry,
    UploadRecord,
    UploadStatus,
)
from whosaid.storage.uploads import (
    current_uploads,
    status_scope,
    upload_attributes,
    upload_record,
    waiting_article_ids,
)

TEST_TOKEN_KEY = b"whosaid-memory-store-test-key"


def _as_stored(attributes: dict[str, Any]) -> dict[str, Any]:
    """Attributes as a DynamoDB read gives them back: None values absent, numbers decoded the same way."""
    return from_item(to_item(attributes))


@dataclass(frozen=True)
class _Listing:
    """How a list is ordered and what its page tokens carry, as the index DynamoDB reads it from."""

    partition_attribute: str
    sort_attribute: str
    newest_first: bool

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes of the LastEvaluatedKey DynamoDB would put in the token."""
        if self.partition_attribute == "pk":
            return ("pk", "sk")
        return (self.partition_attribute, self.sort_attribute, "pk", "sk")


_ARTICLE_CLAIMS = _Listing("pk", "sk", newest_first=False)
_BY_SPEAKER = _Listing("gsi1pk", "gsi1sk", newest_first=True)
_BY_RECENCY = _Listing("gsi2pk", "gsi2sk", newest_first=True)
_BY_CLAIMS = _Listing("gsi3pk", "gsi3sk", newest_first=True)


class MemoryArticleStore:
    """Articles, claims and the speaker directory in dicts, under one lock (article_states' machine)."""

    def __init__(self, *, token_codec: TokenCodec | None = None) -> None:
        self.tokens = token_codec or TokenCodec(TEST_TOKEN_KEY)
        self._lock = threading.RLock()
        self._articles: dict[str, dict[str, Any]] = {}  # article id -> the article item's attributes, text inline
        self._claims: dict[str, list[dict[str, Any]]] = {}  # article id -> its claim items (DynamoDB format)
        self._entries: dict[str, dict[str, Any]] = {}  # speaker id -> directory entry attributes

    def prepare(self) -> None:
        """Nothing is made on first use."""

    # --- the lease state machine ------------------------------------------------------------------------------

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
        lease_id = new_lease_id()
        with self._lock:
            epoch = epoch_now()
            current = self._articles.get(article_id)
            if not article_states.ABSENT.holds(current, epoch=epoch):
                return article_record(current or {})
            attributes = pending_article_attributes(
                article,
                article_id,
                now=now,
                lease_id=lease_id,
                lease_until=epoch + lease_seconds,
                origin=origin,
                queued=queued,
            )
            stored = self._articles[article_id] = _as_stored({**attributes, "text": article.text})
        return Held(article_record(stored, text=article.text), lease_id)

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
        condition = article_states.TAKEABLE_FROM_QUEUE if from_queue else article_states.TAKEABLE
        lease_id = new_lease_id()
        with self._lock:
            epoch = epoch_now()
            current = self._articles.get(article_id)
            if current is None:
                return None
            if not condition.holds(current, epoch=epoch):
                return self._record(current, with_text=with_text)
            taken = {k: v for k, v in current.items() if k not in ("error", "usage", "queued")}
            taken.update(status="pending", updated_at=now, lease_id=lease_id, lease_until=epoch + lease_seconds)
            if queued:
                taken["queued"] = True
            self._articles[article_id] = taken
        return Held(self._record(taken, with_text=with_text), lease_id)

    def complete(
        self, article: ArticleRecord, result: ExtractionResult, *, now: str, lease_id: str
    ) -> tuple[ArticleRecord, list[ClaimRecord]]:
        article_id = article.article_id
        attributes = [claim_attributes(article, i, c) for i, c in enumerate(result.claims)]
        claim_items = [to_item(a) for a in attributes]
        stored = completed_records(article, result, now, claim_items)
        speakers = directory.contributions(
            article_id,
            article.title,
            article_date(article),
            ((a["gsi1pk"], c) for a, c in zip(attributes, result.claims, strict=True)),
        )
        with self._lock:
            current = self._articles.get(article_id)
            if not article_states.HELD.holds(current, epoch=epoch_now(), lease_id=lease_id):
                state = current or {}
                if article_states.lease_state(state.get("status"), state.get("lease_id"), lease_id) == "completed":
                    return stored  # a retried completion: the first one stands
                raise ArticleStateConflict(article_id)
            assert current is not None  # HELD holds only for an existing article
            completed = {k: v for k, v in current.items() if k not in ("lease_until", "error", "queued")}
            completed.update(
                status="complete",
                claim_count=len(result.claims),
                speakers=[s.model_dump(mode="json") for s in result.speakers],
                usage=result.usage.model_dump(mode="json"),
                updated_at=now,
                completed_at=now,
            )
            self._articles[article_id] = _as_stored(completed)
            self._claims[article_id] = claim_items
            for speaker in speakers:
                self._entries[speaker.speaker_id] = _as_stored(
                    directory.added(self._entries.get(speaker.speaker_id), speaker)
                )
        return stored

    def fail(
        self, article_id: str, error: ArticleError, *, now: str, lease_id: str, usage: Usage | None = None
    ) -> bool:
        with self._lock:
            current = self._articles.get(article_id)
            if not article_states.HELD.holds(current, epoch=epoch_now(), lease_id=lease_id) or current is None:
                return False
            failed = {k: v for k, v in current.items() if k not in ("lease_until", "queued")}
            failed.update(status="failed", error=error.model_dump(), updated_at=now)
            if usage is not None:
                failed["usage"] = usage.model_dump(mode="json")
            self._articles[article_id] = _as_stored(failed)
            self._claims.pop(article_id, None)
        return True

    def finish_directory(self, article_id: str) -> None:
        """Nothing to finish: a completion here counts every speaker at once (it is never interrupted)."""

    def delete_article(self, article_id: str) -> bool:
        with self._lock:
            current = self._articles.get(article_id)
            if current is None:
                return False
            if not article_states.DELETABLE.holds(current, epoch=epoch_now()):
                raise ArticleBusy(article_id)
            del self._articles[article_id]
            claim_items = self._claims.pop(article_id, [])
            for speaker in self._contributions(current, claim_items):
                entry = self._entries.get(speaker.speaker_id)
                if entry is None:
                    continue
                remaining = directory.removed(entry, speaker)
                if remaining is not None and not remaining["recent"]:
                    remaining = directory.with_recent(remaining, self._recent_mentions(remaining["claims_partition"]))
                if remaining is None:
                    del self._entries[speaker.speaker_id]
                else:
                    self._entries[speaker.speaker_id] = _as_stored(remaining)
        return True

    @staticmethod
    def _contributions(article: dict[str, Any], claim_items: list[dict[str, Any]]) -> list[Contribution]:
        """What a stored article added to the directory, by the partition each of its claims is indexed in."""
        record = article_record(article)
        return directory.contributions(
            record.article_id,
            record.title,
            article_date(record),
            ((item["gsi1pk"]["S"], claim_from_item(item)) for item in claim_items),
        )

    def _recent_mentions(self, partition: str) -> list[dict[str, Any]]:
        """The articles still quoting the speaker of `partition`, newest first (DynamoDB reads them back the same
        way when every article an entry remembered is gone)."""
        mentions: dict[str, dict[str, Any]] = {}
        for claim in (claim_from_item(item) for item in self._claim_items_in(partition)):
            mentions.setdefault(
                claim.article_id,
                directory.mention(claim.article_id, claim.article_title, claim.article_date, claim.speaker.name),
            )
        return list(mentions.values())

    # --- reads ------------------------------------------------------------------------------------------------

    def get_article(self, article_id: str, *, with_text: bool = False) -> ArticleRecord | None:
        with self._lock:
            current = self._articles.get(article_id)
        return None if current is None else self._record(current, with_text=with_text)

    def all_claims(self, article_id: str) -> list[ClaimRecord]:
        with self._lock:
            claim_items = list(self._claims.get(article_id, []))
        return [claim_from_item(item) for item in claim_items]

    def article_states(self, article_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The status, error and updated_at of each of the articles that exist, as ArticleStore.article_states."""
        with self._lock:
            found = [self._articles[i] for i in set(article_ids) if i in self._articles]
        fields = ("article_id", "status", "error", "updated_at")
        return {state["article_id"]: {k: state[k] for k in fields if k in state} for state in found}

    def list_articles(self, *, limit: int, next_token: str | None) -> Page[ArticleRecord]:
        with self._lock:
            articles = list(self._articles.values())
        rows, token = self.page(articles, keys.ARTICLES_PARTITION, _BY_RECENCY, limit=limit, next_token=next_token)
        return Page[ArticleRecord](items=[article_record(row) for row in rows], next_token=token)

    def list_claims(self, article_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        with self._lock:
            claim_items = list(self._claims.get(article_id, []))
        partition = keys.article_pk(article_id)
        return self._claim_page(claim_items, partition, _ARTICLE_CLAIMS, limit=limit, next_token=next_token)

    def speaker_claims(self, speaker: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        return self._speaker_claims_in(keys.speaker_pk(speaker), limit=limit, next_token=next_token)

    def speaker_claims_by_id(self, speaker_id: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        with self._lock:
            entry = self._entries.get(speaker_id)
        if entry is None:
            return Page[ClaimRecord](items=[], next_token=None)
        return self._speaker_claims_in(entry["claims_partition"], limit=limit, next_token=next_token)

    def list_speakers(
        self, *, words: list[str], speaker_type: str | None, limit: int, next_token: str | None
    ) -> Page[SpeakerEntry]:
        with self._lock:
            entries = [e for e in self._entries.values() if directory.matches(e, words, speaker_type)]
        rows, token = self.page(
            entries,
            keys.DIRECTORY_PARTITION,
            _BY_CLAIMS,
            limit=limit,
            next_token=next_token,
            scope=directory.query_scope(words, speaker_type),
        )
        return Page[SpeakerEntry](items=[directory.entry_record(row) for row in rows], next_token=token)

    def _speaker_claims_in(self, partition: str, *, limit: int, next_token: str | None) -> Page[ClaimRecord]:
        with self._lock:
            claim_items = self._claim_items_in(partition)
        return self._claim_page(claim_items, partition, _BY_SPEAKER, limit=limit, next_token=next_token)

    def _claim_items_in(self, partition: str) -> list[dict[str, Any]]:
        """Every stored claim item indexed in the speaker partition `partition`, newest first."""
        found = [item for items in self._claims.values() for item in items if item["gsi1pk"]["S"] == partition]
        return sorted(found, key=lambda item: str(item["gsi1sk"]["S"]), reverse=True)

    def _claim_page(
        self,
        claim_items: list[dict[str, Any]],
        partition: str,
        listing: _Listing,
        *,
        limit: int,
        next_token: str | None,
    ) -> Page[ClaimRecord]:
        rows, token = self.page(
            [from_item(item) for item in claim_items], partition, listing, limit=limit, next_token=next_token
        )
        return Page[ClaimRecord](items=[claim_from_item(to_item(row)) for row in rows], next_token=token)

    def page(
        self,
        rows: Iterable[dict[str, Any]],
        partition: str,
        listing: _Listing,
        *,
        limit: int,
        next_token: str | None,
        scope: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the `rows` of `partition` in `listing`'s order after the token's key, and the next token
        (None on the last page), signed and checked by the same codec as DynamoDB's pages."""
        start = self.tokens.decode(next_token, partition, listing.partition_attribute, scope=scope)
        sort = listing.sort_attribute
        ordered = sorted(
            (row for row in rows if row.get(listing.partition_attribute) == partition),
            key=lambda row: str(row[sort]),
            reverse=listing.newest_first,
        )
        if start is not None:
            after = start[sort]
            ordered = [r for r in ordered if (str(r[sort]) < after if listing.newest_first else str(r[sort]) > after)]
        page = ordered[:limit]
        if len(ordered) <= limit:
            return page, None
        last_key = {name: str(page[-1][name]) for name in listing.key_attributes}
        return page, self.tokens.encode(partition, last_key, scope=scope)

    @staticmethod
    def _record(article: dict[str, Any], *, with_text: bool) -> ArticleRecord:
        return article_record(article, text=article.get("text") if with_text else None)


class MemoryUploadStore:
    """Upload records in a dict; a pending one follows its article in `articles` (storage/uploads.py's rules)."""

    def __init__(self, articles: MemoryArticleStore) -> None:
        self._articles = articles
        self._lock = threading.Lock()
        self._uploads: dict[str, dict[str, Any]] = {}  # upload id -> the upload item's attributes

    def prepare(self) -> None:
        """Nothing is made on first use."""

    def record(
        self,
        *,
        upload_id: str,
        origin: dict[str, Any],
        status: UploadStatus,
        now: str,
        article_id: str | None = None,
        error: ArticleError | None = None,
    ) -> None:
        attributes = upload_attributes(
            upload_id=upload_id, origin=origin, status=status, now=now, article_id=article_id, error=error
        )
        with self._lock:
            self._uploads[upload_id] = _as_stored(attributes)

    def list_uploads(self, *, status: UploadStatus | None, limit: int, next_token: str | None) -> Page[UploadRecord]:
        with self._lock:
            uploads = list(self._uploads.values())
        states = self._articles.article_states(waiting_article_ids(uploads))
        rows, token = self._articles.page(
            current_uploads(uploads, states, status),
            keys.UPLOADS_PARTITION,
            _BY_RECENCY,
            limit=limit,
            next_token=next_token,
            scope=status_scope(status),
        )
        return Page[UploadRecord](items=[upload_record(row) for row in rows], next_token=token)


class MemoryWorkQueue:
    """The extract_article messages sent, in order, as the ingest function would receive them; `error`, when set,
    is raised by the next request instead (a queue that is down)."""

    def __init__(self) -> None:
        self.error: WhosaidError | None = None
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []

    def prepare(self) -> None:
        """Nothing is made on first use."""

    def request_extraction(self, article_id: str) -> None:
        if self.error is not None:
            raise self.error
        with self._lock:
            self._messages.append(ExtractArticleMessage(article_id=article_id).model_dump(mode="json"))

    def receive(self) -> list[dict[str, Any]]:
        """The messages sent since the last receive (each is received once, as from SQS)."""
        with self._lock:
            received, self._messages = self._messages, []
        return received


@dataclass
class MemoryStorage:
    """The three in-memory stores a service runs on, and what a test looks at in them."""

    articles: MemoryArticleStore = field(default_factory=MemoryArticleStore)
    queue: MemoryWorkQueue = field(default_factory=MemoryWorkQueue)
    uploads: MemoryUploadStore = field(init=False)

    def __post_init__(self) -> None:
        self.uploads = MemoryUploadStore(self.articles)

    def article_count(self) -> int:
        with self.articles._lock:
            return len(self.articles._articles)

    def claim_count(self) -> int:
        with self.articles._lock:
            return sum(len(items) for items in self.articles._claims.values())

    def snapshot(self) -> dict[str, Any]:
        """A copy of everything stored and queued, to compare with a later one (what a read must not change)."""
        with self.articles._lock:
            stored = {"articles": self.articles._articles, "claims": self.articles._claims}
            stored |= {"entries": self.articles._entries, "uploads": self.uploads._uploads}
            return copy.deepcopy({**stored, "queue": self.queue._messages})

    def is_empty(self) -> bool:
        """Nothing stored and nothing queued (what a refused request leaves)."""
        with self.articles._lock:
            stored = bool(self.articles._articles or self.articles._claims or self.articles._entries)
        return not stored and not self.uploads._uploads and not self.queue._messages


def service_on(storage: MemoryStorage, extractor_factory: Callable[[], Extractor]) -> ArticleService:
    """The service on `storage`, extracting with what `extractor_factory` returns, its other settings from the
    environment as ArticleService.from_settings takes them."""
    settings = get_settings()
    return ArticleService(
        store=storage.articles,
        uploads=storage.uploads,
        queue=storage.queue,
        extractor_factory=extractor_factory,
        async_threshold_chars=settings.async_threshold_chars,
        deadline_margin_seconds=settings.deadline_margin_seconds,
        extraction_deadline_seconds=settings.extraction_deadline_seconds,
    )


# mypy checks the in-memory stores against the protocols the service is typed with.
_article_store: type[ArticleStorage] = MemoryArticleStore
_upload_store: type[UploadStorage] = MemoryUploadStore
_work_queue: type[ExtractionQueue] = MemoryWorkQueue
