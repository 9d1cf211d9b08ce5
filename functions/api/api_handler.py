"""API function: API Gateway REST proxy events -> the whosaid API (shared/whosaid/api)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from whosaid.api import app
from whosaid.observability import logger, metrics, tracer
from whosaid.service import prepare

# The function's init (under SnapStart, part of the snapshot): the LLM client when an LLM may be used.
prepare()


# clear_state: keys a request appended (article_id) must not label the next request's logs in a warm container.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
