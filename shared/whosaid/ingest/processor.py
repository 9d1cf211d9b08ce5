"""The ingest pipeline: an SQS batch in, every message handled on its own, the failures reported back to SQS.

Each record is an S3 upload notification (every object under incoming/ becomes an article), S3's test event
(ignored) or an async extraction request (the service extracts a pending article).

What happens to a failure depends on whether trying again can help:
- permanent (the object is binary, empty, too large, not UTF-8, of an unsupported type, not a valid article; the
  model's answer to it was unusable after its re-ask; the article was deleted): the upload is recorded `failed`
  with the error (GET /uploads; an async extraction's failure is already stored on its article) and the message
  is acknowledged: it is never redelivered;
- transient (storage or the LLM unavailable or timing out, a misconfiguration, anything unexpected): the message
  is reported in batchItemFailures and its visibility set so SQS redelivers it after a backoff that grows with
  its receive count (a tenth of the function's time, doubling), until the queue's maxReceiveCount moves it to the
  dead-letter queue: minutes, not hours (README, "Ingesting from S3");
- a queue message that is none of the known kinds is reported failed with no delay: nothing can be recorded for
  it, so it reaches the dead-letter queue (and its alarm) within seconds.

Exactly-once per upload: powertools idempotency keys each object on bucket, key, etag, version and sequencer in
the idempotency table, so a notification S3 or SQS delivers twice is processed once. A permanent failure is a
returned (stored) result, so its redelivery is a duplicate too; a transient one raises, which deletes the
idempotency record, so the retry really runs again. The article id (a hash of the text) also keeps a re-upload of
the same text from becoming a second article.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from whosaid.backoff import backoff_delay
from whosaid.config import get_settings
from whosaid.errors import InvalidInputError, LLMOutputError, NotFoundError, WhosaidError
from whosaid.ingest.documents import article_from_object, check_size, document_suffix
from whosaid.ingest.messages import ExtractArticleMessage, S3ObjectRef, S3TestEvent, parse_message
from whosaid.observability import logger, metrics, tracer
from whosaid.service import ArticleService, get_article_service
from whosaid.storage import UploadStatus, WorkQueue, article_id_for_text
from whosaid.storage.aws import aws_client, error_code, translate_aws_errors
from whosaid.storage.keys import upload_id as make_upload_id

# Long enough to cover every redelivery SQS can make of one message (its retention is 4 days).
IDEMPOTENCY_EXPIRY_SECONDS = 4 * 24 * 3600
# What makes two notifications "the same delivery": a new upload of the same key gets a new sequencer.
IDEMPOTENCY_KEY = "[bucket, key, etag, version_id, sequencer]"
# The object (or the notified version) was deleted after the upload: there is nothing left to ingest.
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404"})

# Errors that retrying cannot fix. By code too: a submission that waited for a concurrent attempt re-raises that
# attempt's stored failure as a plain WhosaidError carrying its code.
_PERMANENT_ERRORS = (InvalidInputError, LLMOutputError, NotFoundError)
_PERMANENT_CODES = frozenset({InvalidInputError.code, LLMOutputError.code, NotFoundError.code})
# The first redelivery of a transiently failed message after this fraction of the function's time, then doubling:
# 30, 60, 120 s for the ingest function's 300 s.
RETRY_BASE_FRACTION = 0.1
MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit


def is_permanent(exc: BaseException) -> bool:
    """Whether a failure is one retrying cannot fix (the upload is recorded failed and the message acknowledged)."""
    return isinstance(exc, _PERMANENT_ERRORS) or (isinstance(exc, WhosaidError) and exc.code in _PERMANENT_CODES)


class MalformedMessageError(Exception):
    """A queue message that is none of the known kinds: sent on to the dead-letter queue without delay."""


class _IngestBatchProcessor(BatchProcessor):
    """Powertools' SQS batch processor, handing each failed record to the Ingestor to schedule its redelivery.

    Every failed record is reported in batchItemFailures, even when all fail: powertools would otherwise raise and
    turn a batch of failures into a function error (the Errors metric is kept for real crashes)."""

    def __init__(self, on_failure: Callable[[SQSRecord, BaseException | None], None]) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self._on_failure = on_failure

    def failure_handler(self, record: Any, exception: Any) -> Any:
        if isinstance(record, SQSRecord):
            self._on_failure(record, exception[1])
        return super().failure_handler(record, exception)


class Ingestor:
    """Handles IngestQueue records with one service, one S3 client and one idempotency store (per process)."""

    def __init__(self, service: ArticleService, *, idempotency_table_name: str) -> None:
        self.service = service
        self.s3 = aws_client("s3")
        self._context: LambdaContext | None = None  # the current invocation's, for its deadline
        self._retry_base_seconds = service.extraction_deadline_seconds * RETRY_BASE_FRACTION
        self._processor = _IngestBatchProcessor(self._schedule_retry)
        self.idempotency_config = IdempotencyConfig(
            event_key_jmespath=IDEMPOTENCY_KEY,
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
            response_hook=_on_duplicate,
        )
        persistence = DynamoDBPersistenceLayer(table_name=idempotency_table_name, boto3_client=aws_client("dynamodb"))
        self._ingest_once = idempotent_function(
            data_keyword_argument="s3_object",
            persistence_store=persistence,
            config=self.idempotency_config,
            key_prefix="whosaid.ingest.s3_object",
        )(self._ingest_object)

    def handle_batch(self, event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
        self._context = context
        if context is not None:
            # An invocation that dies mid-object then leaves its idempotency record "in progress" only until its
            # own deadline, so the retry is not refused as a concurrent duplicate.
            self.idempotency_config.register_lambda_context(context)
            # The function's time, as this invocation starts with nearly all of it: backoff scales with it.
            self._retry_base_seconds = context.get_remaining_time_in_millis() / 1000 * RETRY_BASE_FRACTION
        return dict(
            process_partial_response(
                event=event, record_handler=self.handle_record, processor=self._processor, context=context
            )
        )

    def handle_record(self, record: SQSRecord) -> None:
        """One SQS message. Returning acknowledges it (done, or failed for good and recorded); raising reports it
        failed, for SQS to redeliver after the backoff _schedule_retry sets."""
        try:
            try:
                message = parse_message(record.body)
            except InvalidInputError as exc:
                metrics.add_metric(name="IngestMessagesMalformed", unit=MetricUnit.Count, value=1)
                raise MalformedMessageError(exc.message) from exc
            if isinstance(message, S3TestEvent):
                logger.info("S3 test event ignored", extra={"message_id": record.message_id})
                metrics.add_metric(name="S3TestEventsIgnored", unit=MetricUnit.Count, value=1)
                return
            if isinstance(message, ExtractArticleMessage):
                self.extract_pending(message.article_id)
                return
            if not message:
                # Not an upload under incoming/ (another event type or prefix): nothing of ours to ingest.
                metrics.add_metric(name="S3EventsSkipped", unit=MetricUnit.Count, value=1)
            for s3_object in message:
                # Dicts, not models: the idempotency key is a JMESPath over the data and the result is stored.
                self._ingest_once(s3_object=s3_object.model_dump())
        finally:
            # Keys the service appended for this record must not label the next record's logs.
            logger.remove_keys(["article_id", "s3_key"])

    def retry_delay(self, receive_count: int) -> int:
        """Seconds until SQS redelivers a message that failed on its `receive_count`-th delivery."""
        delay = backoff_delay(max(receive_count, 1) - 1, base=self._retry_base_seconds, cap=MAX_VISIBILITY_SECONDS)
        return round(delay)

    def _schedule_retry(self, record: SQSRecord, exc: BaseException | None) -> None:
        """A failed record comes back after its backoff (at once, if malformed) rather than the queue's visibility
        timeout. Best effort: if this call fails, the visibility timeout brings it back anyway."""
        receive_count = int(record.attributes.approximate_receive_count or 1)
        delay = 0 if isinstance(exc, MalformedMessageError) else self.retry_delay(receive_count)
        details = {
            "message_id": record.message_id,
            "receive_count": receive_count,
            "retry_in_seconds": delay,
            "error_code": exc.code if isinstance(exc, WhosaidError) else type(exc).__name__,
            "reason": exc.message if isinstance(exc, WhosaidError) else str(exc),
        }
        if isinstance(exc, MalformedMessageError):
            logger.warning("malformed queue message, sent on to the dead-letter queue", extra=details)
        elif isinstance(exc, WhosaidError | IdempotencyAlreadyInProgressError):
            # (the latter: another invocation is processing the same upload right now; its outcome will stand)
            logger.warning("ingest message failed; it will be retried", extra=details)
        else:
            logger.error("ingest message failed unexpectedly; it will be retried", extra=details, exc_info=exc)
        metrics.add_metric(name="IngestRetries", unit=MetricUnit.Count, value=1)
        queue = self.service.queue
        # The SQS work queue's client and URL: the service is typed against any queue, the ingest runs on SQS's.
        if (
            not isinstance(queue, WorkQueue)
            or not queue.queue_url
            or (queue.queue_url.rsplit("/", 1)[-1] != record.event_source_arn.rsplit(":", 1)[-1])
        ):
            logger.warning("the record is not from WHOSAID_QUEUE_URL; its visibility is left to the queue")
            return
        try:
            queue.sqs.change_message_visibility(
                QueueUrl=queue.queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
            )
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "could not set the failed message's visibility; the queue's visibility timeout applies",
                extra={"message_id": record.message_id, "aws_error_code": error_code(error) or type(error).__name__},
            )

    @tracer.capture_method
    def extract_pending(self, article_id: str) -> None:
        logger.info("extracting pending article", extra={"article_id": article_id})
        try:
            self.service.process_pending(article_id, deadline=self.service.deadline_for(self._context))
        except WhosaidError as exc:
            if not is_permanent(exc):
                raise
            # Stored on the article as failed (or the article was deleted): a retry would end the same way.
            metrics.add_metric(name="AsyncExtractionsFailed", unit=MetricUnit.Count, value=1)
            logger.warning(
                "async extraction failed for good; not retried", extra={"error_code": exc.code, "reason": exc.message}
            )
            return
        metrics.add_metric(name="AsyncExtractions", unit=MetricUnit.Count, value=1)

    @tracer.capture_method
    def _ingest_object(self, s3_object: dict[str, Any]) -> dict[str, Any]:
        """Ingest one object and record the upload; the result is stored by the idempotency layer. A permanent
        failure is recorded and returned (so a redelivery is a duplicate), a transient one raised (retried)."""
        ref = S3ObjectRef.model_validate(s3_object)
        logger.append_keys(s3_key=ref.key)
        upload_id = make_upload_id(ref.bucket, ref.key, ref.etag, ref.version_id, ref.sequencer)
        article_id: str | None = None
        try:
            body = self._fetch(ref)
            if body is None:
                return self._recorded(upload_id, ref, "gone")
            article = article_from_object(ref.key, body)
            article_id = article_id_for_text(article.text)
            # Extracted here, whatever its length: this is already the asynchronous path (queueing a long article
            # again would only run this function a second time for it).
            outcome = self.service.submit(
                article, origin=ref.origin(), mode="sync", deadline=self.service.deadline_for(self._context)
            )
        except WhosaidError as exc:
            if not is_permanent(exc):
                raise
            metrics.add_metric(name="UploadsFailed", unit=MetricUnit.Count, value=1)
            logger.warning("upload failed for good; recorded, not retried", extra={"error_code": exc.code})
            return self._recorded(upload_id, ref, "failed", article_id=article_id, error=exc)
        article_id = outcome.article.article_id
        logger.info("object ingested", extra={"article_id": article_id, "status": outcome.status})
        metrics.add_metric(name="ArticlesIngested", unit=MetricUnit.Count, value=1)
        # complete (extracted now, or the same text before), or pending: a concurrent submission is extracting it.
        return self._recorded(upload_id, ref, outcome.article.status, article_id=article_id)

    def _recorded(
        self,
        upload_id: str,
        ref: S3ObjectRef,
        status: UploadStatus,
        *,
        article_id: str | None = None,
        error: WhosaidError | None = None,
    ) -> dict[str, Any]:
        self.service.record_upload(upload_id, ref.origin(), status, article_id=article_id, error=error)
        recorded: dict[str, Any] = {"key": ref.key, "upload_id": upload_id, "status": status, "article_id": article_id}
        if error is not None:
            recorded["error_code"] = error.code
        return recorded

    def _fetch(self, ref: S3ObjectRef) -> bytes | None:
        """The object's bytes (the notified version), None when it no longer exists; refuses what cannot be ingested
        (wrong type, empty, too big) before downloading it."""
        document_suffix(ref.key)
        if ref.size:
            check_size(ref.key, ref.size)
        request: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
        if ref.version_id:
            request["VersionId"] = ref.version_id
        with translate_aws_errors("reading the uploaded object"):
            try:
                response = self.s3.get_object(**request)
            except ClientError as exc:
                if error_code(exc) not in _GONE:
                    raise
                logger.warning("uploaded object no longer exists; skipped", extra={"bucket": ref.bucket})
                metrics.add_metric(name="ObjectsGone", unit=MetricUnit.Count, value=1)
                return None
            check_size(ref.key, int(response.get("ContentLength") or 0))
            return bytes(response["Body"].read())


def _on_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    """Called by powertools when a stored result is returned instead of running again: a redelivery.

    The parameters are named as powertools' IdempotentHookFunction protocol names them."""
    logger.info("duplicate delivery skipped", extra={"idempotency_key": idempotent_data.idempotency_key})
    metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
    return response


_cached: tuple[ArticleService, Ingestor] | None = None


def get_ingestor() -> Ingestor:
    """The process's Ingestor, rebuilt when the service is (tests reset the service between AWS stacks)."""
    global _cached
    service = get_article_service()
    if _cached is None or _cached[0] is not service:
        _cached = (service, Ingestor(service, idempotency_table_name=get_settings().idempotency_table_name))
    return _cached[1]


def handle_batch(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    """The ingest function's work: `{"batchItemFailures": [{"itemIdentifier": <messageId>}, ...]}`."""
    return get_ingestor().handle_batch(event, context)


__all__ = ["IDEMPOTENCY_KEY", "Ingestor", "get_ingestor", "handle_batch"]
