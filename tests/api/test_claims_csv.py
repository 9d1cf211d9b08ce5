"""GET /articles/{id}/claims?format=csv: every claim of an article in one file a spreadsheet opens."""

from __future__ import annotations

import csv
import io

from tests.support.service_support import SEED_ARTICLE_ID, SEED_TEXT, api_event, invoke
from whosaid.exports import CLAIM_COLUMNS
from whosaid.service import ArticleService

PATH = f"/articles/{SEED_ARTICLE_ID}/claims"


def _post_seed() -> list[dict[str, object]]:
    posted = invoke(api_event("POST", "/articles", body={"text": SEED_TEXT, "title": "Seed"}))
    assert posted.status == 201, posted.raw
    claims: list[dict[str, object]] = posted.body["claims"]
    return claims


def test_csv_holds_every_claim_of_the_article_beyond_one_page(memory_service: ArticleService) -> None:
    claims = _post_seed()
    assert len(claims) >= 2
    result = invoke(api_event("GET", PATH, query={"format": "csv", "limit": "1"}))  # limit pages JSON only
    assert result.status == 200, result.raw
    assert result.headers["content-type"] == "text/csv; charset=utf-8"
    assert result.headers["content-disposition"] == f'attachment; filename="whosaid-{SEED_ARTICLE_ID}-claims.csv"'
    rows = list(csv.DictReader(io.StringIO(result.raw, newline="")))
    assert list(rows[0]) == ["article_id", "speaker_id", *CLAIM_COLUMNS]
    assert len(rows) == len(claims)
    for row, claim in zip(rows, claims, strict=True):
        assert row["article_id"] == SEED_ARTICLE_ID and row["speaker_id"] == claim["speaker_id"]
        assert int(row["index"]) == claim["index"]
        assert [int(row["content_start"]), int(row["content_end"])] == claim["content_span"]
        assert SEED_TEXT[int(row["content_start"]) : int(row["content_end"])] == claim["content"]


def test_json_stays_the_default_and_an_unknown_format_is_refused(memory_service: ArticleService) -> None:
    _post_seed()
    page = invoke(api_event("GET", PATH, query={"limit": "1"}))
    assert page.status == 200 and len(page.body["claims"]) == 1 and page.body["next_token"]
    refused = invoke(api_event("GET", PATH, query={"format": "xlsx"}))
    assert refused.status == 422 and refused.body["error"]["code"] == "validation_error"
    assert "format" in refused.body["error"]["message"]


def test_csv_of_a_missing_or_unfinished_article_is_the_json_error(memory_service: ArticleService) -> None:
    missing = invoke(api_event("GET", "/articles/0123456789abcdef0123/claims", query={"format": "csv"}))
    assert missing.status == 404 and missing.body["error"]["code"] == "not_found"
    assert missing.headers["content-type"] == "application/json"
    queued = invoke(api_event("POST", "/articles", body={"text": SEED_TEXT}, query={"mode": "async"}))
    assert queued.status == 202
    pending = invoke(api_event("GET", PATH, query={"format": "csv"}))
    assert pending.status == 409 and pending.body["error"]["code"] == "article_not_complete"
