"""Stage 4, passive attribution: 'The layoffs were reported earlier by The Wall Street Journal.'

The content is the sentence's subject (what was reported), the speaker whoever the 'by' phrase names. Only the
verbs that pass on information qualify (reported, disclosed, announced, revealed, confirmed): 'was arrested by
police' attributes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.grammar import NAME, content_lead
from whosaid.extraction.rules.text import Layout
from whosaid.extraction.spans import Span, TakenChars

_PASSIVE = re.compile(
    r"\s+(?P<cue>(?:was|were|is|are|has\s+been|have\s+been|had\s+been)\s+(?:(?:first|earlier|previously|also|"
    r"widely|initially)\s+)?(?P<verb>reported|disclosed|announced|revealed|confirmed)\s+(?:(?:first|earlier|"
    r"previously|initially)\s+)?by)\s+"
    rf"(?P<sp>(?:[Tt]he\s+)?{NAME}(?:\s+and\s+(?:[Tt]he\s+)?{NAME})?)(?=\s*(?:[,;:!?)]|\.?\s|\.?$|\s(?:in|on|last|this)\b))"
)
_INITIAL = re.compile(r"\b[A-Z]\.$")  # 'by John Q.': a dot that ends an initial, not the sentence
_LEMMA = {"reported": "report", "disclosed": "disclose", "announced": "announce", "revealed": "reveal"}


def find_passive(layout: Layout, taken: Sequence[Span]) -> list[ClaimSpans]:
    """'X was reported by Y': Y's claim, X its content (a subject of at least two words, outside claimed text)."""
    text = layout.text
    taken_chars = TakenChars(len(text), taken)
    found: list[ClaimSpans] = []
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end) or " by " not in text[s_start:s_end]:
            continue
        m = _PASSIVE.search(text, s_start, s_end)
        if m is None:
            continue
        start = content_lead(text, s_start, m.start())
        content = (start, m.start())
        if len(text[start : m.start()].split()) < 2 or not taken_chars.free(content) or layout.in_quote(m.start("cue")):
            continue
        lemma = _LEMMA.get(m.group("verb"), "confirm")
        sp_end = m.end("sp") - (1 if text[m.end("sp") - 1] == "." and not _INITIAL.search(text, 0, m.end("sp")) else 0)
        found.append(ClaimSpans(content, (m.start("sp"), sp_end), m.span("cue"), lemma, "reported"))
        taken_chars.mark(content)
    return found


__all__ = ["find_passive"]
