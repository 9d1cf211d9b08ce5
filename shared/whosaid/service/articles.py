"""ArticleService: the use cases behind the API and the ingest function.

Idempotency: the article id is a content hash of the text and the conditional put of the `pending` article item
is the lock. The caller that wins the put extracts; a concurrent caller with the same text polls the item until
it is complete (and returns the stored result) or failed (and reports the same error). A failed article, or a
pending one whose worker's lease has lapsed (it crashed), is taken over by the next submission with a conditional
update. So the same text is extracted once and stored once however many times, or how concurrently, it arrives.

Every attempt runs under the lease id the store handed out when it created or took the article; completing and
failing are conditional on it (see storage/articles.py). Completing counts the article's speakers in the speaker
directory and deleting uncounts them (storage/directory.py); a completion too large for one transaction that was
interrupted before all its speakers were counted is finished by the next submission of the same text. DELETE of an
article pending under a live lease (being extracted, or queued) is refused with 409 `article_processing` rather than
racing the worker's writes.

Configuration errors (a missing key parameter, credentials the LLM refuses) are logged in full for the operator;
clients, and the stored error of the failed article, get a generic message that names no parameter or setting.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from aws_lambda_powertools.metrics import MetricUnit

from whosaid.config import Settings
from whosaid.deadlines import Deadline
from whosaid.errors import (
    ConfigurationError,
    ExtractionError,
    InvalidInputError,
    NotFoundError,
    StorageError,
    WhosaidError,
)
from whosaid.extraction import Extractor, get_extractor
from whosaid.lifecycle import register_after_restore
from whosaid.models import Article, SpeakerType, Usage
from whosaid.observability import logger, metrics, tracer
from whosaid.service.secrets import OpenAIKeySource, pagination_key, with_openai_key
from whosaid.storage import (
    ArticleBusy,
    ArticleError,
    ArticleRecord,
    ArticleStateConflict,
    ArticleStore,
    ClaimRecord,
    Held,
    Page,
    SpeakerEntry,
    TokenCodec,
    UploadRecord,
    UploadStatus,
    UploadStore,
    WorkQueue,
    article_id_for_text,
    is_article_id,
    is_speaker_id,
    search_words,
    speaker_key,
)
from whosaid.storage.keys import utc_timestamp
from whosaid.storage.protocols import ArticleStorage, ExtractionQueue, UploadStorage

SubmitStatus = Literal["created", "existing", "accepted"]
SubmitMode = Literal["sync", "async"]

# A running extraction's lease outlives any function that may run it (the ingest function extracts synchronously
# too, for up to its 300 s Timeout): a live worker is never taken over, so only one worker ever writes an article's
# claims. And it lapses before IngestQueue's visibility timeout (360 s), so the redelivery of a message whose
# function crashed mid-extraction takes the article over. tests/infra/test_template.py keeps the three in this order.
RUN_LEASE_SECONDS = 330
ASYNC_LEASE_SECONDS = 1_800  # a queued article waits for its worker, which takes it regardless of the lease
WAIT_SECONDS = 20.0  # a concurrent duplicate POST waits this long (API Gateway gives up at 29 s), then gets 202
POLL_SECONDS = 0.25
MAX_SPEAKER_CHARS = 300
MAX_SPEAKER_QUERY_CHARS = 100


@dataclass(frozen=True)
class SubmitOutcome:
    """What a submission did: created (extracted now), existing (stored before), accepted (queued, pending)."""

    status: SubmitStatus
    article: ArticleRecord
    claims: list[ClaimRecord] = field(default_factory=list)


class ArticleNotReadyError(WhosaidError):
    """The article's claims were asked for while it is pending or failed."""

    code = "article_not_complete"


class ArticleProcessingError(WhosaidError):
    """The article cannot be deleted while it is being extracted (or queued for extraction)."""

    code = "article_processing"


CONFIGURATION_MESSAGE = "the service is misconfigured; the details are in its logs for the operator"


def client_safe_error(exc: WhosaidError) -> WhosaidError:
    """The error as clients may see it: a configuration error's details (parameter names, settings) are logged
    here and replaced by a generic message. The partial usage travels along."""
    if not isinstance(exc, ConfigurationError) or exc.message == CONFIGURATION_MESSAGE:
        return exc
    logger.error("configuration error", extra={"error_code": exc.code, "detail": exc.message})
    generic = ConfigurationError(CONFIGURATION_MESSAGE)
    generic.usage = exc.usage
    return generic


class ExtractorProvider:
    """Builds the extractor from the settings (the OpenAI key may come from the parameter store), and rebuilds it
    only when the key changes (a rotation picked up after the parameter cache expires). `prepare` builds it at init
    when it may be the LLM's; after a SnapStart restore every provider rebuilds its LLM client (`reconnect`)."""

    def __init__(self, settings: Settings, key_source: OpenAIKeySource | None) -> None:
        self._settings = settings
        self._key_source = key_source
        self._lock = threading.Lock()
        self._cached: tuple[str | None, Settings, Extractor] | None = None
        _providers.add(self)

    @staticmethod
    def may_use_llm(settings: Settings) -> bool:
        """Whether the extractor may be the LLM's: chosen, or `auto` with a key, a base URL or a key parameter."""
        if settings.extractor == "rules":
            return False
        return settings.effective_extractor == "llm" or bool(settings.openai_api_key_parameter)

    def __call__(self) -> Extractor:
        settings = with_openai_key(self._settings, self._key_source)
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        with self._lock:
            if self._cached is None or self._cached[0] != key:
                self._cached = (key, settings, get_extractor(settings=settings))
            return self._cached[2]

    def prepare(self) -> None:
        """Build the extractor now if it may be the LLM's, so `openai` is imported and the client made during the
        function's init, not by the first request. A failure (the key parameter unreadable) is logged and left to
        the requests: each then fails as it would have, with a clean 5xx; the init does not fail."""
        if not self.may_use_llm(self._settings):
            return
        try:
            self()
        except WhosaidError as exc:
            logger.warning("extractor not prepared at init; requests will try again", extra={"error_code": exc.code})

    def reconnect(self) -> None:
        """After a SnapStart restore: a new extractor (a new LLM client, so a new HTTP connection pool) from the
        settings and key already read, the old client closed. Local work only: restore hooks must not call out."""
        with self._lock:
            if self._cached is None:
                return
            key, settings, old = self._cached
            self._cached = (key, settings, get_extractor(settings=settings))
        close = getattr(old, "close", None)  # the LLM extractor's; the rules extractor holds no connection
        if close is not None:
            close()


_providers: weakref.WeakSet[ExtractorProvider] = weakref.WeakSet()


@register_after_restore
def _reconnect_extractors() -> None:
    for provider in list(_providers):
        provider.reconnect()


def _count_llm_tokens(usage: Usage | None) -> None:
    """LlmTokens: every token an extraction used, counted once where its outcome is known (the hourly alarm)."""
    if usage is not None and usage.total_tokens:
        metrics.add_metric(name="LlmTokens", unit=MetricUnit.Count, value=usage.total_tokens)


class ArticleService:
    def __init__(
        self,
        *,
        store: ArticleStorage,
        uploads: UploadStorage,
        queue: ExtractionQueue,
        extractor_factory: Callable[[], Extractor],
        async_threshold_chars: int = 20_000,
        wait_seconds: float = WAIT_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        deadline_margin_seconds: float = 3.0,
        extraction_deadline_seconds: float = 300.0,
    ) -> None:
        self.store = store
        self.uploads = uploads
        self.deadline_margin_seconds = deadline_margin_seconds
        self.extraction_deadline_seconds = extraction_deadline_seconds
        self.queue = queue
        self._extractor_factory = extractor_factory
        self.async_threshold_chars = async_threshold_chars
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls, settings: Settings, *, extractor_factory: Callable[[], Extractor] | None = None
    ) -> ArticleService:
        store = ArticleStore(
            table_name=settings.table_name,
            bucket_name=settings.bucket_name,
            token_codec=TokenCodec(pagination_key(settings)),
        )
        key_source = OpenAIKeySource(settings.openai_api_key_parameter) if settings.openai_api_key_parameter else None
        return cls(
            store=store,
            uploads=UploadStore(store),
            queue=WorkQueue(settings.queue_url),
            extractor_factory=extractor_factory or ExtractorProvider(settings, key_source),
            async_threshold_chars=settings.async_threshold_chars,
            deadline_margin_seconds=settings.deadline_margin_seconds,
            extraction_deadline_seconds=settings.extraction_deadline_seconds,
        )

    def prepare(self, *, all_clients: bool = False) -> None:
        """Init-time work: the LLM extractor when it may be used (ExtractorProvider.prepare); with `all_clients`
        also what the stores make on first use (the S3 and SQS clients), which a SnapStart snapshot then carries."""
        if isinstance(self._extractor_factory, ExtractorProvider):
            self._extractor_factory.prepare()
        if all_clients:
            for storage in (self.store, self.uploads, self.queue):
                storage.prepare()

    def deadline_for(self, context: object | None) -> Deadline:
        """An extraction's deadline in a function invoked with `context` (a LambdaContext): its remaining time less
        the margin to store the outcome; WHOSAID_EXTRACTION_DEADLINE_SECONDS from now without one."""
        return Deadline.for_invocation(
            context,  # type: ignore[arg-type]  # anything with get_remaining_time_in_millis, or None
            margin=self.deadline_margin_seconds,
            default=self.extraction_deadline_seconds,
        )

    # --- submitting -------------------------------------------------------------------------------------------

    @tracer.capture_method(capture_response=False)
    def submit(
        self,
        article: Article,
        *,
        origin: dict[str, object] | None = None,
        mode: SubmitMode = "sync",
        deadline: Deadline | None = None,
    ) -> SubmitOutcome:
        """Extract and store an article once: mode="sync" now, the extraction over by `deadline` (else marked
        failed, llm_timeout); mode="async" through the queue. The caller picks the mode (the API route sends
        articles above `async_threshold_chars` async; the ingest function, already asynchronous, extracts in place).
        The outcome is built from what was written, not read back."""
        try:
            return self._submit(article, origin=origin, mode=mode, deadline=deadline)
        except ConfigurationError as exc:
            raise client_safe_error(exc) from exc

    def _submit(
        self, article: Article, *, origin: dict[str, object] | None, mode: SubmitMode, deadline: Deadline | None
    ) -> SubmitOutcome:
        article_id = article_id_for_text(article.text)
        logger.append_keys(article_id=article_id)
        lease = ASYNC_LEASE_SECONDS if mode == "async" else RUN_LEASE_SECONDS
        queued = mode == "async"
        created = self.store.create(
            article, article_id, now=utc_timestamp(), lease_seconds=lease, origin=origin, queued=queued
        )
        if isinstance(created, Held):
            return self._extract_or_queue(article, created, mode, deadline)
        # Stored before (the same text): the text is the one submitted, so it need not be read back.
        record = created.model_copy(update={"text": article.text})
        if record.status == "complete":
            return self._existing(record)
        # Failed, or its worker died: take it over.
        taken = self.store.take(article_id, now=utc_timestamp(), lease_seconds=lease, queued=queued)
        if isinstance(taken, Held):
            return self._extract_or_queue(article, taken, mode, deadline)
        if taken is None:  # deleted since
            raise StorageError(f"article {article_id} could not be stored; try again")
        if taken.status == "complete":  # completed meanwhile
            return self._existing(taken.model_copy(update={"text": article.text}))
        if mode == "async":
            return SubmitOutcome("accepted", taken)
        return self._wait_for(article_id)

    @tracer.capture_method(capture_response=False)
    def process_pending(self, article_id: str, *, deadline: Deadline | None = None) -> SubmitOutcome:
        """Extract an article stored pending (an async POST); idempotent under redelivery."""
        logger.append_keys(article_id=article_id)
        try:
            return self._process_pending(article_id, deadline)
        except ConfigurationError as exc:
            raise client_safe_error(exc) from exc

    def _process_pending(self, article_id: str, deadline: Deadline | None) -> SubmitOutcome:
        # Taken in one call: the update returns the article it took (text included), or the one it could not take.
        taken = (
            self.store.take(
                article_id, now=utc_timestamp(), lease_seconds=RUN_LEASE_SECONDS, from_queue=True, with_text=True
            )
            if is_article_id(article_id)
            else None
        )
        if taken is None:
            raise _not_found(article_id)
        if not isinstance(taken, Held):
            if taken.status == "complete":
                return self._existing(taken)
            raise StorageError(f"article {article_id} could not be claimed for extraction; it will be retried")
        try:
            if taken.article.text is None:
                raise StorageError(f"the body of article {article_id} is missing from storage")
            article = _article_from_record(taken.article, taken.article.text)
        except WhosaidError as exc:
            # e.g. its body is gone: the article is marked failed, not left pending with nobody to extract it
            _reraise(self._mark_failed(article_id, taken.lease_id, exc), exc)
        return self._extract_and_store(article, taken, deadline)

    def _extract_or_queue(
        self, article: Article, held: Held, mode: SubmitMode, deadline: Deadline | None
    ) -> SubmitOutcome:
        """What this call does with the article it holds: extract it now (sync) or send it to the queue (async)."""
        if mode == "sync":
            return self._extract_and_store(article, held, deadline)
        article_id = held.article.article_id
        try:
            self.queue.request_extraction(article_id)
        except WhosaidError as exc:
            _reraise(self._mark_failed(article_id, held.lease_id, exc), exc)
        metrics.add_metric(name="ArticlesQueued", unit=MetricUnit.Count, value=1)
        # As a status read shows it (lists and status reads carry no text).
        return SubmitOutcome("accepted", held.article.model_copy(update={"text": None}))

    def _extract_and_store(self, article: Article, held: Held, deadline: Deadline | None) -> SubmitOutcome:
        article_id, lease_id = held.article.article_id, held.lease_id
        started = time.perf_counter()
        try:
            extraction = self._extractor_factory().extract(article, deadline=deadline or self.deadline_for(None))
        except WhosaidError as exc:
            _count_llm_tokens(exc.usage)  # a failed extraction's attempts were paid for too
            _reraise(self._mark_failed(article_id, lease_id, exc), exc)
        except Exception as exc:
            logger.exception("extractor failed unexpectedly")
            error = ExtractionError("extraction failed unexpectedly; try again later")
            _reraise(self._mark_failed(article_id, lease_id, error), exc)
        metrics.add_metric(
            name="ExtractionMilliseconds", unit=MetricUnit.Milliseconds, value=(time.perf_counter() - started) * 1000
        )
        _count_llm_tokens(extraction.usage)
        try:
            stored, claims = self.store.complete(held.article, extraction, now=utc_timestamp(), lease_id=lease_id)
        except ArticleStateConflict:
            # It was deleted, or taken over after our lease lapsed: what is stored now is someone else's outcome.
            current = self._stored_article(article_id)
            if current.status == "complete":
                return self._existing(current.model_copy(update={"text": article.text}))
            if current.status == "pending":
                # Another attempt holds it now and is storing its own outcome: wait for that, as a duplicate would.
                return self._wait_for(article_id)
            raise StorageError(f"article {article_id} changed while it was being stored; try again") from None
        except WhosaidError as exc:
            exc.usage = exc.usage or extraction.usage  # the extraction ran: its cost is recorded on the failed article
            _reraise(self._mark_failed(article_id, lease_id, exc), exc)
        metrics.add_metric(name="ArticlesExtracted", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="ClaimsExtracted", unit=MetricUnit.Count, value=len(extraction.claims))
        logger.info(
            "article extracted", extra={"claims": len(extraction.claims), "extractor": extraction.usage.extractor}
        )
        return SubmitOutcome("created", stored.model_copy(update={"text": article.text}), claims)

    def _mark_failed(self, article_id: str, lease_id: str, exc: WhosaidError) -> WhosaidError:
        """Record the failure (with the attempt's usage, if known) on the article; the error to raise."""
        error = client_safe_error(exc)
        metrics.add_metric(name="ExtractionFailures", unit=MetricUnit.Count, value=1)
        logger.warning("article failed", extra={"error_code": error.code})
        try:
            self.store.fail(
                article_id,
                ArticleError(code=error.code, message=error.message),
                now=utc_timestamp(),
                lease_id=lease_id,
                usage=error.usage,
            )
        except WhosaidError:
            # The original error is what the caller needs; the lease lapses and the next submission retries.
            logger.exception("could not mark the article failed")
        return error

    def _wait_for(self, article_id: str) -> SubmitOutcome:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            record = self._stored_article(article_id)
            if record.status == "complete":
                return self._existing(record)
            if record.status == "failed" and record.error is not None:
                raise WhosaidError(record.error.message, code=record.error.code)
            if time.monotonic() >= deadline:
                return SubmitOutcome("accepted", record)
            self._sleep(self.poll_seconds)

    def _existing(self, record: ArticleRecord) -> SubmitOutcome:
        """A complete article's outcome: `record` as read, with its text (read when the caller has none)."""
        metrics.add_metric(name="DuplicateSubmissions", unit=MetricUnit.Count, value=1)
        if record.directory_pending:
            try:
                self.store.finish_directory(record.article_id)
            except WhosaidError:
                logger.warning("could not finish counting the article's speakers; the next submission retries")
        if record.text is None:
            record = self._stored_article(record.article_id, with_text=True)
        return SubmitOutcome("existing", record, self.store.all_claims(record.article_id))

    # --- reading and deleting ---------------------------------------------------------------------------------

    def get_article(self, article_id: str) -> ArticleRecord:
        return self._stored_article(article_id, with_text=True)

    def list_articles(self, *, limit: int = 20, next_token: str | None = None) -> Page[ArticleRecord]:
        return self.store.list_articles(limit=limit, next_token=next_token)

    def list_claims(self, article_id: str, *, limit: int = 20, next_token: str | None = None) -> Page[ClaimRecord]:
        self._complete_article(article_id)
        return self.store.list_claims(article_id, limit=limit, next_token=next_token)

    def article_claims(self, article_id: str) -> list[ClaimRecord]:
        """Every claim of a complete article, in text order (an export: an article's claims are bounded)."""
        self._complete_article(article_id)
        return self.store.all_claims(article_id)

    def _complete_article(self, article_id: str) -> ArticleRecord:
        record = self._stored_article(article_id)
        if record.status != "complete":
            raise ArticleNotReadyError(
                f"article {article_id} is {record.status}; its claims are available once GET /articles/{article_id} "
                "shows status complete"
            )
        return record

    def speaker_claims(self, speaker: str, *, limit: int = 20, next_token: str | None = None) -> Page[ClaimRecord]:
        """A speaker's claims across articles, newest first: by speaker_id (spk_..., any directory entry,
        anonymous ones included) or by a named speaker's name as displayed (case, accents and spacing ignored)."""
        if not speaker_key(speaker):
            raise InvalidInputError(
                "speaker must not be blank: give a name as displayed, e.g. Hazem%20Qassem, or a speaker_id"
            )
        if len(speaker) > MAX_SPEAKER_CHARS:
            raise InvalidInputError(f"speaker must be at most {MAX_SPEAKER_CHARS} characters")
        if is_speaker_id(speaker):
            return self.store.speaker_claims_by_id(speaker, limit=limit, next_token=next_token)
        return self.store.speaker_claims(speaker, limit=limit, next_token=next_token)

    def list_speakers(
        self,
        *,
        q: str | None = None,
        speaker_type: SpeakerType | None = None,
        limit: int = 20,
        next_token: str | None = None,
    ) -> Page[SpeakerEntry]:
        """The speaker directory, most claims first; `q` keeps names with a word beginning with each of its words
        (case and accents ignored), `speaker_type` one type. A blank q (or one with no letter or digit) is all."""
        if q is not None and len(q) > MAX_SPEAKER_QUERY_CHARS:
            raise InvalidInputError(f"q must be at most {MAX_SPEAKER_QUERY_CHARS} characters")
        return self.store.list_speakers(
            words=search_words(q or ""), speaker_type=speaker_type, limit=limit, next_token=next_token
        )

    def record_upload(
        self,
        upload_id: str,
        origin: dict[str, object],
        status: UploadStatus,
        *,
        article_id: str | None = None,
        error: WhosaidError | None = None,
    ) -> None:
        """Record what became of an uploaded object (GET /uploads); a configuration error is recorded generically."""
        recorded_error = client_safe_error(error) if error is not None else None
        self.uploads.record(
            upload_id=upload_id,
            origin=dict(origin),
            status=status,
            now=utc_timestamp(),
            article_id=article_id,
            error=ArticleError(code=recorded_error.code, message=recorded_error.message) if recorded_error else None,
        )

    def list_uploads(
        self, *, status: UploadStatus | None = None, limit: int = 20, next_token: str | None = None
    ) -> Page[UploadRecord]:
        """Processed uploads, newest first, optionally of one status (a pending one's is its article's)."""
        return self.uploads.list_uploads(status=status, limit=limit, next_token=next_token)

    def delete_article(self, article_id: str) -> None:
        try:
            deleted = is_article_id(article_id) and self.store.delete_article(article_id)
        except ArticleBusy:
            raise ArticleProcessingError(
                f"article {article_id} is being processed; delete it once GET /articles/{article_id} shows status "
                "complete or failed"
            ) from None
        if not deleted:
            raise _not_found(article_id)
        metrics.add_metric(name="ArticlesDeleted", unit=MetricUnit.Count, value=1)

    def _stored_article(self, article_id: str, *, with_text: bool = False) -> ArticleRecord:
        """The stored article, or NotFoundError (an id that is not an article id is not looked up)."""
        record = self.store.get_article(article_id, with_text=with_text) if is_article_id(article_id) else None
        if record is None:
            raise _not_found(article_id)
        return record


def _reraise(error: WhosaidError, cause: BaseException) -> NoReturn:
    """Raise `error` (the public form of `cause`, or `cause` itself) chained to what caused it."""
    if error is cause:
        raise error
    raise error from cause


def _not_found(article_id: str) -> NotFoundError:
    shown = article_id if len(article_id) <= 64 else article_id[:64] + "…"
    return NotFoundError(f"no article with id {shown!r}")


def _article_from_record(record: ArticleRecord, text: str) -> Article:
    # Validated from the stored strings: the record keeps url and published_at as text, the Article parses them.
    return Article.model_validate(
        {
            "text": text,
            "title": record.title,
            "url": record.url,
            "source": record.source,
            "published_at": record.published_at,
            "language": record.language,
        }
    )
