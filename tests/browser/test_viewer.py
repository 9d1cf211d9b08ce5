"""The claim viewer (/ui) in headless chromium against the real API function: highlights at the claims' offsets,
the speaker filter, tooltips on hover and focus, the paste form, user text shown as text, the lists, the key."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import API_KEY, ARTIFACTS, REPO, ViewerApi

SEED = REPO.parent / "shared" / "data" / "seed-article.txt"
# Used when ../shared is absent: several speakers, a denial, direct and indirect quotes, a document.
BUILT_IN = """Riverside council approves flood barrier

The city council voted on Tuesday to build a flood barrier along the river. "We cannot wait for the next flood," \
said Mayor Elena Marsh. "The barrier will protect four thousand homes," she added.

Opposition leader Tom Reyes denied that the plan had been costed. "Nobody has seen the numbers," Reyes said.

A report by the Riverside Water Board said the river had risen twice in the past decade.
"""
# Markup in the text, the title and (through the extractor) a speaker's role; an emoji first, so a code-point offset
# and a UTF-16 index differ for everything after it.
HOSTILE = """Test article

"🙂 The plan is <b>safe</b> and <script>alert(1)</script> is text," said Maria Lopez, the city engineer. \
<img src=x onerror=alert(2)>

Tom Reyes said the <i>budget</i> was too small.
"""
WAIT_SECONDS = 20


def _api(base: str, path: str, body: dict[str, Any] | None = None, key: str | None = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json"} if body is not None else {}
    if key:
        headers["x-api-key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _post(base: str, text: str, title: str | None = None) -> str:
    status, body = _api(base, "/articles", {"text": text, **({"title": title} if title else {})})
    assert status in (200, 201), body
    return str(body["article"]["article_id"])


def _claims(base: str, article_id: str) -> list[dict[str, Any]]:
    status, body = _api(base, f"/articles/{article_id}/claims?limit=100")
    assert status == 200 and body["next_token"] is None, body
    return list(body["claims"])


def _seed_text() -> str:
    return SEED.read_text(encoding="utf-8") if SEED.is_file() else BUILT_IN


def _wait(browser: Any, condition: Callable[[Any], Any], what: str) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The page replaces its view as answers arrive: an element found by one poll may be gone by the time it is read,
    # which is a reason to poll again, not a failure.
    wait = WebDriverWait(browser, WAIT_SECONDS, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(condition, message=f"timed out waiting for {what}")


def _open(browser: Any, url: str) -> None:
    browser.get("about:blank")  # a fresh page: from /ui#/a to /ui#/b would only change the hash
    browser.get(url)
    _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete", "the page")


def _open_article(browser: Any, base: str, article_id: str, query: str = "") -> None:
    _open(browser, f"{base}/ui#/articles/{article_id}{query}")
    _wait(browser, lambda b: b.find_elements("css selector", "#article .wsv-text"), "the article's text")


# The DOM's view of the highlights: per claim, per content segment, the text of its elements (a segment crossed by
# another claim's is cut in two elements), and the same for cues and speaker mentions. The script's argument is the
# viewer's container (the page's #article unless given: the HTML export's is #whosaid-article).
MARKS_JS = """
const marks = {};
for (const node of document.querySelectorAll((arguments[0] || '#article') + ' .wsv-text [data-claim]')) {
  const kind = node.classList.contains('wsv-claim') ? 'content'
    : node.classList.contains('wsv-cue') ? 'cue' : 'mention';
  const key = node.dataset.claim + '/' + kind + '/' + (node.dataset.segment || '0');
  marks[key] = (marks[key] || '') + node.textContent;
}
return marks;
"""


def _expected_marks(text: str, claims: list[dict[str, Any]]) -> dict[str, str]:
    expected = {}
    for claim in claims:
        for number, (start, end) in enumerate(claim.get("content_segments") or [claim["content_span"]]):
            expected[f"{claim['index']}/content/{number}"] = text[start:end]
        for kind, field in (("cue", "cue_span"), ("mention", "speaker_span")):
            if claim.get(field):
                expected[f"{claim['index']}/{kind}/0"] = text[claim[field][0] : claim[field][1]]
    return expected


def _assert_no_console_errors(browser: Any) -> None:
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_the_seed_articles_page_highlights_every_claim_at_its_offsets(browser: Any, viewer_api: ViewerApi) -> None:
    text = _seed_text()
    article_id = _post(viewer_api.url, text, title="No breakthroughs")
    claims = _claims(viewer_api.url, article_id)
    assert len({claim["speaker_id"] for claim in claims}) >= 2, "the article must have several speakers"

    started = time.perf_counter()
    _open_article(browser, viewer_api.url, article_id)
    rendered = time.perf_counter() - started

    # Every claim, each piece of an interrupted quote, its cue and its speaker mention: text[start:end] exactly.
    assert browser.execute_script(MARKS_JS) == _expected_marks(text, claims)
    # One tab stop per claim, and the text around the highlights is the article's, unchanged.
    tab_stops = browser.find_elements("css selector", '#article .wsv-claim[tabindex="0"]')
    assert [int(node.get_attribute("data-claim")) for node in tab_stops] == [claim["index"] for claim in claims]
    assert browser.execute_script("return document.querySelector('#article .wsv-text').textContent") == text
    # Colours by speaker: the same class for one speaker's claims, different ones for different speakers.
    colour_of = browser.execute_script(
        "const out = {}; for (const n of document.querySelectorAll('#article .wsv-claim'))"
        " out[n.dataset.speaker] = [...n.classList].find(c => c.startsWith('spk-')); return out;"
    )
    assert len(set(colour_of.values())) == len(colour_of) == len({claim["speaker_id"] for claim in claims})
    panel = browser.find_elements("css selector", "#article .wsv-speakers li")
    counts = {row.find_element("css selector", ".wsv-speaker-name").text: row for row in panel}
    for claim in claims:
        name = claim["speaker"]["name"]
        expected_count = sum(1 for c in claims if c["speaker_id"] == claim["speaker_id"])
        assert counts[name].find_element("css selector", ".wsv-count").text == str(expected_count)
    _assert_no_console_errors(browser)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "viewer-seed-article.png"
    # The whole page, not only the window: the screenshot shows every claim (the README's is one of these).
    size = browser.get_window_size()
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(size["width"], min(int(height) + 40, 4000))
    browser.save_screenshot(str(screenshot))
    browser.set_window_size(size["width"], size["height"])
    print(f"\nscreenshot: {screenshot} (page rendered in {rendered:.2f} s)")


def _visible_marks(browser: Any) -> dict[str, bool]:
    """Per content element's claim: whether it is highlighted (a background colour), as the user sees it."""
    return dict(
        browser.execute_script(
            "const out = {}; for (const n of document.querySelectorAll('#article .wsv-claim'))"
            " out[n.dataset.claim] = getComputedStyle(n).backgroundColor !== 'rgba(0, 0, 0, 0)'; return out;"
        )
    )


def _span(text: str, piece: str, after: int = 0) -> list[int]:
    start = text.index(piece, after)
    return [start, start + len(piece)]


def test_render_article_from_plain_data_shows_an_interrupted_quote_as_one_claim(
    browser: Any, viewer_api: ViewerApi
) -> None:
    """highlight.js alone, as an export uses it: claims without index (the CLI's), one in two segments, and a claim
    whose content crosses another's (each piece still lands on its text)."""
    from selenium.webdriver.common.action_chains import ActionChains

    text = (
        '"The river is rising," Mayor Elena Marsh said, "and we must act now, whatever it costs." '
        "Tom Reyes said it costs too much."
    )
    first, second = _span(text, '"The river is rising,"'), _span(text, '"and we must act now, whatever it costs."')
    marsh = {
        "speaker": {"name": "Elena Marsh", "type": "person", "role": "Mayor"},
        "cue": "said",
        "content": text[first[0] : second[1]],
        "content_span": [first[0], second[1]],
        "content_segments": [first, second],
        "cue_span": _span(text, "said"),
        "speaker_span": _span(text, "Elena Marsh"),
        "quote_type": "direct",
        "stance": "asserts",
        "grounding": "exact",
    }
    # Crossing on purpose: from inside Marsh's second piece to the end of Reyes' sentence.
    reyes_content = [text.index("whatever it costs"), len(text) - 1]
    reyes = {
        "speaker": {"name": "Tom Reyes", "type": "person", "role": None},
        "cue": "said",
        "content": text[reyes_content[0] : reyes_content[1]],
        "content_span": reyes_content,
        "cue_span": _span(text, "said", text.index("Tom Reyes")),
        "quote_type": "indirect",
        "stance": "hedges",
        "grounding": "fuzzy",
    }
    _open(browser, f"{viewer_api.url}/ui#/new")
    _wait(browser, lambda b: b.execute_script("return !!window.WhosaidViewer"), "highlight.js")
    browser.execute_script(
        "const box = document.createElement('div'); box.id = 'article';"
        " document.getElementById('view').replaceChildren(box);"
        " window.WhosaidViewer.renderArticle(box, {text: arguments[0], title: 'Plain data'}, arguments[1]);",
        text,
        [marsh, reyes],
    )
    assert browser.execute_script(MARKS_JS) == _expected_marks(text, [{**marsh, "index": 0}, {**reyes, "index": 1}])
    assert browser.execute_script("return document.querySelector('#article .wsv-text').textContent") == text
    pieces = browser.find_elements("css selector", '.wsv-claim[data-claim="0"]')
    assert [piece.get_attribute("tabindex") for piece in pieces] == ["0"] + ["-1"] * (len(pieces) - 1)
    ActionChains(browser).move_to_element(pieces[-1]).perform()  # hovering the second piece lights up both
    assert all("wsv-active" in piece.get_attribute("class") for piece in pieces)
    assert _tooltip_fields(browser)["speaker"] == "Elena Marsh"
    counts = [node.text for node in browser.find_elements("css selector", ".wsv-speakers .wsv-count")]
    assert counts == ["1", "1"]


def test_the_speakers_panel_filters_the_highlights(browser: Any, viewer_api: ViewerApi) -> None:
    article_id = _post(viewer_api.url, BUILT_IN)
    claims = _claims(viewer_api.url, article_id)
    _open_article(browser, viewer_api.url, article_id)
    assert set(_visible_marks(browser).values()) == {True}

    hidden = claims[0]["speaker_id"]
    browser.find_element("css selector", f'#article .wsv-speakers input[data-speaker="{hidden}"]').click()
    visible = _visible_marks(browser)
    assert visible == {str(claim["index"]): claim["speaker_id"] != hidden for claim in claims}
    # A hidden claim is no tab stop; the others still are.
    stops = {n.get_attribute("data-claim") for n in browser.find_elements("css selector", '.wsv-claim[tabindex="0"]')}
    assert stops == {str(claim["index"]) for claim in claims if claim["speaker_id"] != hidden}

    browser.find_element("css selector", f'#article .wsv-speakers input[data-speaker="{hidden}"]').click()
    assert set(_visible_marks(browser).values()) == {True}
    browser.find_element("xpath", "//button[text()='Hide all']").click()
    assert set(_visible_marks(browser).values()) == {False}
    browser.find_element("xpath", "//button[text()='Show all']").click()
    assert set(_visible_marks(browser).values()) == {True}


def _tooltip_fields(browser: Any) -> dict[str, str]:
    tooltip = _wait(
        browser,
        lambda b: next((t for t in b.find_elements("css selector", ".wsv-tooltip") if t.is_displayed()), None),
        "the tooltip",
    )
    return {
        row.get_attribute("data-field"): row.find_element("css selector", "dd").text
        for row in tooltip.find_elements("css selector", ".wsv-field")
    }


def _fields_of(claim: dict[str, Any]) -> dict[str, str]:
    return {
        "speaker": claim["speaker"]["name"],
        "role": claim["speaker"]["role"] or "—",
        "type": claim["speaker"]["type"],
        "cue": claim["cue"],
        "stance": claim["stance"],
        "quote_type": claim["quote_type"],
        "grounding": claim["grounding"],
    }


def test_the_tooltip_shows_the_claim_on_hover_and_on_keyboard_focus(browser: Any, viewer_api: ViewerApi) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    article_id = _post(viewer_api.url, BUILT_IN)
    claims = _claims(viewer_api.url, article_id)
    _open_article(browser, viewer_api.url, article_id)

    denial = next(claim for claim in claims if claim["stance"] == "denies")
    mark = browser.find_element("css selector", f'.wsv-claim[data-claim="{denial["index"]}"]')
    ActionChains(browser).move_to_element(mark).perform()
    assert _tooltip_fields(browser) == _fields_of(denial)
    ActionChains(browser).move_to_element(browser.find_element("css selector", ".wsv-title")).perform()
    _wait(browser, lambda b: not b.find_element("css selector", ".wsv-tooltip").is_displayed(), "the tooltip to hide")

    # Keyboard only: Tab from the top of the page reaches the first claim, its tooltip shows; Tab again the next.
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(40):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element.get_attribute("data-claim") is not None:
            break
    focused = browser.switch_to.active_element
    assert focused.get_attribute("data-claim") == str(claims[0]["index"])
    assert _tooltip_fields(browser) == _fields_of(claims[0])
    tooltip_id = browser.find_element("css selector", ".wsv-tooltip").get_attribute("id")
    assert focused.get_attribute("aria-describedby") == tooltip_id
    # The focus ring is drawn (an outline), not only the colour.
    assert focused.value_of_css_property("outline-style") == "solid"
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.get_attribute("data-claim") == str(claims[1]["index"])
    assert _tooltip_fields(browser)["speaker"] == claims[1]["speaker"]["name"]
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert not browser.find_element("css selector", ".wsv-tooltip").is_displayed()


def test_the_paste_form_submits_and_opens_the_highlighted_article(browser: Any, viewer_api: ViewerApi) -> None:
    text = BUILT_IN.replace("Tuesday", "Wednesday")  # a text of its own: created now, not found stored
    _open(browser, f"{viewer_api.url}/ui#/new")
    browser.find_element("id", "new-text").send_keys(text)
    browser.find_element("id", "new-title").send_keys("Pasted: flood barrier")
    browser.find_element("id", "new-url").send_keys("https://news.example.com/flood")
    browser.find_element("css selector", "#new-article button[type=submit]").click()

    _wait(browser, lambda b: b.find_elements("css selector", "#article .wsv-claim"), "the article page")
    article_id = browser.current_url.split("#/articles/")[1]
    status, body = _api(viewer_api.url, f"/articles/{article_id}")
    # Typing through the keyboard turns the text's line breaks into the textarea's: compare what was stored.
    assert status == 200 and body["article"]["title"] == "Pasted: flood barrier"
    assert body["article"]["url"] == "https://news.example.com/flood"
    stored = body["article"]["text"]
    assert stored.replace("\r\n", "\n") == text
    claims = _claims(viewer_api.url, article_id)
    assert browser.execute_script(MARKS_JS) == _expected_marks(stored, claims)
    assert browser.find_element("css selector", ".wsv-title").text == "Pasted: flood barrier"


def test_markup_in_the_article_is_shown_as_text(browser: Any, viewer_api: ViewerApi) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.action_chains import ActionChains

    article_id = _post(viewer_api.url, HOSTILE, title="<i>Hostile</i> <script>alert(3)</script>")
    claims = _claims(viewer_api.url, article_id)
    assert any("<img" in (claim["speaker"]["role"] or "") for claim in claims)  # the tooltip gets markup too
    _open_article(browser, viewer_api.url, article_id)

    assert browser.find_elements("css selector", "#view script, #view b, #view i, #view img") == []
    text_box = browser.find_element("css selector", "#article .wsv-text")
    assert "<script>alert(1)</script>" in text_box.text and "<b>safe</b>" in text_box.text
    assert browser.find_element("css selector", ".wsv-title").text == "<i>Hostile</i> <script>alert(3)</script>"
    # Offsets after the emoji still land on the claims' text (code points, not UTF-16 units).
    assert browser.execute_script(MARKS_JS) == _expected_marks(HOSTILE, claims)
    engineer = next(claim for claim in claims if claim["speaker"]["name"] == "Maria Lopez")
    ActionChains(browser).move_to_element(
        browser.find_element("css selector", f'.wsv-claim[data-claim="{engineer["index"]}"]')
    ).perform()
    assert _tooltip_fields(browser)["role"] == engineer["speaker"]["role"]
    assert browser.find_elements("css selector", ".wsv-tooltip *:not(dl, div, dt, dd)") == []
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018  (reading it is what raises)


def test_the_articles_list_filters_by_text(browser: Any, viewer_api: ViewerApi) -> None:
    flood = _post(viewer_api.url, BUILT_IN)
    hostile = _post(viewer_api.url, HOSTILE, title="<i>Hostile</i> <script>alert(3)</script>")
    _open(browser, f"{viewer_api.url}/ui#/articles")
    _wait(browser, lambda b: b.find_elements("css selector", "tr[data-article]"), "the articles")

    def shown() -> set[str]:
        rows = browser.find_elements("css selector", "tr[data-article]")
        return {row.get_attribute("data-article") for row in rows if row.is_displayed()}

    assert {flood, hostile} <= shown()
    row = browser.find_element("css selector", f'tr[data-article="{hostile}"]')
    cells = [cell.text for cell in row.find_elements("css selector", "td")]
    assert (cells[0], cells[4]) == ("complete", str(len(_claims(viewer_api.url, hostile))))
    browser.find_element("id", "filter").send_keys("hostile")
    assert shown() == {hostile}
    browser.find_element("id", "filter").clear()
    browser.find_element("id", "filter").send_keys("no such words")
    assert shown() == set()


def test_a_speaker_page_links_to_the_highlighted_passage(browser: Any, viewer_api: ViewerApi) -> None:
    article_id = _post(viewer_api.url, BUILT_IN)
    reyes = next(claim for claim in _claims(viewer_api.url, article_id) if claim["speaker"]["name"] == "Tom Reyes")
    # A named speaker is one entry across articles: other tests' articles quote him too.
    status, body = _api(viewer_api.url, f"/speakers/{reyes['speaker_id']}/claims?limit=100")
    assert status == 200 and body["next_token"] is None
    everywhere = body["claims"]
    _open(browser, f"{viewer_api.url}/ui#/speakers")
    _wait(browser, lambda b: b.find_elements("css selector", "tr[data-speaker]"), "the speakers")
    row = browser.find_element("css selector", f'tr[data-speaker="{reyes["speaker_id"]}"]')
    assert row.find_elements("css selector", "td")[3].text == str(len(everywhere))
    row.find_element("css selector", "a").click()

    _wait(browser, lambda b: b.find_elements("css selector", ".app-claims li"), "the speaker's claims")
    assert browser.find_element("css selector", "h1").text == "Tom Reyes"
    listed = browser.find_elements("css selector", ".app-claims li")
    assert [
        (item.get_attribute("data-article"), item.find_element("css selector", "blockquote").text) for item in listed
    ] == [(claim["article_id"], claim["content"]) for claim in everywhere]
    item = next(item for item in listed if item.get_attribute("data-article") == article_id)
    target = item.get_attribute("data-claim")
    item.find_element("css selector", "a.app-passage").click()

    _wait(browser, lambda b: b.switch_to.active_element.get_attribute("data-claim") == target, "the claim's focus")
    assert f"#/articles/{article_id}?claim={target}" in browser.current_url
    focused = browser.switch_to.active_element
    assert "wsv-claim" in focused.get_attribute("class")
    in_view = "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight;"
    assert browser.execute_script(in_view, focused)
    assert _tooltip_fields(browser)["speaker"] == "Tom Reyes"


def test_a_pending_article_shows_its_status_and_updates_when_complete(browser: Any, viewer_api: ViewerApi) -> None:
    text = BUILT_IN.replace("Tuesday", "Friday")
    status, body = _api(viewer_api.url, "/articles?mode=async", {"text": text, "title": "Queued"})
    assert status == 202 and body["article"]["status"] == "pending"
    article_id = body["article"]["article_id"]
    _open(browser, f"{viewer_api.url}/ui#/articles/{article_id}")
    _wait(browser, lambda b: b.find_elements("css selector", '.app-notice[data-kind="pending"]'), "the pending status")
    assert browser.find_elements("css selector", "#article") == []

    # The ingest function extracts it, as the queue's trigger would (the queue also holds S3's test event).
    for _ in range(5):
        viewer_api.worker.poll_once()
        if _api(viewer_api.url, f"/articles/{article_id}")[1]["article"]["status"] != "pending":
            break
    _wait(browser, lambda b: b.find_elements("css selector", "#article .wsv-claim"), "the page to poll to complete")
    assert browser.execute_script(MARKS_JS) == _expected_marks(text, _claims(viewer_api.url, article_id))


def _heading(browser: Any) -> str | None:
    return browser.execute_script("const h = document.querySelector('#view h1'); return h && h.textContent")  # type: ignore[no-any-return]


def test_the_key_is_asked_for_kept_and_forgotten(browser: Any, viewer_api: ViewerApi) -> None:
    status, _ = _api(viewer_api.keyed_url, "/articles")
    assert status == 403  # the gateway wants the key; the page itself is public
    _open(browser, f"{viewer_api.keyed_url}/ui#/articles")
    key_field = _wait(browser, lambda b: b.find_elements("id", "api-key"), "the key field")[0]
    key_field.send_keys("wrong-key\n")
    _wait(browser, lambda b: "refused" in b.find_element("id", "key-heading").text, "the refusal")

    browser.find_element("id", "api-key").send_keys(API_KEY + "\n")
    _wait(browser, lambda b: _heading(b) == "Articles", "the articles list")
    assert browser.execute_script("return localStorage.getItem('whosaid.apiKey')") == API_KEY
    browser.refresh()  # kept: no question asked again
    _wait(browser, lambda b: _heading(b) == "Articles", "the articles list again")
    browser.find_element("id", "forget-key").click()
    _wait(browser, lambda b: b.find_elements("id", "api-key"), "the key field again")
    assert browser.execute_script("return localStorage.getItem('whosaid.apiKey')") is None
    assert not browser.find_element("id", "key-status").is_displayed()
