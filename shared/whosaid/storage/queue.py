"""The work queue: asynchronous extraction requests for the ingest function."""

from __future__ import annotations

import json
from typing import Any

from whosaid.errors import ConfigurationError
from whosaid.storage.aws import aws_client, translate_aws_errors

EXTRACT_ARTICLE = "extract_article"


class WorkQueue:
    def __init__(self, queue_url: str, *, sqs: Any | None = None) -> None:
        self.queue_url = queue_url
        self._sqs = sqs

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = aws_client("sqs")
        return self._sqs

    def request_extraction(self, article_id: str) -> None:
        """Ask the ingest function to extract a pending article: {"type": "extract_article", "article_id": ...}."""
        if not self.queue_url:
            raise ConfigurationError("WHOSAID_QUEUE_URL is not set, so articles cannot be extracted asynchronously")
        with translate_aws_errors("queueing the article for extraction"):
            self.sqs.send_message(
                QueueUrl=self.queue_url,
                MessageBody=json.dumps({"type": EXTRACT_ARTICLE, "article_id": article_id}),
            )
