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


def words(text: str, start: int, end: int) -> list[Span]:
    """The whitespace-separated tokens of text[start:end], as spans."""
    return [m.span() for m in _TOKEN.finditer(text, start, end)]


def in_quote_text(text: str, start: int, pos: int) -> bool:
    """Whether `pos` sits inside a quotation opened since `start` (more opening than closing marks before it)."""
    segment = text[start:pos]
    return segment.count("“") > segment.count("”") or segment.count('"') % 2 == 1


class SpanMask:
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
