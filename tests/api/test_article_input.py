"""One way in: the same bad article gets the same message from the API, an S3 .json upload and the CLI; errors
carry a code that the API's one table turns into a status, and stored records keep the code and message only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.service_support import FakeExtractor, api_event, invoke, table_items
from whosaid import errors
from whosaid.api.errors import HTTP_STATUS, PayloadTooLargeError
from whosaid.article_input import article_from_json, validation_message
from whosaid.cli import main
from whosaid.errors import InvalidInputError, LLMTimeoutError, WhosaidError
from whosaid.ingest import messages
from whosaid.ingest.documents import article_from_object
from whosaid.ingest.messages import parse_message
from whosaid.jsonl import json_lines
from whosaid.models import Article
from whosaid.service import ArticleService
from whosaid.service.articles import ArticleNotReadyError, ArticleProcessingError
from whosaid.storage import article_id_for_text
from whosaid.storage.queue import ExtractArticleMessage, WorkQueue

TEXT = "Hazem Qassem said the talks went well."

BAD_ARTICLES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", {"text": TEXT, "author": "me"}, "author: is not an accepted field"),
    ("blank text", {"text": " \n\t "}, "text: text must not be blank"),
    ("bad date", {"text": TEXT, "published_at": "yesterday"}, "published_at: "),
]


@pytest.mark.parametrize(("name", "body", "start"), BAD_ARTICLES, ids=[name for name, _, _ in BAD_ARTICLES])
def test_a_bad_article_gets_the_same_message_through_api_s3_and_cli(
    memory_service: ArticleService,
    name: str,
    body: dict[str, Any],
    start: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = invoke(api_event("POST", "/articles", body=body))
    assert (api.status, api.body["error"]["code"]) == (422, "validation_error"), api.raw
    message = api.body["error"]["message"]
    assert message.startswith(start), message

    with pytest.raises(InvalidInputError) as s3:
        article_from_object("incoming/a.json", json.dumps(body).encode())
    assert s3.value.message == f"'incoming/a.json' is not a valid article: {message}"

    single = tmp_path / "a.json"
    single.write_text(json.dumps(body), encoding="utf-8")
    assert main(["extract", str(single), "--extractor", "rules"]) == 2
    assert capsys.readouterr().err == f"error: invalid_input: {message}\n"

    batch = tmp_path / "in.jsonl"
    batch.write_text(json.dumps({"id": "d1", **body}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["extract", "--jsonl", str(batch), "-o", str(out), "--extractor", "rules"]) == 1
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record == {"id": "d1", "error": {"code": "invalid_input", "message": message}}


def test_the_mapping_is_the_article_model_with_the_api_formatter() -> None:
    assert article_from_json({"text": TEXT, "title": "Talks"}) == Article(text=TEXT, title="Talks")
    with pytest.raises(InvalidInputError) as caught:
        article_from_json([TEXT])
    assert caught.value.message == "request body: must be a JSON object with the article's fields"
    # Query and path locations keep their names (the API's own parameters).
    assert validation_message([{"type": "missing", "loc": ("query", "limit"), "msg": "x"}]) == (
        "query parameter limit: is required"
    )


def test_s3_json_that_is_not_json_says_so() -> None:
    with pytest.raises(InvalidInputError) as caught:
        article_from_object("incoming/a.json", b"{not json")
    assert caught.value.message.startswith("'incoming/a.json' is not a valid article: not valid JSON (")


def _subclasses(cls: type[WhosaidError]) -> set[type[WhosaidError]]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(sub) for sub in found))


def test_every_domain_error_has_a_code_in_the_one_status_table_and_no_status() -> None:
    raised = _subclasses(WhosaidError) | {WhosaidError}
    assert {PayloadTooLargeError, ArticleNotReadyError, ArticleProcessingError, errors.LLMTimeoutError} <= raised
    for cls in raised:
        assert cls.code in HTTP_STATUS, cls
        assert not hasattr(cls, "status"), cls
    assert HTTP_STATUS["invalid_next_token"] == 400  # a code given at raise time (pagination), not a class


def test_a_stored_failed_article_keeps_code_and_message_only(
    article_service: ArticleService, fake_extractor: FakeExtractor, aws_env: dict[str, str]
) -> None:
    fake_extractor.error = LLMTimeoutError("the LLM timed out")
    posted = invoke(api_event("POST", "/articles", body={"text": TEXT}))
    assert (posted.status, posted.body["error"]["code"]) == (504, "llm_timeout")  # the status, from the table

    [meta] = [item for item in table_items(aws_env) if item["sk"]["S"] == "META"]
    assert set(meta["error"]["M"]) == {"code", "message"}
    article_id = article_id_for_text(TEXT)
    got = invoke(api_event("GET", f"/articles/{article_id}"))
    assert got.status == 200 and got.body["article"]["error"] == {"code": "llm_timeout", "message": "the LLM timed out"}


def test_an_item_stored_with_a_status_still_reads(
    article_service: ArticleService, fake_extractor: FakeExtractor, aws_env: dict[str, str]
) -> None:
    fake_extractor.error = LLMTimeoutError("the LLM timed out")
    with pytest.raises(LLMTimeoutError):
        article_service.submit(Article(text=TEXT))
    [meta] = [item for item in table_items(aws_env) if item["sk"]["S"] == "META"]
    boto3.client("dynamodb").update_item(  # as items written before the status left the record
        TableName=aws_env["WHOSAID_TABLE_NAME"],
        Key={"pk": meta["pk"], "sk": meta["sk"]},
        UpdateExpression="SET #error.#status = :status",
        ExpressionAttributeNames={"#error": "error", "#status": "status"},
        ExpressionAttributeValues={":status": {"N": "504"}},
    )
    record = article_service.get_article(article_id_for_text(TEXT))
    assert record.error is not None and record.error.model_dump() == {
        "code": "llm_timeout",
        "message": "the LLM timed out",
    }
    got = invoke(api_event("GET", f"/articles/{record.article_id}"))
    assert got.status == 200 and got.body["article"]["error"] == {"code": "llm_timeout", "message": "the LLM timed out"}


def test_one_jsonl_reader_for_the_batch_and_the_gold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"text": "ok"}\n\n{nope\n')
    lines = list(json_lines(path))
    assert [(line.number, line.value) for line in lines] == [(1, {"text": "ok"}), (3, None)]
    with pytest.raises(InvalidInputError, match=r"^in.jsonl:3: not valid JSON \("):
        lines[1].parsed("in.jsonl:3")
    # Not UTF-8: the batch refuses the file (exit 2) as eval does, instead of a traceback or a half-written output.
    path.write_bytes('{"text": "déclaré"}\n'.encode("latin-1"))
    assert main(["extract", "--jsonl", str(path), "--extractor", "rules"]) == 2
    assert f"error: cannot read {path}: it is not UTF-8" in capsys.readouterr().err
    assert main(["eval", str(path)]) == 2
    assert "it is not UTF-8" in capsys.readouterr().err


class _Sqs:
    def __init__(self) -> None:
        self.bodies: list[str] = []

    def send_message(self, *, QueueUrl: str, MessageBody: str) -> None:  # boto3's argument names
        self.bodies.append(MessageBody)


def test_one_queue_message_model_for_what_the_service_sends_and_the_ingest_reads() -> None:
    sqs = _Sqs()
    WorkQueue("https://sqs.example/queue", sqs=sqs).request_extraction("a" * 20)
    [body] = sqs.bodies
    assert json.loads(body) == {"type": "extract_article", "article_id": "a" * 20}
    assert parse_message(body) == ExtractArticleMessage(article_id="a" * 20)
    assert messages.ExtractArticleMessage is ExtractArticleMessage  # the ingest's is storage's, not a copy
    with pytest.raises(InvalidInputError) as caught:
        parse_message(json.dumps({"type": "extract_article", "article_id": ""}))
    assert (
        caught.value.message == "malformed extract_article message: article_id: string should have at least 1 character"
    )
