"""Stage 3, 'according to': 'According to X, Y', 'Y, according to X', 'Y according to X' and the interrupting
'The plan, according to officials, would cost more'.

It reads only what direct quotes and reported speech left free.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from whosaid.extraction.lexicon import LEADING_ADVERBS
from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.cues import ACCORDING_RE
from whosaid.extraction.rules.grammar import ABBREVIATION_DOT, content_lead, mask_dot
from whosaid.extraction.rules.text import Layout
from whosaid.extraction.spans import Span, strip_trailing

# The source after 'according to': up to a comma, semicolon, colon, bracket, dash or sentence end. Matched on text
# whose abbreviation dots are masked ('Rep. Jane Roe', 'the A.F.L.-C.I.O.'); a dot inside a word ('Factcheck.org')
# is no sentence end either.
_ACCORDING_NP = re.compile(r"\s+((?:[^,;:.“”\"()—–]|\.(?=[\w-]))+?)(?=\s*(?:[,;:)]|\.\s|\.$|$|\s(?:-|—|–)\s|—))")


def find_according(layout: Layout, taken: Sequence[Span]) -> list[ClaimSpans]:
    """Each 'according to X' outside the `taken` spans, with the content it attributes to X."""
    text = layout.text
    found: list[ClaimSpans] = []
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end):
            continue
        for m in ACCORDING_RE.finditer(text, s_start, s_end):
            if layout.in_quote(m.start()) or any(s <= m.start() < e for s, e in taken):
                continue
            np = _ACCORDING_NP.match(ABBREVIATION_DOT.sub(mask_dot, text[m.end() : s_end]))
            if not np:
                continue
            sp = (m.end() + np.start(1), m.end() + np.end(1))
            if len(text[sp[0] : sp[1]].split()) > 12:
                continue
            content = _content(text, s_start, s_end, m, sp)
            if content is not None and content[1] - content[0] >= 8:
                found.append(ClaimSpans(content, sp, m.span(), "according", "according"))
    return found


def _content(text: str, s_start: int, s_end: int, m: re.Match[str], sp: Span) -> Span | None:
    """What the source said: after it when nothing but an adverb comes before 'according to', else before it (or
    around it, when the source interrupts a short subject)."""
    lead = content_lead(text, s_start, m.start())  # "But, according to X, …" / "Nevertheless, … according to X"
    before = text[lead : m.start()].strip()
    if not before or before.strip(" ,").lower() in LEADING_ADVERBS:  # "But, according to X, …"
        rest = re.match(r"\s*,\s*", text[sp[1] : s_end])
        if not rest:
            return None
        start = sp[1] + rest.end()
        return start, strip_trailing(text, start, s_end)
    tail = text[sp[1] : s_end]
    if re.match(r"^\s*,\s*\S", tail) and tail.strip(" ,.)") and len(before.split()) < 6:
        # "The plan, according to officials, would cost more": the source interrupts the content.
        return lead, strip_trailing(text, lead, s_end)
    return lead, strip_trailing(text, lead, m.start())
