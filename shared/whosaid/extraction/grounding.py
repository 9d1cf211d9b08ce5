"""Grounding: find an extractor's evidence in the article text and return offsets computed here, never taken from
a model.

Three tiers, tried in order, each only when the previous one finds nothing:
1. exact: the evidence occurs verbatim;
2. normalized: it occurs once quote marks, dashes, whitespace runs and letter case are made uniform on both sides;
   a map from normalised to raw offsets gives the span in the text exactly as submitted;
3. fuzzy: the best approximate alignment (rapidfuzz) scoring at least the threshold, snapped to word boundaries.
When the evidence occurs several times, the occurrence nearest the claim's context wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from whosaid.extraction.spans import strip_span
from whosaid.models import Claim, GroundingMethod, QuoteType, Speaker, SpeakerType, Stance

# Normalisation folds look-alike characters onto one ASCII form. Every entry maps one character to one character so
# that a normalised offset maps back to exactly one raw offset.
_FOLD = str.maketrans(
    {
        **dict.fromkeys("“”„‟«»″〝〞＂", '"'),
        **dict.fromkeys("‘’‚‛‹›′`´＇", "'"),
        **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"),
        "\u00a0": " ",
        "…": ".",  # an ellipsis character vs "..." still differs in length; the fuzzy tier catches that
    }
)
_WORD = re.compile(r"\w", re.UNICODE)
# Fuzzy matching of very short evidence ("he", "said") finds noise, not the evidence.
MIN_FUZZY_CHARS = 12
# Evidence this short must start and end on word boundaries ("he" must not match inside "the").
_SHORT_EVIDENCE = 24

Near = int | tuple[int, int] | None


@dataclass(frozen=True)
class GroundedSpan:
    """Where a piece of evidence lies in the text: text[start:end], found by `method` with `score` in 0..1."""

    start: int
    end: int
    method: GroundingMethod
    score: float


@dataclass(frozen=True)
class _Normalized:
    text: str
    raw_index: list[int]  # raw_index[i] = offset in the raw text of normalised character i


@lru_cache(maxsize=256)  # the article is normalised once, not once per claim
def _normalize(raw: str) -> _Normalized:
    """Fold quote marks and dashes, collapse whitespace runs to one space and lower-case, keeping an offset map."""
    chars: list[str] = []
    index: list[int] = []
    previous_space = False
    for i, ch in enumerate(raw.translate(_FOLD)):
        if ch.isspace():
            if previous_space:
                continue
            previous_space = True
            chars.append(" ")
            index.append(i)
            continue
        previous_space = False
        # lower() can lengthen a character (e.g. "İ" -> "i̇"): each produced character maps to the same raw offset.
        for low in ch.lower():
            chars.append(low)
            index.append(i)
    return _Normalized("".join(chars), index)


def _raw_span(norm: _Normalized, start: int, end: int) -> tuple[int, int]:
    """Raw [start, end) for the normalised [start, end)."""
    return norm.raw_index[start], norm.raw_index[end - 1] + 1


def _distance(start: int, end: int, near: Near) -> int:
    if near is None:
        return 0
    lo, hi = (near, near) if isinstance(near, int) else near
    if end <= lo:
        return lo - end
    if start >= hi:
        return start - hi
    return 0  # overlapping the context


def _at_word_boundaries(text: str, start: int, end: int) -> bool:
    left_ok = start == 0 or not (_WORD.match(text[start - 1]) and _WORD.match(text[start]))
    right_ok = end >= len(text) or not (_WORD.match(text[end - 1]) and _WORD.match(text[end]))
    return left_ok and right_ok


def _occurrences(haystack: str, needle: str) -> list[int]:
    found: list[int] = []
    start = haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def _keep(
    text: str, spans: list[tuple[int, int]], evidence_len: int, exclude: tuple[int, int] | None
) -> list[tuple[int, int]]:
    """Drop spans overlapping `exclude`; prefer whole-word matches, and require them for short evidence."""
    if exclude is not None:
        spans = [(s, e) for s, e in spans if e <= exclude[0] or s >= exclude[1]]
    whole = [(s, e) for s, e in spans if _at_word_boundaries(text, s, e)]
    if whole or evidence_len <= _SHORT_EVIDENCE:
        return whole
    return spans


def candidates(
    text: str,
    evidence: str,
    *,
    window: tuple[int, int] | None = None,
    exclude: tuple[int, int] | None = None,
) -> tuple[GroundingMethod, list[tuple[int, int]]]:
    """Every exact occurrence of `evidence`, or failing that every normalised one (method, raw spans).

    The normalised tier also forgives the edges of a quotation: `"No deal."` finds `“No deal,” he said` (the
    words must still match; the span then covers the quotation marks as the article has them).
    """
    needle = evidence.strip()
    if not needle:
        return "exact", []
    lo, hi = window or (0, len(text))
    spans = [(lo + s, lo + s + len(needle)) for s in _occurrences(text[lo:hi], needle)]
    spans = _keep(text, spans, len(needle), exclude)
    if spans:
        return "exact", spans
    norm = _normalize(text)
    norm_needle = _normalize(needle).text.strip()
    if not norm_needle:
        return "normalized", []
    raw = [_raw_span(norm, s, s + len(norm_needle)) for s in _occurrences(norm.text, norm_needle)]
    raw = [(s, e) for s, e in raw if s >= lo and e <= hi]
    spans = _keep(text, raw, len(needle), exclude)
    core = _EDGES.sub("", needle)
    if spans or core == needle or len(core) < MIN_FUZZY_CHARS:
        return "normalized", spans
    _, core_spans = candidates(text, core, window=window, exclude=exclude)
    quoted = needle[0] in _QUOTES or needle[-1] in _QUOTES
    return "normalized", [_reattach_quotes(text, s, e) if quoted else (s, e) for s, e in core_spans]


_QUOTES = "\"'“”„‟«»‘’‚‛‹›"
# Quotation marks and punctuation at the edges of a quotation, which copies of it often get wrong.
_EDGES = re.compile(rf"^[\s{_QUOTES}(\[-]+|[\s{_QUOTES},.;:!?…)\]-]+$")
_CLOSING = re.compile(rf"[,.;:!?…]{{0,2}}[{_QUOTES}]")


def _reattach_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span found without its edges to the article's own opening and closing quotation marks."""
    if start > 0 and text[start - 1] in _QUOTES:
        start -= 1
    closing = _CLOSING.match(text, end)
    return start, closing.end() if closing else end


def _mid_word(text: str, i: int) -> bool:
    """Whether offset i falls between two word characters."""
    return 0 < i < len(text) and bool(_WORD.match(text[i - 1]) and _WORD.match(text[i]))


def _snap(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Variants of [start, end) moved to word boundaries: grown outwards and shrunk inwards."""
    grow_s, grow_e = start, end
    while _mid_word(text, grow_s):
        grow_s -= 1
    while _mid_word(text, grow_e):
        grow_e += 1
    shrink_s, shrink_e = start, end
    while shrink_s < shrink_e and _mid_word(text, shrink_s):
        shrink_s += 1
    while shrink_e > shrink_s and _mid_word(text, shrink_e):
        shrink_e -= 1
    variants = [(grow_s, grow_e), (shrink_s, grow_e), (grow_s, shrink_e), (shrink_s, shrink_e)]
    trimmed = [strip_span(text, s, e) for s, e in variants]
    return [(s, e) for s, e in trimmed if s < e]


def _fuzzy(text: str, evidence: str, threshold: float, near: Near) -> GroundedSpan | None:
    norm = _normalize(text)
    needle = _normalize(evidence).text.strip()
    if len(needle) < MIN_FUZZY_CHARS or not norm.text:
        return None
    cutoff = threshold * 100
    regions = [(0, len(norm.text))]
    if near is not None:
        # Look near the context first so that a repeated passage resolves to the nearby occurrence.
        lo, hi = (near, near) if isinstance(near, int) else near
        raw_lo, raw_hi = max(0, lo - 2 * len(needle)), hi + 2 * len(needle)
        n_lo = next((i for i, r in enumerate(norm.raw_index) if r >= raw_lo), len(norm.text))
        n_hi = next((i for i, r in enumerate(norm.raw_index) if r >= raw_hi), len(norm.text))
        if n_hi - n_lo >= len(needle):
            regions.insert(0, (n_lo, n_hi))
    for lo, hi in regions:
        alignment = fuzz.partial_ratio_alignment(needle, norm.text[lo:hi], score_cutoff=cutoff)
        if alignment is None or alignment.dest_end <= alignment.dest_start:
            continue
        raw_s, raw_e = _raw_span(norm, lo + alignment.dest_start, lo + alignment.dest_end)
        best: GroundedSpan | None = None
        for s, e in _snap(text, raw_s, raw_e):
            score = fuzz.ratio(needle, _normalize(text[s:e]).text.strip()) / 100
            if score * 100 >= cutoff and (best is None or score > best.score):
                best = GroundedSpan(s, e, "fuzzy", score)
        if best is not None:
            return best
    return None


def ground(
    text: str,
    evidence: str,
    *,
    near: Near = None,
    threshold: float,
    allow_fuzzy: bool = True,
    window: tuple[int, int] | None = None,
    exclude: tuple[int, int] | None = None,
) -> GroundedSpan | None:
    """Locate `evidence` in `text`: exact, then normalised, then (if allowed) fuzzy with score >= `threshold`.

    `near` (an offset or a span) picks among repeated occurrences; `window` limits the search to text[lo:hi];
    `exclude` rules out matches overlapping that span (a speaker mention inside the claim's own content).
    """
    method, spans = candidates(text, evidence, window=window, exclude=exclude)
    if spans:
        start, end = min(spans, key=lambda span: (_distance(*span, near), span[0]))
        return GroundedSpan(start, end, method, 1.0)
    if not allow_fuzzy:
        return None
    lo, hi = window or (0, len(text))
    found = _fuzzy(text[lo:hi], evidence, threshold, None if near is None else _shift(near, -lo))
    if found is None:
        return None
    span = GroundedSpan(found.start + lo, found.end + lo, found.method, found.score)
    if exclude is not None and not (span.end <= exclude[0] or span.start >= exclude[1]):
        return None
    return span


def _shift(near: int | tuple[int, int], by: int) -> int | tuple[int, int]:
    return near + by if isinstance(near, int) else (near[0] + by, near[1] + by)


# How far from its content a speaker mention or cue is looked for: attributions sit next to what they attribute.
ATTRIBUTION_WINDOW = 400


def ground_claim(
    text: str,
    *,
    content: str,
    speaker_name: str,
    speaker_type: SpeakerType,
    speaker_role: str | None,
    speaker_mention: str | None,
    cue: str,
    quote_type: QuoteType,
    stance: Stance,
    near: Near,
    threshold: float,
) -> Claim | None:
    """A model's claim as a grounded `Claim` (extractor "llm"), or None when its content is not in the text.

    A direct quote is kept only on an exact or normalised match: a quotation must be what the article says.
    Among repeated occurrences of the content, the one with the speaker mention and cue closest by wins, then the
    one nearest `near` (the chunk the claim came from).
    """
    method, spans = candidates(text, content)
    grounded: GroundedSpan | None
    if spans:
        mentions = [m for m in (speaker_mention, cue) if m and m.strip()]

        def context_distance(span: tuple[int, int]) -> tuple[int, int, int]:
            lo, hi = max(0, span[0] - ATTRIBUTION_WINDOW), min(len(text), span[1] + ATTRIBUTION_WINDOW)
            total = 0
            for mention in mentions:
                _, found = candidates(text, mention, window=(lo, hi), exclude=span)
                total += min((_distance(s, e, span) for s, e in found), default=ATTRIBUTION_WINDOW)
            return total, _distance(*span, near), span[0]

        start, end = min(spans, key=context_distance) if len(spans) > 1 else spans[0]
        grounded = GroundedSpan(start, end, method, 1.0)
    elif quote_type == "direct":
        return None  # an unmatched direct quote is never kept, however close a fuzzy match is
    else:
        grounded = ground(text, content, near=near, threshold=threshold)
    if grounded is None:
        return None
    content_span = (grounded.start, grounded.end)
    window = (max(0, grounded.start - ATTRIBUTION_WINDOW), min(len(text), grounded.end + ATTRIBUTION_WINDOW))
    cue_span = _attribution_span(text, cue, content_span, content_span, window)
    # The speaker is looked for next to the cue ("Cruz noted", "he said"), not merely next to the content.
    anchor = cue_span or content_span
    speaker_span = _attribution_span(text, speaker_mention or speaker_name, anchor, content_span, window)
    if speaker_span is None and speaker_mention and speaker_name != speaker_mention:
        speaker_span = _attribution_span(text, speaker_name, anchor, content_span, window)
    name = speaker_name.strip() or (speaker_mention or "").strip() or "unknown source"
    return Claim(
        speaker=Speaker(name=name, type=speaker_type, role=(speaker_role or "").strip() or None),
        cue=cue.strip() or (text[cue_span[0] : cue_span[1]] if cue_span else ""),
        content=text[grounded.start : grounded.end],
        quote_type=quote_type,
        stance=stance,
        content_span=content_span,
        speaker_span=speaker_span,
        cue_span=cue_span,
        confidence=round(grounded.score, 3),
        grounding=grounded.method,
        extractor="llm",
    )


def _attribution_span(
    text: str, evidence: str, near: tuple[int, int], content_span: tuple[int, int], window: tuple[int, int]
) -> tuple[int, int] | None:
    # Exact or normalised only: a speaker mention or cue is a few words, where fuzzy matching only finds noise.
    found = ground(text, evidence, near=near, threshold=1.0, allow_fuzzy=False, window=window, exclude=content_span)
    return (found.start, found.end) if found else None


def spans_overlap(a: Sequence[int], b: Sequence[int]) -> float:
    """Overlap of two spans as a fraction of the shorter one (0..1)."""
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return max(0, inter) / shorter if shorter > 0 else 0.0


__all__ = ["GroundedSpan", "candidates", "ground", "ground_claim", "spans_overlap"]
