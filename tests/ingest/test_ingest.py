"""S3 ingest, in-process against moto: uploads under incoming/ reach IngestQueue as S3's own notifications (moto
delivers them), and the ingest handler turns them into stored articles and claims with the real service."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest

from infra.lambda_events import LocalLambdaContext
from tests.support.aws_stack import REGION
from tests.support.service_support import api_event, invoke
from whosaid.errors import InvalidInputError
from whosaid.ingest.documents import MAX_OBJECT_BYTES, article_from_object
from whosaid.ingest.messages import S3TestEvent, parse_message
from whosaid.models import Article

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
SEED_BYTES = (EVENTS / "seed-article.txt").read_bytes()
SEED_TEXT = SEED_BYTES.decode("utf-8")

PAGE = """<!doctype html>
<html lang="en"><head>
<title>No breakthroughs in Cairo talks | Example News</title>
<meta property="og:title" content="No breakthroughs in Cairo talks">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2021-08-04T10:00:00Z">
<link rel="canonical" href="https://news.example.com/world/cairo-talks">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> PREV Floods hit the coast NEXT Markets rally</nav>
<article>
<h1>No breakthroughs in Cairo talks</h1>
<p>Hamas spokesman Hazem Qassem said on Tuesday that the movement did not reach a long-term truce agreement.</p>
<p>"There is no agreement on a prisoner exchange deal," Palestinian sources said, adding that the talks would go on.</p>
<p>Egyptian officials denied that the meetings had failed, according to a statement released late on Tuesday.</p>
</article>
<aside>Follow us on Twitter and Facebook for more news</aside>
<footer>Copyright 2021 Example News. All rights reserved.</footer>
</body></html>
"""


def _load_handler() -> ModuleType:
    """functions/ingest/ingest_handler.py as Lambda loads it: a top-level module next to the layer's package."""
    path = ROOT / "functions" / "ingest" / "ingest_handler.py"
    spec = importlib.util.spec_from_file_location("ingest_handler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ingest_handler"] = module
    spec.loader.exec_module(module)
    return module


class IngestStack:
    """The template's resources in moto, plus what a test needs to drive the ingest function."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.env = environment
        self.bucket = environment["WHOSAID_BUCKET_NAME"]
        self.queue_url = environment["WHOSAID_QUEUE_URL"]
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.handler = _load_handler()

    def upload(self, key: str, body: bytes) -> str | None:
        """Put an object; its version id (None when moto's bucket is not versioned)."""
        return self.s3.put_object(Bucket=self.bucket, Key=key, Body=body).get("VersionId")

    def receive(self) -> list[dict[str, Any]]:
        """What IngestQueue holds now, as Lambda's SQS event source would pass it (S3 notifications included)."""
        messages: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            messages.extend(batch)
        return messages

    def event_from(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "Records": [
                _sqs_record(
                    message["Body"],
                    message["MessageId"],
                    receipt_handle=message["ReceiptHandle"],
                    receive_count=int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
                )
                for message in messages
            ]
        }

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        context = LocalLambdaContext(function_name="whosaid-test-ingest", timeout_seconds=300)
        return self.handler.lambda_handler(event, context)

    def drain(self) -> dict[str, Any]:
        """Deliver everything queued to the handler once (S3's test event included)."""
        return self.invoke(self.event_from(self.receive()))

    def deliver(self) -> tuple[list[dict[str, Any]], set[str]]:
        """The event source's loop, once: receive what is visible, invoke, delete all but the batchItemFailures
        (those stay in flight until the visibility the function set). The messages and the failed ids."""
        messages = self.receive()
        if not messages:
            return [], set()
        failed = _failed_ids(self.invoke(self.event_from(messages)))
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages, failed

    def make_visible(self, messages: list[dict[str, Any]]) -> None:
        """Time passes: the backoff of these in-flight messages is over."""
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    def dead_letters(self) -> list[dict[str, Any]]:
        url = self.queue_url.replace("IngestQueue", "IngestDeadLetterQueue")
        return self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])

    def uploads(self, **query: str) -> Any:
        """GET /uploads through the API function."""
        return invoke(api_event("GET", "/uploads", query=query or None))

    def service(self) -> Any:
        from whosaid.service import get_article_service

        return get_article_service()

    def articles(self) -> list[Any]:
        return self.service().list_articles(limit=100).items

    def table_items(self, table_env: str) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=self.env[table_env])["Items"]


def _sqs_record(
    body: str, message_id: str | None = None, *, receipt_handle: str = "MessageReceiptHandle", receive_count: int = 1
) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "1764014400000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1764014400001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:whosaid-test-IngestQueue",
        "awsRegion": REGION,
    }


def _notification(bucket: str, key: str, size: int, *, etag: str = "e" * 32, sequencer: str = "0A1") -> str:
    """An S3 ObjectCreated notification body as S3 writes it (the key URL-encoded)."""
    event = json.loads((EVENTS / "s3-put.json").read_text(encoding="utf-8"))
    s3 = event["Records"][0]["s3"]
    s3["bucket"]["name"] = bucket
    s3["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    s3["object"].update({"key": key, "size": size, "eTag": etag, "sequencer": sequencer})
    return json.dumps(event)


def _failed_ids(response: dict[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


@pytest.fixture
def stack(aws_env: dict[str, str]) -> IngestStack:
    return IngestStack(aws_env)


# --- formats ------------------------------------------------------------------------------------------------------


def test_txt_upload_becomes_an_article_with_its_origin_and_claims(stack: IngestStack) -> None:
    stack.upload("incoming/seed-article.txt", SEED_BYTES)

    messages = stack.receive()
    # moto, like S3, sends its test event when the notification is configured, then the upload's notification.
    assert any(json.loads(m["Body"]).get("Event") == "s3:TestEvent" for m in messages)
    response = stack.invoke(stack.event_from(messages))

    assert response == {"batchItemFailures": []}
    [article] = stack.articles()
    assert article.status == "complete"
    assert article.claim_count > 0
    assert article.origin is not None
    assert article.origin["bucket"] == stack.bucket
    assert article.origin["key"] == "incoming/seed-article.txt"
    assert article.origin["size"] == len(SEED_BYTES)
    assert article.origin["etag"] == hashlib.md5(SEED_BYTES).hexdigest()
    stored = stack.service().get_article(article.article_id)
    assert stored.text == SEED_TEXT
    speakers = {claim.speaker.name for claim in stack.service().speaker_claims("Hazem Qassem").items}
    assert speakers == {"Hazem Qassem"}


def test_json_upload_is_the_post_body(stack: IngestStack) -> None:
    body = {
        "text": SEED_TEXT,
        "title": "No breakthroughs in the Hamas meetings in Cairo",
        "url": "https://news.example.com/cairo",
        "source": "Example News",
        "published_at": "2021-08-04",
        "language": "en",
    }
    stack.upload("incoming/cairo.json", json.dumps(body).encode())

    assert stack.drain() == {"batchItemFailures": []}

    [article] = stack.articles()
    assert article.title == body["title"]
    assert article.url == body["url"]
    assert article.source == "Example News"
    assert article.published_at is not None and article.published_at.startswith("2021-08-04")
    assert stack.service().get_article(article.article_id).text == SEED_TEXT


def test_html_upload_keeps_the_main_text_and_drops_page_furniture(stack: IngestStack) -> None:
    stack.upload("incoming/pages/cairo-talks.html", PAGE.encode())

    assert stack.drain() == {"batchItemFailures": []}

    [article] = stack.articles()
    text = stack.service().get_article(article.article_id).text
    assert "Hazem Qassem said on Tuesday" in text
    assert "Egyptian officials denied" in text
    for furniture in ("PREV", "NEXT", "Follow us", "Copyright", "Home"):
        assert furniture not in text
    assert article.title == "No breakthroughs in Cairo talks"
    assert article.url == "https://news.example.com/world/cairo-talks"
    assert article.source == "Example News"
    assert article.published_at is not None and article.published_at.startswith("2021-08-04")
    claims = stack.service().list_claims(article.article_id, limit=100).items
    assert claims
    # Offsets refer to the extracted text, which is what is stored.
    for claim in claims:
        start, end = claim.content_span
        assert text[start:end] == claim.content


def test_html_upload_without_metadata_still_ingests_the_text() -> None:
    html = "<html><body><article><p>" + "The minister said the plan would work. " * 5 + "</p></article></body></html>"
    article = article_from_object("incoming/bare.htm", html.encode())
    assert article.text.startswith("The minister said the plan would work.")
    assert article.url is None and article.published_at is None


def test_url_encoded_keys_are_decoded(stack: IngestStack) -> None:
    key = "incoming/Cairo talks (draft)+final.txt"
    stack.upload(key, SEED_BYTES)
    stack.receive()  # drop moto's own notifications: this test sends S3's encoding of the key itself
    encoded = "incoming/Cairo+talks+%28draft%29%2Bfinal.txt"

    response = stack.invoke({"Records": [_sqs_record(_notification(stack.bucket, encoded, len(SEED_BYTES)))]})

    assert response == {"batchItemFailures": []}
    [article] = stack.articles()
    assert article.origin is not None and article.origin["key"] == key


# --- the sample events --------------------------------------------------------------------------------------------


def test_sample_sqs_event_wraps_the_sample_s3_put(stack: IngestStack) -> None:
    sqs_event = json.loads((EVENTS / "sqs-s3-notification.json").read_text(encoding="utf-8"))
    s3_put = json.loads((EVENTS / "s3-put.json").read_text(encoding="utf-8"))
    [record] = sqs_event["Records"]
    assert json.loads(record["body"]) == s3_put
    assert s3_put["Records"][0]["s3"]["object"]["size"] == len(SEED_BYTES)

    # The same event against this stack's bucket (the sample names a deployed stack's bucket).
    stack.upload("incoming/seed-article.txt", SEED_BYTES)
    stack.receive()
    event = copy.deepcopy(sqs_event)
    event["Records"][0]["body"] = record["body"].replace(s3_put["Records"][0]["s3"]["bucket"]["name"], stack.bucket)

    response = stack.invoke(event)

    assert response == {"batchItemFailures": []}
    [article] = stack.articles()
    assert article.status == "complete"
    assert article.origin is not None and article.origin["etag"] == s3_put["Records"][0]["s3"]["object"]["eTag"]


def test_s3_test_event_is_ignored(stack: IngestStack) -> None:
    event = json.loads((EVENTS / "s3-test-event.json").read_text(encoding="utf-8"))
    assert isinstance(parse_message(event["Records"][0]["body"]), S3TestEvent)

    assert stack.invoke(event) == {"batchItemFailures": []}

    assert stack.articles() == []
    assert stack.table_items("WHOSAID_IDEMPOTENCY_TABLE_NAME") == []


def test_async_extract_message_completes_a_pending_article(stack: IngestStack) -> None:
    outcome = stack.service().submit(_seed_article(), mode="async")
    assert outcome.status == "accepted"
    assert outcome.article.status == "pending"
    event = json.loads((EVENTS / "sqs-async-extract.json").read_text(encoding="utf-8"))
    assert json.loads(event["Records"][0]["body"])["article_id"] == outcome.article.article_id, (
        "events/sqs-async-extract.json must name the seed article's id: regenerate it"
    )
    # The service queued exactly this message (beside S3's test event from configuring the bucket).
    queued = [json.loads(m["Body"]) for m in stack.receive()]
    assert [body for body in queued if body.get("Event") != "s3:TestEvent"] == [json.loads(event["Records"][0]["body"])]

    assert stack.invoke(event) == {"batchItemFailures": []}

    article = stack.service().get_article(outcome.article.article_id)
    assert article.status == "complete"
    assert article.claim_count > 0


def test_upload_above_the_async_threshold_is_extracted_in_place(stack: IngestStack) -> None:
    # The ingest function is the asynchronous path already: a long upload is extracted by the delivery that brought
    # it, not queued again for this same function to run a second time.
    long_text = "\n\n".join([SEED_TEXT] * 4)  # above WHOSAID_ASYNC_THRESHOLD_CHARS (20,000 in the template)
    assert len(long_text) > int(stack.env["WHOSAID_ASYNC_THRESHOLD_CHARS"])
    stack.upload("incoming/long.txt", long_text.encode())

    assert stack.drain() == {"batchItemFailures": []}
    [article] = stack.articles()
    assert article.status == "complete"
    assert stack.service().get_article(article.article_id).text == long_text
    assert article.origin is not None and article.origin["key"] == "incoming/long.txt"
    assert stack.receive() == []  # no extract_article message: nothing was queued again
    assert [u.status for u in stack.service().list_uploads().items] == ["complete"]


def test_async_extract_message_for_a_deleted_article_is_acknowledged(stack: IngestStack) -> None:
    # The article was deleted after it was queued: there is nothing to extract, and a retry would find nothing too.
    unknown = _sqs_record(json.dumps({"type": "extract_article", "article_id": "0" * 20}))
    test_event = json.loads((EVENTS / "s3-test-event.json").read_text(encoding="utf-8"))["Records"][0]

    assert stack.invoke({"Records": [unknown, test_event]}) == {"batchItemFailures": []}


# --- exactly once, and failures ---------------------------------------------------------------------------------


def test_duplicate_delivery_is_processed_once(stack: IngestStack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.upload("incoming/seed-article.txt", SEED_BYTES)
    event = stack.event_from(stack.receive())
    calls: list[str] = []
    service = stack.service()
    original_submit = service.submit

    def counting_submit(*args: Any, **kwargs: Any) -> Any:
        calls.append("submit")
        return original_submit(*args, **kwargs)

    monkeypatch.setattr(service, "submit", counting_submit)

    first = stack.invoke(event)
    [article] = stack.articles()
    claims_before = stack.service().list_claims(article.article_id, limit=100).items
    items_before = len(stack.table_items("WHOSAID_TABLE_NAME"))
    # SQS at-least-once: the same messages again, and the same notification twice within one batch.
    second = stack.invoke(event)
    s3_records = [r for r in event["Records"] if "Records" in json.loads(r["body"])]
    third = stack.invoke({"Records": [_sqs_record(r["body"]) for r in s3_records * 2]})

    assert first == second == third == {"batchItemFailures": []}
    assert calls == ["submit"]
    [again] = stack.articles()
    assert again.article_id == article.article_id
    assert len(stack.service().list_claims(article.article_id, limit=100).items) == len(claims_before)
    assert len(stack.table_items("WHOSAID_TABLE_NAME")) == items_before
    [record] = stack.table_items("WHOSAID_IDEMPOTENCY_TABLE_NAME")
    assert record["status"]["S"] == "COMPLETED"


def test_reupload_of_the_same_text_under_another_key_is_not_a_second_article(stack: IngestStack) -> None:
    stack.upload("incoming/one.txt", SEED_BYTES)
    stack.upload("incoming/two.txt", SEED_BYTES)

    assert stack.drain() == {"batchItemFailures": []}

    assert len(stack.articles()) == 1


def test_bad_objects_are_recorded_failed_once_while_the_good_one_is_stored(stack: IngestStack) -> None:
    bad = {
        "incoming/latin1.txt": ("Le ministre a déclaré".encode("latin-1"), "not valid UTF-8"),
        "incoming/report.pdf": (b"%PDF-1.7 not an article", "unsupported file type '.pdf'"),
        "incoming/empty.txt": (b"", "is empty"),
        "incoming/blank.txt": (b" \n\t ", "not a valid article"),
        "incoming/wrong.json": (json.dumps({"text": "x", "url": "ftp://example.com"}).encode(), "url"),
        "incoming/nav-only.html": (b"<html><body></body></html>", "no article text"),
    }
    for key, (body, _) in bad.items():
        stack.upload(key, body)
    stack.upload("incoming/seed-article.txt", SEED_BYTES)

    # Acknowledged, every one: retrying would not fix an object.
    assert stack.drain() == {"batchItemFailures": []}

    [article] = stack.articles()
    assert article.origin is not None and article.origin["key"] == "incoming/seed-article.txt"
    uploads = {upload.key: upload for upload in stack.service().list_uploads(limit=100).items}
    assert set(uploads) == {*bad, "incoming/seed-article.txt"}
    assert uploads["incoming/seed-article.txt"].status == "complete"
    assert uploads["incoming/seed-article.txt"].article_id == article.article_id
    for key, (body, message) in bad.items():
        upload = uploads[key]
        assert upload.status == "failed", key
        assert upload.error is not None and upload.error.code == "invalid_input"
        assert message in upload.error.message, (key, upload.error.message)
        assert upload.bucket == stack.bucket and upload.size == len(body) and upload.etag
        assert upload.article_id is None
    # Every object's outcome is a stored result: a redelivery of any of them is a duplicate.
    records = stack.table_items("WHOSAID_IDEMPOTENCY_TABLE_NAME")
    assert [r["status"]["S"] for r in records] == ["COMPLETED"] * (len(bad) + 1)


def test_malformed_queue_messages_go_to_the_dead_letter_queue_at_once(stack: IngestStack) -> None:
    stack.receive()  # S3's test event
    for body in (
        "hello",
        json.dumps({"type": "something_else"}),
        json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}),
    ):
        stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=body)
    messages = stack.receive()

    response = stack.invoke(stack.event_from(messages))

    assert _failed_ids(response) == {m["MessageId"] for m in messages}
    # Nothing can be recorded for them: visible again at once, so the redrive policy dead-letters them in seconds.
    assert {m["MessageId"] for m in stack.receive()} == {m["MessageId"] for m in messages}
    assert stack.service().list_uploads().items == []


def test_oversized_object_is_refused_without_downloading(stack: IngestStack) -> None:
    notification = _notification(stack.bucket, "incoming/huge.txt", MAX_OBJECT_BYTES + 1)
    record = _sqs_record(notification)
    # No such object exists: the size in the notification alone must refuse it.
    assert stack.invoke({"Records": [record]}) == {"batchItemFailures": []}
    assert stack.articles() == []
    [upload] = stack.service().list_uploads().items
    assert (upload.key, upload.status, upload.size) == ("incoming/huge.txt", "failed", MAX_OBJECT_BYTES + 1)
    assert upload.error is not None and "the limit is" in upload.error.message


def test_objects_outside_incoming_are_skipped_and_deleted_ones_recorded_gone(stack: IngestStack) -> None:
    outside = _sqs_record(_notification(stack.bucket, "articles/abc.txt", 10))
    deleted = _sqs_record(_notification(stack.bucket, "incoming/deleted-since.txt", 10))

    assert stack.invoke({"Records": [outside, deleted]}) == {"batchItemFailures": []}
    assert stack.articles() == []
    [upload] = stack.service().list_uploads().items
    assert (upload.key, upload.status, upload.error) == ("incoming/deleted-since.txt", "gone", None)


# --- failures people can see: GET /uploads, backoff, the dead-letter queue -------------------------------------


@pytest.mark.parametrize(
    ("key", "body", "message"),
    [
        ("incoming/scan.txt", bytes(range(256)) * 4, "not valid UTF-8"),
        ("incoming/empty.txt", b"", "is empty"),
        ("incoming/huge.txt", b"x" * (MAX_OBJECT_BYTES + 1), "the limit is"),
        ("incoming/latin1.txt", "déclaré".encode("latin-1"), "not valid UTF-8"),
        ("incoming/article.json", json.dumps({"text": "ok", "published_at": "yesterday"}).encode(), "published_at"),
    ],
)
def test_a_permanently_bad_upload_is_failed_in_get_uploads_after_one_delivery(
    stack: IngestStack, monkeypatch: pytest.MonkeyPatch, key: str, body: bytes, message: str
) -> None:
    stack.receive()  # S3's test event
    version_id = stack.upload(key, body)

    messages, failed = stack.deliver()

    assert len(messages) == 1 and failed == set()  # acknowledged: deleted from the queue, never redelivered
    assert stack.receive() == [] and stack.dead_letters() == []
    response = stack.uploads(status="failed")
    assert response.status == 200, response.body
    [upload] = response.body["uploads"]
    assert upload["key"] == key and upload["status"] == "failed" and upload["article_id"] is None
    assert upload["error"]["code"] == "invalid_input" and message in upload["error"]["message"]
    assert upload["size"] == len(body) and upload["etag"] == hashlib.md5(body).hexdigest()
    assert upload["version_id"] == version_id
    # SQS delivering the same notification again is a duplicate: nothing runs, nothing changes.
    fetches: list[Any] = []
    monkeypatch.setattr(stack.service(), "record_upload", lambda *a, **k: fetches.append(a))
    assert stack.invoke(stack.event_from(messages)) == {"batchItemFailures": []}
    assert fetches == []
    assert stack.uploads().body["uploads"] == [upload]


def test_a_transient_failure_is_redelivered_after_a_backoff_and_then_succeeds(
    stack: IngestStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from whosaid.ingest.processor import get_ingestor

    stack.receive()
    stack.upload("incoming/seed-article.txt", SEED_BYTES)
    ingestor = get_ingestor()
    get_object = ingestor.s3.get_object
    outages = [ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "GetObject")]

    def flaky_get_object(**kwargs: Any) -> Any:
        if outages:
            raise outages.pop()
        return get_object(**kwargs)

    monkeypatch.setattr(ingestor.s3, "get_object", flaky_get_object)
    sqs = stack.service().queue.sqs
    change_visibility = sqs.change_message_visibility
    visibility_calls: list[dict[str, Any]] = []

    def spy(**kwargs: Any) -> Any:
        visibility_calls.append(kwargs)
        return change_visibility(**kwargs)

    monkeypatch.setattr(sqs, "change_message_visibility", spy)

    [message], failed = stack.deliver()

    assert failed == {message["MessageId"]}
    # A tenth of the function's time (the fake context's 300 s), on the message's own receipt handle.
    assert visibility_calls == [
        {"QueueUrl": stack.queue_url, "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 30}
    ]
    assert stack.receive() == []  # in flight until the backoff is over (moto applied it)
    assert stack.uploads().body["uploads"] == []  # nothing recorded for a failure that may yet succeed
    # The idempotency record went with the exception, so the redelivery really runs.
    assert stack.table_items("WHOSAID_IDEMPOTENCY_TABLE_NAME") == []

    stack.make_visible([message])
    [again], failed = stack.deliver()

    assert again["MessageId"] == message["MessageId"] and again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert failed == set() and len(visibility_calls) == 1
    [upload] = stack.uploads().body["uploads"]
    [article] = stack.articles()
    assert (upload["status"], upload["article_id"]) == ("complete", article.article_id)
    assert article.status == "complete"


def test_backoff_grows_with_each_delivery_and_the_dead_letter_queue_ends_it(
    stack: IngestStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whosaid.errors import StorageError
    from whosaid.ingest.processor import get_ingestor

    stack.receive()
    stack.upload("incoming/seed-article.txt", SEED_BYTES)

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise StorageError("storage is unavailable: storing the article failed (InternalError); try again later")

    monkeypatch.setattr(stack.service(), "submit", unavailable)
    delays = [get_ingestor().retry_delay(count) for count in (1, 2, 3)]
    assert delays == [30, 60, 120]

    for _ in range(3):  # the redrive policy's maxReceiveCount
        messages, failed = stack.deliver()
        assert len(messages) == 1 and failed == {messages[0]["MessageId"]}
        stack.make_visible(messages)

    assert stack.receive() == []
    [dead] = stack.dead_letters()
    assert unquote_plus(json.loads(dead["Body"])["Records"][0]["s3"]["object"]["key"]) == "incoming/seed-article.txt"
    assert stack.uploads().body["uploads"] == []


def test_a_queued_upload_is_pending_then_follows_its_article(stack: IngestStack) -> None:
    # The same text was POSTed async just before: the upload finds its article queued for the worker, waits no
    # longer than the service waits for a concurrent duplicate, and is recorded pending until that article completes.
    long_text = "\n\n".join([SEED_TEXT] * 4)
    stack.service().wait_seconds = 0
    queued = stack.service().submit(Article(text=long_text), mode="async")
    [extract] = [m for m in stack.receive() if "extract_article" in m["Body"]]  # in flight: the worker has it
    stack.upload("incoming/long.txt", long_text.encode())

    assert stack.drain() == {"batchItemFailures": []}
    [upload] = stack.uploads().body["uploads"]
    assert upload["status"] == "pending" and upload["article_id"]
    assert [u["key"] for u in stack.uploads(status="pending").body["uploads"]] == ["incoming/long.txt"]
    assert stack.uploads(status="complete").body["uploads"] == []

    assert stack.invoke(stack.event_from([extract])) == {"batchItemFailures": []}  # the worker extracts it

    [upload] = stack.uploads().body["uploads"]
    assert upload["status"] == "complete" and upload["article_id"] == queued.article.article_id
    assert [u["key"] for u in stack.uploads(status="complete").body["uploads"]] == ["incoming/long.txt"]
    assert stack.uploads(status="pending").body["uploads"] == []


def test_async_extraction_acknowledges_a_permanent_failure_and_retries_a_transient_one(
    stack: IngestStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.service_support import FakeExtractor
    from whosaid.errors import LLMOutputError, LLMUnavailableError

    stack.receive()
    service = stack.service()
    extractor = FakeExtractor(error=LLMUnavailableError("the LLM endpoint kept failing (503)"))
    monkeypatch.setattr(service, "_extractor_factory", lambda: extractor)
    article_id = service.submit(_seed_article(), mode="async").article.article_id

    [message], failed = stack.deliver()

    assert failed == {message["MessageId"]}  # transient: redelivered
    assert service.get_article(article_id).error.code == "llm_unavailable"

    extractor.error = LLMOutputError("The model's output failed validation after a re-ask")
    stack.make_visible([message])
    [again], failed = stack.deliver()

    assert again["MessageId"] == message["MessageId"] and failed == set()  # permanent: acknowledged
    assert service.get_article(article_id).error.code == "llm_bad_output"
    assert stack.receive() == [] and extractor.calls == 2


# --- documents ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "body", "message"),
    [
        ("incoming/a.txt", "déclaré".encode("latin-1"), "not valid UTF-8"),
        ("incoming/a.pdf", b"%PDF", "unsupported file type '.pdf'"),
        ("incoming/README", b"text", "unsupported file type '(none)'"),
        ("incoming/a.txt", b"", "is empty"),
        ("incoming/a.json", b"{not json", "not a valid article"),
        ("incoming/a.json", json.dumps({"text": "ok", "published_at": "yesterday"}).encode(), "published_at"),
        ("incoming/a.json", json.dumps({"text": "ok", "extra": 1}).encode(), "extra"),
        ("incoming/a.txt", b"x" * (MAX_OBJECT_BYTES + 1), "the limit is"),
        ("incoming/a.txt", b"x" * 100_001, "at most 100000 characters"),
    ],
)
def test_unusable_documents_are_invalid_input(key: str, body: bytes, message: str) -> None:
    with pytest.raises(InvalidInputError) as excinfo:
        article_from_object(key, body)
    assert message in excinfo.value.message
    assert excinfo.value.code == "invalid_input"  # errors carry a code; the API's table makes it a 400


def test_text_keeps_its_characters_and_drops_only_a_byte_order_mark() -> None:
    text = "“Quoted,” she said.\r\nNext line."
    assert article_from_object("incoming/A.TXT", b"\xef\xbb\xbf" + text.encode()).text == text


def _seed_article() -> Any:
    from whosaid.models import Article

    return Article(text=SEED_TEXT)
