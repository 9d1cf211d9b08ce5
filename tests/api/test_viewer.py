"""GET /ui and /ui/{asset}: the claim viewer's files from the package, their types, caching and headers; and the
palette's contrast (WCAG AA) in viewer.css."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.lambda_events import LocalLambdaContext, api_gateway_event
from whosaid.api import app

UI = Path(__file__).resolve().parents[2] / "shared" / "whosaid" / "ui"


def _get(path: str, headers: dict[str, str] | None = None, stage_path: str | None = None) -> dict[str, Any]:
    event = api_gateway_event(method="GET", raw_path=path, headers=(headers or {}).items(), body=b"")
    if stage_path is not None:
        event["requestContext"]["path"] = stage_path
    return dict(app.resolve(event, LocalLambdaContext(function_name="whosaid-test-api")))


@pytest.mark.parametrize(
    ("path", "name", "content_type"),
    [
        ("/ui", "index.html", "text/html; charset=utf-8"),
        ("/ui/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/ui/highlight.js", "highlight.js", "text/javascript; charset=utf-8"),
        ("/ui/viewer.css", "viewer.css", "text/css; charset=utf-8"),
    ],
)
def test_the_viewers_files_are_served_with_their_types(path: str, name: str, content_type: str) -> None:
    response = _get(path)
    headers = response["multiValueHeaders"] | {k: [v] for k, v in (response.get("headers") or {}).items()}
    assert response["statusCode"] == 200
    assert response["body"] == (UI / name).read_text(encoding="utf-8")
    assert headers["Content-Type"] == [content_type]
    assert headers["Cache-Control"] == ["no-cache"] and headers["X-Content-Type-Options"] == ["nosniff"]
    etag = headers["ETag"][0]

    # Unchanged since the browser's copy: 304, no body; another tag gets the file again.
    again = _get(path, {"If-None-Match": etag})
    assert again["statusCode"] == 304 and not again["body"]
    assert _get(path, {"If-None-Match": '"stale"'})["statusCode"] == 200


def test_the_page_may_run_only_its_own_scripts() -> None:
    headers = _get("/ui")["multiValueHeaders"]
    policy = headers["Content-Security-Policy"][0]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "connect-src 'self'" in policy
    html = (UI / "index.html").read_text(encoding="utf-8")
    # No inline script (the policy would block it) and nothing from another host (it works offline).
    assert re.findall(r"<script[^>]*>(?!</script>)", html) == []
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


@pytest.mark.parametrize("name", ["nope.js", "..%2Fapi%2Fapp.py", ".hidden.css", "__init__.py", "index"])
def test_anything_else_under_ui_is_not_found(name: str) -> None:
    response = _get(f"/ui/{name}")
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


def test_a_trailing_slash_redirects_to_the_page_under_its_stage() -> None:
    response = _get("/ui/", stage_path="/Prod/ui/")
    location = (response.get("headers") or {}).get("Location") or response["multiValueHeaders"]["Location"][0]
    assert (response["statusCode"], location) == (301, "/Prod/ui")


def test_highlight_js_is_a_classic_script_for_standalone_files() -> None:
    script = (UI / "highlight.js").read_text(encoding="utf-8")
    assert not re.search(r"^\s*(import|export)\b", script, re.MULTILINE)
    assert "global.WhosaidViewer = { renderArticle: renderArticle" in script
    assert "innerHTML" not in script and "innerHTML" not in (UI / "app.js").read_text(encoding="utf-8")


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_speaker_colour_keeps_the_text_readable() -> None:
    css = (UI / "viewer.css").read_text(encoding="utf-8")
    text = re.search(r"--wsv-text: (#[0-9a-f]{6})", css)
    palette = re.findall(r"\.spk-(\d+) \{ --spk-bg: (#[0-9a-f]{6}); --spk-line: (#[0-9a-f]{6}); \}", css)
    assert text and [int(n) for n, _, _ in palette] == list(range(12))  # highlight.js's PALETTE_SIZE
    for _, background, line in palette:
        assert _contrast(text.group(1), background) >= 4.5  # AA for text on the highlight
        assert _contrast("#ffffff", line) >= 3.0  # AA for the underlines and swatch borders (non-text)
    assert len({background for _, background, _ in palette}) == 12
