"""Splitting a long article into pieces an LLM call can handle, each remembering where it starts in the original.

Pieces end on paragraph boundaries (a line break) and stay under a character budget; only a paragraph longer than
the budget on its own is split, on sentence boundaries (and a sentence longer than the budget, at a space).
The pieces tile the text: chunk i ends where chunk i+1 starts, so every offset belongs to exactly one chunk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A paragraph ends after a run of line breaks (blank lines and single newlines alike: scraped news often uses one).
_PARAGRAPH_END = re.compile(r"\n\s*")
# A sentence ends after . ! ? or … (optionally followed by closing quotes/brackets) and whitespace.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")


@dataclass(frozen=True)
class Chunk:
    """text == original[start:end]."""

    start: int
    end: int
    text: str


def _pieces(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """[start, end) of the pieces of `text` that end just after each match of `pattern` (separator kept)."""
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.end() > start and match.end() < len(text):
            pieces.append((start, match.end()))
            start = match.end()
    if start < len(text):
        pieces.append((start, len(text)))
    return pieces


def _hard_split(text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
    """Last resort for a sentence over budget: cut at the last space before the budget (or at the budget)."""
    pieces = []
    while end - start > budget:
        cut = text.rfind(" ", start + 1, start + budget)
        cut = cut + 1 if cut > start else start + budget
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _units(text: str, budget: int) -> list[tuple[int, int]]:
    """Paragraphs, with any paragraph over budget replaced by its sentences (and those over budget, by slices)."""
    units: list[tuple[int, int]] = []
    for p_start, p_end in _pieces(text, _PARAGRAPH_END):
        if p_end - p_start <= budget:
            units.append((p_start, p_end))
            continue
        for s_start, s_end in _pieces(text[p_start:p_end], _SENTENCE_END):
            units.extend(_hard_split(text, p_start + s_start, p_start + s_end, budget))
    return units


def chunk_text(text: str, budget: int) -> list[Chunk]:
    """Greedily pack paragraphs into chunks of at most `budget` characters. Whitespace-only chunks are skipped."""
    if budget < 1:
        raise ValueError("budget must be positive")
    if len(text) <= budget:
        return [Chunk(0, len(text), text)] if text.strip() else []
    spans: list[tuple[int, int]] = []
    for start, end in _units(text, budget):
        if spans and end - spans[-1][0] <= budget:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return [Chunk(s, e, text[s:e]) for s, e in spans if text[s:e].strip()]


def split_in_two(chunk: Chunk) -> list[Chunk]:
    """`chunk` cut at the paragraph (or sentence) boundary nearest its middle; offsets stay in the original."""
    text = chunk.text
    units = _units(text, max(1, len(text) // 2))
    if len(units) < 2:
        return [chunk]
    middle = len(text) / 2
    cut = min((start for start, _ in units[1:]), key=lambda start: abs(start - middle))
    pieces = [(0, cut), (cut, len(text))]
    return [Chunk(chunk.start + s, chunk.start + e, text[s:e]) for s, e in pieces if text[s:e].strip()]


__all__ = ["Chunk", "chunk_text", "split_in_two"]
