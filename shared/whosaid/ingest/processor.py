"""The ingest pipeline: an SQS batch in, every message handled on its own, the failures reported back to SQS.

Each record is an S3 upload notification (every object under incoming/ becomes an article), S3's test event
(ignored) or an async extraction request (the service extracts a pending article). A record that fails is listed
in batchItemFailures: SQS retries just that one and, after the queue's maxReceiveCount, moves it to the DLQ.

Exactly-once per upload: powertools idempotency keys each object on bucket, key, etag, version and sequencer in
the idempotency table, so a notification S3 or SQS delivers twice is processed once; the article id (a hash of the
text) also keeps a re-upload of the same text from becoming a second article.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from whosaid.config import get_settings
from whosaid.errors import InvalidInputError
from whosaid.ingest.documents import article_from_object, check_size, document_suffix
from whosaid.ingest.messages import ExtractArticleMessage, S3ObjectRef, S3TestEvent, parse_message
from whosaid.observability import logger, metrics, tracer
from whosaid.service import ArticleService, get_article_service
from whosaid.storage.aws import aws_client, error_code, translate_aws_errors

# Long enough to cover every redelivery SQS can make of one message (its retention is 4 days).
IDEMPOTENCY_EXPIRY_SECONDS = 4 * 24 * 3600
# What makes two notifications "the same delivery": a new upload of the same key gets a new sequencer.
IDEMPOTENCY_KEY = "[bucket, key, etag, version_id, sequencer]"
# The object (or the notified version) was deleted after the upload: there is nothing left to ingest.
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404"})

# Every failed record is reported in batchItemFailures, even when all fail: powertools would otherwise raise and
# turn a batch of bad uploads into a function error (the Errors metric is kept for real crashes).
_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Ingestor:
    """Handles IngestQueue records with one service, one S3 client and one idempotency store (per process)."""

    def __init__(self, service: ArticleService, *, idempotency_table_name: str) -> None:
        self.service = service
        self.s3 = aws_client("s3")
        self._context: LambdaContext | None = None  # the current invocation's, for its deadline
        self.idempotency_config = IdempotencyConfig(
            event_key_jmespath=IDEMPOTENCY_KEY,
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
            response_hook=_on_duplicate,
        )
        persistence = DynamoDBPersistenceLayer(table_name=idempotency_table_name, boto3_client=aws_client("dynamodb"))
        self._ingest_once = idempotent_function(
            data_keyword_argument="obj",
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
        return dict(
            process_partial_response(
                event=event, record_handler=self.handle_record, processor=_processor, context=context
            )
        )

    def handle_record(self, record: SQSRecord) -> None:
        """One SQS message; raising marks it failed (retried by SQS, then dead-lettered)."""
        try:
            message = parse_message(record.body)
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
            for obj in message:
                # Dicts, not models: the idempotency key is a JMESPath over the data and the result is stored.
                self._ingest_once(obj=obj.model_dump())
        except InvalidInputError as exc:
            # Retrying will not fix the object; it still fails, so it is visible in the DLQ after the retries.
            metrics.add_metric(name="IngestRejected", unit=MetricUnit.Count, value=1)
            logger.warning(
                "ingest message rejected",
                extra={"message_id": record.message_id, "error_code": exc.code, "reason": exc.message},
            )
            raise
        finally:
            # Keys the service appended for this record must not label the next record's logs.
            logger.remove_keys(["article_id", "s3_key"])

    @tracer.capture_method
    def extract_pending(self, article_id: str) -> None:
        logger.info("extracting pending article", extra={"article_id": article_id})
        self.service.process_pending(article_id, deadline=self.service.deadline_for(self._context))
        metrics.add_metric(name="AsyncExtractions", unit=MetricUnit.Count, value=1)

    @tracer.capture_method
    def _ingest_object(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = S3ObjectRef.model_validate(obj)
        logger.append_keys(s3_key=ref.key)
        body = self._fetch(ref)
        if body is None:
            return {"key": ref.key, "status": "gone"}
        article = article_from_object(ref.key, body)
        # Synchronous: this is already the asynchronous path (the service still queues articles above its
        # async threshold, which this function then picks up as an extract_article message).
        outcome = self.service.submit(
            article, origin=ref.origin(), mode="sync", deadline=self.service.deadline_for(self._context)
        )
        article_id = outcome.article.article_id
        logger.info("object ingested", extra={"article_id": article_id, "status": outcome.status})
        metrics.add_metric(name="ArticlesIngested", unit=MetricUnit.Count, value=1)
        return {"key": ref.key, "article_id": article_id, "status": outcome.status}

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


def _on_duplicate(response: Any, data_record: DataRecord) -> Any:
    """Called by powertools when a stored result is returned instead of running again: a redelivery."""
    logger.info("duplicate delivery skipped", extra={"idempotency_key": data_record.idempotency_key})
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
