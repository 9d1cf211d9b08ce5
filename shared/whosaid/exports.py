"""Claims as files people open elsewhere: CSV for spreadsheets and notebooks, one self-contained HTML page.

CSV: one row per claim, RFC 4180 (comma, double quotes, CRLF line ends), UTF-8 without a byte-order mark. Offsets
are Python string indices (Unicode code points) into the article text, as in the JSON: `text[start:end]`; an empty
cell is a span the extractor did not find. A text cell that a spreadsheet would run as a formula (it starts with
=, +, -, @, a tab or a carriage return) is written with a leading apostrophe, OWASP's advice against CSV injection:
an article is untrusted text, and a quote beginning "=HYPERLINK(" must open as words, not as a link.

HTML: the article page of the claim viewer (whosaid/ui: highlight.js and viewer.css, inlined) with the article and
its claims as JSON data in the page, so the file renders offline, with no server, exactly as /ui shows it. Its
Content-Security-Policy lets only those inline scripts run (by their hashes) and loads nothing from anywhere.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
from collections.abc import Iterable, Sequence
from importlib.resources import files
from typing import IO, Any

from whosaid.models import Article, Claim, ExtractionResult

CLAIM_COLUMNS = (
    "index",
    "speaker",
    "speaker_type",
    "speaker_role",
    "cue",
    "stance",
    "quote_type",
    "content",
    "content_start",
    "content_end",
    "speaker_start",
    "speaker_end",
    "cue_start",
    "cue_end",
    "segments",
    "grounding",
    "confidence",
    "extractor",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    """A text cell a spreadsheet shows as text (see the module's docstring)."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def claim_row(index: int, claim: Claim) -> list[Any]:
    """One claim's cells, in CLAIM_COLUMNS order."""
    speaker_span, cue_span = claim.speaker_span or ("", ""), claim.cue_span or ("", "")
    segments = ";".join(f"{start}-{end}" for start, end in claim.content_segments or ())
    return [
        index,
        _cell(claim.speaker.name),
        claim.speaker.type,
        _cell(claim.speaker.role),
        _cell(claim.cue),
        claim.stance,
        claim.quote_type,
        _cell(claim.content),
        *claim.content_span,
        *speaker_span,
        *cue_span,
        segments,
        claim.grounding,
        claim.confidence,
        claim.extractor,
    ]


# A CSV row's source: the values of the leading columns (whose claim it is), its index in its article, the claim.
ClaimRow = tuple[Sequence[str], int, Claim]


class ClaimCsvWriter:
    """Writes the header row at once, then a row per claim. `leading` names the columns before the claim's (whose
    claims they are: an article id, a batch line's id); their values are cleaned like any text cell."""

    def __init__(self, out: IO[str], *, leading: Sequence[str] = ()) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._width = len(leading)
        self._writer.writerow([*leading, *CLAIM_COLUMNS])

    def write(self, rows: Iterable[ClaimRow]) -> None:
        for keys, index, claim in rows:
            if len(keys) != self._width:
                raise ValueError(f"{len(keys)} leading values for {self._width} leading columns")
            self._writer.writerow([*(_cell(key) for key in keys), *claim_row(index, claim)])


def claims_csv(rows: Iterable[ClaimRow], *, leading: Sequence[str] = ()) -> str:
    """A whole CSV document: the header, then `rows` (see ClaimCsvWriter)."""
    out = io.StringIO()
    ClaimCsvWriter(out, leading=leading).write(rows)
    return out.getvalue()


# --- HTML ---------------------------------------------------------------------------------------------------------


def _viewer_file(name: str) -> str:
    return (files("whosaid") / "ui" / name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script type="application/json"> element: no "</script" or "<!--" can end or bend it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


_BOOT = (
    "(function () {\n"
    "  var data = JSON.parse(document.getElementById('whosaid-data').textContent);\n"
    "  window.WhosaidViewer.renderArticle(document.getElementById('whosaid-article'), data.article, data.claims);\n"
    "})();\n"
)


def extraction_view(article: Article, result: ExtractionResult) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An extraction outside the API (the CLI's) in the shapes the viewer reads: the article as GET /articles/{id}
    gives it and the claims as GET /articles/{id}/claims lists them (each with its index in the article)."""
    view = {
        **article.model_dump(mode="json", exclude_none=True),
        "status": "complete",
        "text_chars": len(article.text),
        "claim_count": len(result.claims),
        "speakers": [speaker.model_dump(mode="json") for speaker in result.speakers],
    }
    claims = [{**claim.model_dump(mode="json"), "index": index} for index, claim in enumerate(result.claims)]
    return view, claims


def article_html(article: dict[str, Any], claims: Sequence[dict[str, Any]]) -> str:
    """One self-contained HTML page: `article` as GET /articles/{id} gives it (text, title, ...) and `claims` as
    GET /articles/{id}/claims lists them, highlighted by the viewer's own script."""
    viewer = _viewer_file("highlight.js")
    # Inlined as it is (its CSP hash is of these exact characters), so nothing in it may end the element early.
    if "</script" in viewer.lower():
        raise ValueError("whosaid/ui/highlight.js holds '</script', which would end its inline <script> early")
    title = article.get("title") or "Claims"
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src {_csp_hash(viewer)} {_csp_hash(_BOOT)}"
    )
    language = article.get("language")
    lang = f' lang="{html.escape(language, quote=True)}"' if language else ""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="whosaid">\n'
        f"<title>{html.escape(title)} · whosaid</title>\n"
        f"<style>\n{_viewer_file('viewer.css')}\n</style>\n</head>\n<body>\n"
        f'<main id="whosaid-article" class="whosaid-export"{lang}></main>\n'
        '<script type="application/json" id="whosaid-data">'
        f"{_script_json({'article': article, 'claims': list(claims)})}</script>\n"
        f"<script>{viewer}</script>\n<script>{_BOOT}</script>\n"
        "</body>\n</html>\n"
    )
