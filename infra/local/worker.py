"""Lambda's SQS event source mapping, locally: receive a batch, invoke the function, delete all but the
batchItemFailures, and let the failed ones come back after a short visibility timeout."""

from __future__ import annotations

import contextlib
import json
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from infra.lambda_events import failed_message_ids, sqs_event
from infra.local.functions import FunctionError

REGION = "us-east-1"

Invoke = Callable[[dict[str, Any]], Any]


def say(message: str) -> None:
    print(message, flush=True)


class QueueWorker(threading.Thread):
    """Polls one queue into one function, one batch at a time (the mapping's concurrency, locally)."""

    def __init__(
        self,
        *,
        invoke: Invoke,
        sqs: Any,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        retry_seconds: int,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="ingest-worker", daemon=True)
        self.invoke = invoke
        self.sqs = sqs
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self.batch_size, self.retry_seconds = max(1, min(batch_size, 10)), retry_seconds
        self.stop_event = stop

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception:  # keep draining: one bad poll must not stop the worker
                traceback.print_exc()
                self.stop_event.wait(1)

    def poll_once(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=1,  # short long-poll: Ctrl-C is never more than a second away
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        event = sqs_event(messages, queue_arn=self.queue_arn, region=REGION)
        try:
            failed = failed_message_ids(self.invoke(event))
        except Exception as exc:  # the whole batch failed, as when a Lambda invocation errors
            if not isinstance(exc, FunctionError):  # a FunctionError's traceback is in the function's log already
                traceback.print_exc()
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        # The ingest function acknowledges permanent failures itself (recorded in GET /uploads) and sets a backoff
        # on the transient ones (30, 60, 120 s deployed); locally they come back after retry_seconds instead, and
        # after the RedrivePolicy's maxReceiveCount receives SQS (moto too) moves them to the dead-letter queue.
        for message in messages:
            if message["MessageId"] in failed:
                with contextlib.suppress(Exception):
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self.retry_seconds,
                    )
        outcome = f"ingest batch: {len(done)} processed"
        if failed:
            retry = f"retried in {self.retry_seconds} s, to the DLQ after the queue's maxReceiveCount"
            outcome += f", {len(failed)} failed ({retry})"
        say(outcome)


def sqs_batch_size(template: Mapping[str, Any], function_id: str, queue_id: str) -> int:
    function = (template.get("Resources") or {}).get(function_id) or {}
    for event in ((function.get("Properties") or {}).get("Events") or {}).values():
        props = event.get("Properties") or {}
        if event.get("Type") == "SQS" and queue_id in json.dumps(props.get("Queue")):
            return int(props.get("BatchSize", 10))
    return 10
