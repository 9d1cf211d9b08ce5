"""whosaid.exports: the CSV a spreadsheet opens and the self-contained HTML page (its rendering in a real browser is
tests/browser's)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re

import pytest

from whosaid import exports
from whosaid.models import Article, Claim, ExtractionResult, Speaker, Usage

TEXT = "“We will rebuild,” Mayor Ann Lee said. =SUM(A1) is what critics said, “no” and “never.”"


def _claim(**changes: object) -> Claim:
    base: dict[str, object] = {
        "speaker": Speaker(name="Ann Lee", type="person", role="Mayor"),
        "cue": "said",
        "content": "“We will rebuild,”",
        "quote_type": "direct",
        "stance": "asserts",
        "content_span": (0, 18),
        "speaker_span": (25, 32),
        "cue_span": (33, 37),
        "extractor": "rules",
    }
    return Claim.model_validate({**base, **changes})


def _rows(document: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(document, newline="")))


def test_csv_has_one_row_per_claim_with_every_column_and_offsets_into_the_text() -> None:
    claims = [_claim(), _claim(content_segments=[(60, 64), (69, 77)], content="“no” … “never.”", content_span=(60, 77))]
    document = exports.claims_csv(((), index, claim) for index, claim in enumerate(claims))
    assert document.startswith("index,speaker,speaker_type,")  # no byte-order mark before the header
    assert document.count("\r\n") == 3  # RFC 4180 line ends: header and two rows
    rows = _rows(document)
    assert list(rows[0]) == list(exports.CLAIM_COLUMNS)
    first = rows[0]
    assert (first["index"], first["speaker"], first["speaker_type"], first["speaker_role"]) == (
        "0",
        "Ann Lee",
        "person",
        "Mayor",
    )
    assert (first["cue"], first["stance"], first["quote_type"]) == ("said", "asserts", "direct")
    start, end = int(first["content_start"]), int(first["content_end"])
    assert TEXT[start:end] == first["content"] == "“We will rebuild,”"
    assert TEXT[int(first["speaker_start"]) : int(first["speaker_end"])] == "Ann Lee"
    assert TEXT[int(first["cue_start"]) : int(first["cue_end"])] == "said"
    assert first["segments"] == "" and first["grounding"] == "exact" and first["extractor"] == "rules"
    assert rows[1]["segments"] == "60-64;69-77"


def test_csv_leaves_unknown_spans_empty_and_quotes_commas_quotes_and_newlines() -> None:
    claim = _claim(speaker_span=None, cue_span=None, content='he said "no", twice\nthen left', content_span=(0, 27))
    (row,) = _rows(exports.claims_csv([((), 3, claim)]))
    assert row["content"] == 'he said "no", twice\nthen left'
    assert (row["speaker_start"], row["speaker_end"], row["cue_start"], row["cue_end"]) == ("", "", "", "")
    assert row["index"] == "3"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_opens_as_text(start: str) -> None:
    payload = f'{start}HYPERLINK("http://example.invalid","click")'
    claim = _claim(content=payload, speaker=Speaker(name="Ann Lee", type="person", role=payload))
    (row,) = _rows(exports.claims_csv([((payload,), 0, claim)], leading=("id",)))
    assert row["content"] == "'" + payload and row["speaker_role"] == "'" + payload and row["id"] == "'" + payload
    assert row["confidence"] == "1.0"  # numbers are not text cells: never prefixed


def test_leading_columns_must_match_their_values() -> None:
    writer = exports.ClaimCsvWriter(io.StringIO(), leading=("article_id", "speaker_id"))
    with pytest.raises(ValueError, match="1 leading values for 2"):
        writer.write([(("only-one",), 0, _claim())])


def _page(claims: list[Claim], text: str = TEXT, title: str = "A <b>headline</b>") -> str:
    article = Article(text=text, title=title, language="en-GB")
    result = ExtractionResult.from_claims(claims, Usage(extractor="rules"))
    return exports.article_html(*exports.extraction_view(article, result))


def _data(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="whosaid-data">(.*?)</script>', page, re.S)
    assert match is not None
    loaded: dict[str, object] = json.loads(match.group(1))
    return loaded


def test_html_page_is_self_contained_and_only_its_own_scripts_may_run() -> None:
    page = _page([_claim()])
    assert not re.search(r"""(src|href)\s*=""", page)  # nothing is fetched: it renders offline, from a file
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None and "default-src 'none'" in policy.group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2 and "WhosaidViewer" in scripts[0] + scripts[1]
    for script in scripts:  # each inline script is allowed by its own hash, and nothing else is
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy.group(1)
    assert "'unsafe-inline'" not in policy.group(1).split("script-src", 1)[1]
    assert "<style>" in page and ".wsv-text" in page  # the viewer's styles, inlined


def test_html_page_carries_the_article_and_claims_as_the_api_shapes_them() -> None:
    data = _data(_page([_claim()]))
    article, claims = data["article"], data["claims"]
    assert isinstance(article, dict) and isinstance(claims, list)
    assert article["text"] == TEXT and article["status"] == "complete" and article["claim_count"] == 1
    assert article["language"] == "en-GB"
    assert claims[0]["index"] == 0 and claims[0]["content_span"] == [0, 18]
    assert claims[0]["speaker"] == {"name": "Ann Lee", "type": "person", "role": "Mayor"}


def test_html_page_keeps_hostile_article_text_as_data() -> None:
    hostile = "</script><script>alert(1)</script><!-- said the <b>mayor</b> & co"
    page = _page([], text=hostile, title="</title><script>alert(2)</script>")
    assert "<script>alert" not in page and "</title><script>" not in page
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt; · whosaid</title>" in page
    assert _data(page)["article"]["text"] == hostile  # type: ignore[index]
