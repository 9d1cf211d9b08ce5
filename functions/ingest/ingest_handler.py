"""Ingest Lambda: SQS batches of S3 upload notifications and async-extraction messages (logic in whosaid.ingest)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from whosaid.ingest import handle_batch
from whosaid.observability import logger, metrics, tracer
from whosaid.service import prepare

# The function's init (under SnapStart, part of the snapshot): the LLM client when an LLM may be used.
prepare()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_batch(event, context)
