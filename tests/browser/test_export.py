"""`whosaid extract --format html`: the standalone page opened from a file, offline, in headless chromium, shows the
article with every claim highlighted at its offsets, as /ui does, and its Content-Security-Policy lets its own
scripts run (a blocked script would leave the page empty and log an error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_viewer import HOSTILE, MARKS_JS, _expected_marks, _seed_text, _wait
from whosaid.cli import main


def _export(tmp_path: Path, text: str, output_format: str) -> Path:
    source = tmp_path / "article.json"
    source.write_text(json.dumps({"text": text, "title": "Exported"}), encoding="utf-8")
    out = tmp_path / f"claims.{output_format}"
    assert main(["extract", str(source), "--extractor", "rules", "--format", output_format, "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("which", ["seed", "hostile"])
def test_the_html_export_renders_offline_with_every_claim_highlighted(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    text = _seed_text() if which == "seed" else HOSTILE
    claims = json.loads(_export(tmp_path, text, "json").read_text(encoding="utf-8"))["claims"]
    assert claims, "the article must have claims"
    page = _export(tmp_path, text, "html")

    browser.get("about:blank")
    browser.get(page.as_uri())  # file://: no server, nothing to fetch
    _wait(browser, lambda b: b.find_elements("css selector", "#whosaid-article .wsv-text"), "the article's text")

    indexed = [{**claim, "index": index} for index, claim in enumerate(claims)]
    assert browser.execute_script(MARKS_JS, "#whosaid-article") == _expected_marks(text, indexed)
    assert browser.execute_script("return document.querySelector('#whosaid-article .wsv-text').textContent") == text
    assert len(browser.find_elements("css selector", "#whosaid-article .wsv-speakers li")) == len(
        {(claim["speaker"]["name"], claim["speaker"]["type"]) for claim in claims}
    )
    # Markup in the article stays text: no element of the article's making, no alert.
    assert (
        browser.execute_script(
            "return document.querySelectorAll('#whosaid-article script, #whosaid-article img, "
            "#whosaid-article b, #whosaid-article i').length"
        )
        == 0
    )
    severe = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []  # a script the policy refused would be logged here
