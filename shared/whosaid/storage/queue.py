"""The work queue: asynchronous extraction requests for the ingest function, and the one model of their message
(the ingest parses queue bodies with it: whosaid.ingest.messages)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from whosaid.errors import ConfigurationError
from whosaid.storage.aws import aws_client, translate_aws_errors

EXTRACT_ARTICLE = "extract_article"


class ExtractArticleMessage(BaseModel):
    """Async work the service queued: extract a stored `pending` article. {"type": "extract_article", "article_id"}"""

    # Fields a later version adds must not fail messages still in flight.
    model_config = ConfigDict(extra="ignore")

    type: Literal["extract_article"] = "extract_article"
    article_id: str = Field(min_length=1, max_length=200)


class WorkQueue:
    def __init__(self, queue_url: str, *, sqs: Any | None = None) -> None:
        self.queue_url = queue_url
        self._sqs = sqs

    @property
    def sqs(self) -> Any:
        if self._sqs is None:
            self._sqs = aws_client("sqs")
        return self._sqs

    def prepare(self) -> None:
        """Make the SQS client now (init, or before a SnapStart snapshot) rather than on first use."""
        _ = self.sqs

    def request_extraction(self, article_id: str) -> None:
        """Ask the ingest function to extract a pending article (an ExtractArticleMessage)."""
        if not self.queue_url:
            raise ConfigurationError("WHOSAID_QUEUE_URL is not set, so articles cannot be extracted asynchronously")
        with translate_aws_errors("queueing the article for extraction"):
            self.sqs.send_message(
                QueueUrl=self.queue_url,
                MessageBody=ExtractArticleMessage(article_id=article_id).model_dump_json(),
            )
