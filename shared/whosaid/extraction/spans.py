"""Span helpers: the offset algebra shared by grounding and every stage of the rules extractor.

A span is a half-open `(start, end)` pair of offsets into the article as submitted, so `text[start:end]` is
always the evidence. Grounding and the rules both import from here, and neither imports the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Span = tuple[int, int]

_TOKEN = re.compile(r"[^\s]+")


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) narrowed to exclude surrounding whitespace; start == end when the span is all whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def strip_trailing(text: str, start: int, end: int) -> int:
    """End offset without trailing spaces and sentence punctuation (a closing quote mark keeps what it closes)."""
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".;:,!?)—–-"):
        if text[end - 1] in "!?" and end - 2 >= start and text[end - 2] not in " ":
            # "?" and "!" are part of what was said when nothing else follows.
            break
        end -= 1
    return end


def strip_leading(text: str, start: int, end: int) -> int:
    """Start offset past leading spaces and the punctuation that joins a clause to what came before."""
    while start < end and (text[start].isspace() or text[start] in ",;:(—–-"):
        start += 1
    return start


_JOINERS = " \t\n,;:—–-"


def quote_segments(text: str, content: Span, holes: Iterable[Span]) -> list[Span] | None:
    """The pieces of a content interrupted by its own attribution ('"We will fight," he said, "to the end."'): the
    content less the stretch from the first to the last hole (speaker, cue) inside it, and less the commas and
    spaces joining them. None when no hole lies strictly inside the content."""
    inside = [h for h in holes if content[0] < h[0] and h[1] < content[1]]
    if not inside:
        return None
    left, right = min(h[0] for h in inside), max(h[1] for h in inside)
    while left > content[0] and text[left - 1] in _JOINERS:
        left -= 1
    while right < content[1] and text[right] in _JOINERS:
        right += 1
    if text[content[0]] in _OPENING and text[content[1] - 1] in _CLOSING:
        # A quotation's pieces are what is inside the quote marks: '"…," he said on Tuesday, "…"' leaves out
        # "on Tuesday" too.
        opening = next((i for i in range(right, content[1]) if text[i] in _OPENING and text[i - 1] in _JOINERS), -1)
        closing = max(text.rfind(q, content[0] + 1, left) for q in _CLOSING)
        if opening >= 0 and closing >= 0:
            left, right = closing + 1, opening
    if left <= content[0] or right >= content[1]:
        return None
    return [(content[0], left), (right, content[1])]


_OPENING = "“\"‘'«„"
_CLOSING = "”\"’'»“"


def words(text: str, start: int, end: int) -> list[Span]:
    """The whitespace-separated tokens of text[start:end], as spans."""
    return [m.span() for m in _TOKEN.finditer(text, start, end)]


def in_quote_text(text: str, start: int, pos: int) -> bool:
    """Whether `pos` sits inside a quotation opened since `start` (more opening than closing marks before it)."""
    segment = text[start:pos]
    return segment.count("“") > segment.count("”") or segment.count('"') % 2 == 1


class TakenChars:
    """Characters already claimed by earlier claims: one byte per character keeps each check O(1)."""

    def __init__(self, length: int, taken: Iterable[Span] = ()) -> None:
        self.bits = bytearray(length + 1)
        for span in taken:
            self.mark(span)

    def mark(self, span: Span) -> None:
        self.bits[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    def covered(self, pos: int) -> bool:
        return bool(self.bits[pos])

    def free(self, span: Span) -> bool:
        return not any(self.bits[span[0] : span[1]])
