"""Chunking: paragraph boundaries under a budget, offsets into the original, oversize paragraphs by sentence."""

from __future__ import annotations

import itertools

import pytest

from whosaid.extraction.chunking import chunk_text


def _paragraphs(n: int, size: int) -> list[str]:
    return [(f"Paragraph {i} says something. " * size).strip() for i in range(n)]


def _assert_tiles(text: str, chunks) -> None:
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    for before, after in itertools.pairwise(chunks):
        assert before.end == after.start
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_short_text_is_one_chunk() -> None:
    text = "One paragraph.\n\nAnother one."
    [chunk] = chunk_text(text, 1000)
    assert (chunk.start, chunk.end, chunk.text) == (0, len(text), text)


def test_splits_only_on_paragraph_boundaries_under_the_budget() -> None:
    paragraphs = _paragraphs(10, 8)  # ~260 characters each
    text = "\n\n".join(paragraphs)
    chunks = chunk_text(text, 1000)
    assert len(chunks) >= 3
    _assert_tiles(text, chunks)
    for chunk in chunks:
        assert len(chunk.text) <= 1000
        # every chunk starts at a paragraph start and holds whole paragraphs
        assert chunk.text.lstrip().startswith("Paragraph")
        assert chunk.start == 0 or text[chunk.start - 1] == "\n"
        body = chunk.text.strip()
        assert all(p in paragraphs for p in body.split("\n\n"))


def test_single_newline_paragraphs_and_greedy_packing() -> None:
    text = "\n".join(_paragraphs(6, 10))  # ~330 characters each, single line breaks
    chunks = chunk_text(text, 1000)
    _assert_tiles(text, chunks)
    assert [len(c.text.strip().split("\n")) for c in chunks] == [3, 3]


def test_oversize_paragraph_is_split_on_sentence_boundaries() -> None:
    long_paragraph = " ".join(f"Sentence number {i} is here." for i in range(100))  # ~2,800 characters
    text = f"Short intro.\n\n{long_paragraph}\n\nShort outro."
    chunks = chunk_text(text, 1000)
    _assert_tiles(text, chunks)
    assert all(len(c.text) <= 1000 for c in chunks)
    inner = [c for c in chunks if long_paragraph[:20] in c.text or "Sentence number" in c.text]
    assert len(inner) >= 3
    for chunk in chunks[:-1]:
        # each piece ends at a sentence end (or a paragraph end), never mid-sentence
        assert chunk.text.rstrip().endswith(".")


def test_a_sentence_longer_than_the_budget_is_cut_at_a_space() -> None:
    text = "word " * 500  # 2,500 characters without a sentence end
    chunks = chunk_text(text.strip(), 1000)
    _assert_tiles(text.strip(), chunks)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert all(c.text.endswith(" ") or c is chunks[-1] for c in chunks)


def test_offsets_map_back_with_non_ascii_text() -> None:
    paragraphs = [f"Überraschung 🎉 {i}: “quoted” — 北京 " * 20 for i in range(8)]
    text = "\n\n".join(paragraphs)
    chunks = chunk_text(text, 1500)
    assert len(chunks) > 1
    _assert_tiles(text, chunks)
    needle = paragraphs[5][:30]
    holder = next(c for c in chunks if needle in c.text)
    assert text.index(needle) == holder.start + holder.text.index(needle)


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError):
        chunk_text("text", 0)
