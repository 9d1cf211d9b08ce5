"""Stage 7, headline statements and transcripts: 'Trump: My plans are not set in stone.', the title-case
'Senator Says Bill Will Pass', and the turns of a transcript ('TAPPER: Do you think …').

Each reads whole short paragraphs, so it needs nothing earlier stages took: where a headline repeats a claim
found in the body, the earlier stage's claim wins at deduplication.
"""

from __future__ import annotations

import re

from whosaid.extraction.lexicon import NOT_SPEAKERS, one_of
from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.cues import CUE_LEMMA, HEADLINE_CUES
from whosaid.extraction.rules.grammar import NAME, is_label
from whosaid.extraction.rules.text import Layout
from whosaid.extraction.spans import Span

_HEADLINE_COLON = re.compile(rf"^(?P<sp>{NAME})\s*(?P<cue>:)\s+(?P<content>\S.*?)[.]?$")
# A transcript turn: 'TAPPER: Do you think …' (the speaker's name in capitals, a colon, what was said).
_TRANSCRIPT_TURN = re.compile(r"(?P<sp>[A-Z][A-Z.’'-]+(?:\s[A-Z][A-Z.’'-]+){0,2})(?P<cue>:)\s+(?P<content>\S.*?)\s*$")
# A headline in title case: 'Senator Says Bill Will Pass', 'Mayor Warns Of Long Winter'.
_TITLE_CASE_HEADLINE = re.compile(
    r"(?P<sp>(?:[A-Z][\w.’'-]*\s+){0,5}[A-Z][\w.’'-]*)\s+"
    rf"(?P<cue>{one_of(HEADLINE_CUES)})\s+(?P<content>[A-Z“‘\"'$\d].*?)\s*\.?\s*$"
)


def find_headline_statements(layout: Layout) -> list[ClaimSpans]:
    """Headline style 'Trump: My plans are not set in stone.' (a short paragraph, a name, a colon, the claim), and
    the turns of a transcript ('TAPPER: Do you think …', when at least two paragraphs open that way)."""
    return _colon_headlines(layout) + _title_case_headlines(layout) + _transcript_turns(layout)


def _colon_headlines(layout: Layout) -> list[ClaimSpans]:
    text = layout.text
    found: list[ClaimSpans] = []
    for p_start, p_end in layout.paragraphs:
        line = text[p_start:p_end]
        if len(line.split()) > 30 or layout.is_furniture(p_start, p_end):
            continue
        m = _HEADLINE_COLON.match(line)
        if not m:
            continue
        name = m.group("sp")
        words = name.split()
        if len(words) > 4 or name.isupper() or is_label(words) or len(m.group("content").split()) < 3:
            continue
        found.append(
            ClaimSpans(_at(m, "content", p_start), _at(m, "sp", p_start), _at(m, "cue", p_start), "say", "reported")
        )
    return found


def _at(m: re.Match[str], group: str, offset: int) -> Span:
    """A group's span in the text, for a match made on a slice starting at `offset`."""
    return offset + m.start(group), offset + m.end(group)


def _title_case_headlines(layout: Layout) -> list[ClaimSpans]:
    text = layout.text
    found: list[ClaimSpans] = []
    for p_start, p_end in layout.paragraphs:
        m = _TITLE_CASE_HEADLINE.match(text, p_start, p_end)
        if m is None or layout.is_furniture(p_start, p_end) or len(text[p_start:p_end].split()) > 25:
            continue
        words = text[p_start:p_end].split()
        capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
        if capitalised < 0.7 * len(words) or any(w.lower() in NOT_SPEAKERS for w in m.group("sp").split()):
            continue  # a headline is in title case; a sentence with a capitalised name is not
        cue_lemma = m.group("cue").split()[0].lower()
        found.append(
            ClaimSpans(m.span("content"), m.span("sp"), m.span("cue"), CUE_LEMMA.get(cue_lemma, "say"), "reported")
        )
    return found


def _transcript_turns(layout: Layout) -> list[ClaimSpans]:
    """The turns of a transcript, when at least two different speakers' paragraphs open 'NAME: …'."""
    text = layout.text
    turns = [
        m
        for p_start, p_end in layout.paragraphs
        if (m := _TRANSCRIPT_TURN.match(text, p_start, p_end))
        and len(m.group("sp")) > 1
        and not is_label(m.group("sp").split())
        and not layout.is_furniture(p_start, p_end)
    ]
    if len({m.group("sp") for m in turns}) < 2:
        return []
    return [
        ClaimSpans(m.span("content"), m.span("sp"), m.span("cue"), "say", "transcript")
        for m in turns
        if len(m.group("content").split()) >= 2
    ]
