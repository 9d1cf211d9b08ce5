"""Grounding: find an extractor's evidence in the article text and return offsets computed here, never taken from
a model.

Three tiers, tried in order, each only when the previous one finds nothing:
1. exact: the evidence occurs verbatim;
2. normalized: it occurs once quote marks, dashes, whitespace runs and letter case are made uniform and invisible
   (control and format) characters dropped on both sides;
   a map from normalised to raw offsets gives the span in the text exactly as submitted;
3. fuzzy: the best approximate alignment (rapidfuzz) scoring at least the threshold, snapped to word boundaries.
When the evidence occurs several times, the occurrence nearest the claim's context wins.
"""

from __future__ import annotations

import bisect
import itertools
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from whosaid.extraction.spans import quote_segments, strip_span, words
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
    raw_index: array[int]  # raw_index[i] = offset in the raw text of normalised character i (8 bytes each)


@lru_cache(maxsize=8)
def _normalized_article(text: str) -> _Normalized:
    """The article normalised once, not once per claim. Only article text is cached: never a model's string, which
    could be any size (an answer's 20 MB field would otherwise stay in memory with its offset map)."""
    return _normalize(text)


def _normalize(raw: str) -> _Normalized:
    """Fold quote marks and dashes, collapse whitespace runs to one space and case-fold, keeping an offset map."""
    folded = raw.translate(_FOLD)
    lowered = folded.casefold()
    if len(lowered) != len(folded) or not "".join(folded.split()).isprintable():
        return _normalize_each(folded)  # "ß" -> "ss", or invisible characters to drop: character by character
    # The common case at C speed: one-to-one characters, only whitespace runs to collapse.
    chars: list[str] = []
    index = array("q")
    at = 0
    for run in _SPACES.finditer(lowered):
        start, end = run.span()
        chars += [lowered[at:start], " "]
        index.extend(range(at, start))
        index.append(start)
        at = end
    chars.append(lowered[at:])
    index.extend(range(at, len(lowered)))
    return _Normalized("".join(chars), index)


_SPACES = re.compile(r"\s+")


def _normalized_text(raw: str) -> str:
    """`_normalize(raw).text`, stripped, without the offset map: what a piece of evidence is compared as."""
    folded = raw.translate(_FOLD)
    if not "".join(folded.split()).isprintable():
        folded = "".join(ch for ch in folded if ch.isspace() or ch.isprintable())
    return " ".join(folded.casefold().split())


def _normalize_each(folded: str) -> _Normalized:
    chars: list[str] = []
    index = array("q")
    previous_space = False
    for i, ch in enumerate(folded):
        if ch.isspace():
            if previous_space:
                continue
            previous_space = True
            chars.append(" ")
            index.append(i)
            continue
        if not ch.isprintable():
            continue  # control and format characters (zero-width, bidi, mojibake's C1 codes) are invisible: skipped
        previous_space = False
        # casefold() can lengthen a character ("ß" -> "ss"): each produced character maps to the same raw offset.
        for low in ch.casefold():
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
    normalized_only: bool = False,
) -> tuple[GroundingMethod, list[tuple[int, int]]]:
    """Every exact occurrence of `evidence`, or failing that (or with `normalized_only`) every normalised one
    (method, raw spans).

    The normalised tier also forgives the edges of a quotation: `"No deal."` finds `“No deal,” he said` (the
    words must still match; the span then covers the quotation marks as the article has them).
    """
    needle = evidence.strip()
    if not needle:
        return "exact", []
    lo, hi = window or (0, len(text))
    if not normalized_only:
        spans = [(lo + s, lo + s + len(needle)) for s in _occurrences(text[lo:hi], needle)]
        spans = _keep(text, spans, len(needle), exclude)
        if spans:
            return "exact", spans
    norm = _normalized_article(text)
    norm_needle = _normalized_text(needle)
    if not norm_needle:
        return "normalized", []
    raw = [_raw_span(norm, s, s + len(norm_needle)) for s in _occurrences(norm.text, norm_needle)]
    raw = [(s, e) for s, e in raw if s >= lo and e <= hi]
    spans = _keep(text, raw, len(needle), exclude)
    core = _EDGES.sub("", needle)
    if spans or core == needle or not _WORD.search(core):
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


# A fuzzy alignment's edges are tried this many words either way: a changed word can pull the window off its place.
_EDGE_WORDS = 3


def _snap(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans at word boundaries around [start, end): each edge moved to the word boundaries up to _EDGE_WORDS words
    either way (the best scoring one is kept by the caller)."""
    reach = 24 * _EDGE_WORDS
    lo, hi = max(0, start - reach), min(len(text), end + reach)
    tokens = words(text, lo, hi)
    if not tokens:
        return []
    first = min(range(len(tokens)), key=lambda k: abs(tokens[k][0] - start))
    last = min(range(len(tokens)), key=lambda k: abs(tokens[k][1] - end))
    starts = [tokens[k][0] for k in range(max(0, first - _EDGE_WORDS), min(len(tokens), first + _EDGE_WORDS + 1))]
    ends = [tokens[k][1] for k in range(max(0, last - _EDGE_WORDS), min(len(tokens), last + _EDGE_WORDS + 1))]
    # A word's end before the punctuation stuck to it too ("weeks" of "weeks.").
    ends += [e - len(text[s:e]) + len(text[s:e].rstrip(_TRAILING_PUNCTUATION)) for s, e in tokens if e in ends]
    return sorted({strip_span(text, s, e) for s in starts for e in ends if s < e})


def _fuzzy(
    text: str, evidence: str, threshold: float, near: Near, window: tuple[int, int] | None = None
) -> GroundedSpan | None:
    """The best fuzzy match inside `window` (default: all the text), looked for near `near` first. The article's
    own normalisation serves every window: a window is a range of it, never normalised (and cached) on its own."""
    norm = _normalized_article(text)
    needle = _normalized_text(evidence)
    if len(needle) < MIN_FUZZY_CHARS or not norm.text:
        return None
    cutoff = threshold * 100
    w_lo, w_hi = window or (0, len(text))
    regions = [(bisect.bisect_left(norm.raw_index, w_lo), bisect.bisect_left(norm.raw_index, w_hi))]
    if near is not None:
        # Look near the context first so that a repeated passage resolves to the nearby occurrence.
        lo, hi = (near, near) if isinstance(near, int) else near
        raw_lo, raw_hi = max(w_lo, lo - 2 * len(needle)), min(w_hi, hi + 2 * len(needle))
        n_lo = bisect.bisect_left(norm.raw_index, raw_lo)  # raw_index ascends
        n_hi = bisect.bisect_left(norm.raw_index, raw_hi)
        if n_hi - n_lo >= len(needle):
            regions.insert(0, (n_lo, n_hi))
    for lo, hi in regions:
        alignment = fuzz.partial_ratio_alignment(needle, norm.text[lo:hi], score_cutoff=cutoff)
        if alignment is None or alignment.dest_end <= alignment.dest_start:
            continue
        raw_s, raw_e = _raw_span(norm, lo + alignment.dest_start, lo + alignment.dest_end)
        best: GroundedSpan | None = None
        for s, e in _snap(text, raw_s, raw_e):
            if s < w_lo or e > w_hi:
                continue
            # The variant as normalised, sliced from the normalised text (not normalised again: many variants).
            variant = norm.text[bisect.bisect_left(norm.raw_index, s) : bisect.bisect_left(norm.raw_index, e)]
            score = fuzz.ratio(needle, variant.strip()) / 100
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
        start, end = min(spans, key=lambda span: (_distance(span[0], span[1], near), span[0]))
        return GroundedSpan(start, end, method, 1.0)
    if not allow_fuzzy:
        return None
    span = _fuzzy(text, evidence, threshold, near, window)
    if span is None or (exclude is not None and not (span.end <= exclude[0] or span.start >= exclude[1])):
        return None
    return span


# How far from its content a speaker mention or cue is looked for: attributions sit next to what they attribute.
ATTRIBUTION_WINDOW = 400
# The pieces of a quotation shortened with an ellipsis lie in order, each at most this far after the one before.
ELLIPSIS_GAP = 600
# Fuzzy candidates are looked for around at most this many occurrences of the speaker mention and the cue.
MAX_FUZZY_ANCHORS = 12
_ELLIPSIS = re.compile(r"\s*(?:\.{3,}|…|(?<!\w)\. \. \.)\s*")


@dataclass(frozen=True)
class _Located:
    """A candidate place for a content: its span, how it was found, and its pieces when it is in several."""

    start: int
    end: int
    method: GroundingMethod
    score: float = 1.0
    segments: tuple[tuple[int, int], ...] | None = None


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
    taken: Sequence[tuple[int, int]] = (),
) -> Claim | None:
    """A model's claim as a grounded `Claim` (extractor "llm"), or None when its content is not in the text.

    Tiers, each tried only when the one before finds nothing:
    1. every exact and normalised occurrence of the content, and of the content without the trailing punctuation a
       copy often adds or changes ("… off." for "… off," he said), as one set of candidates;
    2. a quotation shortened with an ellipsis, piece by piece: every piece exact or normalised, in order, each within
       ELLIPSIS_GAP of the one before;
    3. fuzzy, except for a direct quote: a quotation must be what the article says.
    Among candidates, the one that sits best with its speaker mention and cue wins (`_attribution_fit`), then one no
    earlier claim of the chunk holds (`taken`: the same sentence quoted twice is two claims), then an exact one,
    then the one nearest `near`.
    """
    mentions = [m for m in (speaker_mention, cue) if m and m.strip()]
    rank = _ranking(text, mentions, near, taken)
    found = _whole(text, content) or _pieces(text, content)
    if not found and quote_type != "direct":
        found = _fuzzy_near_attribution(text, content, threshold, near, mentions)
    if not found:
        return None
    best = min(found, key=lambda located: _order(rank((located.start, located.end)), located))
    content_span = (best.start, best.end)
    window = (max(0, best.start - ATTRIBUTION_WINDOW), min(len(text), best.end + ATTRIBUTION_WINDOW))
    cue_span = _attribution_span(text, cue, content_span, content_span, window)
    # The speaker is looked for next to the cue ("Cruz noted", "he said"), not merely next to the content.
    anchor = cue_span or content_span
    speaker_span = _attribution_span(text, speaker_mention or speaker_name, anchor, content_span, window)
    if speaker_span is None and speaker_mention and speaker_name != speaker_mention:
        speaker_span = _attribution_span(text, speaker_name, anchor, content_span, window)
    segments = list(best.segments) if best.segments else _interrupted(text, content_span, mentions)
    name = speaker_name.strip() or (speaker_mention or "").strip() or "unknown source"
    return Claim(
        speaker=Speaker(name=name, type=speaker_type, role=(speaker_role or "").strip() or None),
        cue=cue.strip() or (text[cue_span[0] : cue_span[1]] if cue_span else ""),
        content=text[best.start : best.end],
        quote_type=quote_type,
        stance=stance,
        content_span=content_span,
        speaker_span=speaker_span,
        cue_span=cue_span,
        content_segments=segments,
        confidence=round(best.score, 3),
        grounding=best.method,
        extractor="llm",
    )


def _interrupted(text: str, span: tuple[int, int], mentions: list[str]) -> list[tuple[int, int]] | None:
    """The two quoted pieces of a quotation copied whole with its attribution inside ('"…," he said, "…"'), or None.
    Only a content that opens and closes with quote marks, around a mention or cue between a closing and an opening
    one, is in pieces: "that he said no" is not."""
    if not (text[span[0]] in _QUOTES and text[span[1] - 1] in _QUOTES):
        return None
    holes = [found[0] for mention in mentions if (found := candidates(text, mention, window=span)[1])]
    pieces = quote_segments(text, span, holes)
    if pieces is None or text[pieces[0][1] - 1] not in _QUOTES or text[pieces[1][0]] not in _QUOTES:
        return None
    return pieces


def _ranking(
    text: str, mentions: list[str], near: Near, taken: Sequence[tuple[int, int]]
) -> Callable[[tuple[int, int]], tuple[int, int, bool, int, int]]:
    """The sort key of a candidate span: how it sits with its attribution (see `_attribution_fit`), then whether an
    earlier claim holds it, then its distance to `near`."""

    def rank(span: tuple[int, int]) -> tuple[int, int, bool, int, int]:
        flaws, distance = _attribution_fit(text, mentions, span)
        return flaws, distance, span in taken, _distance(*span, near), span[0]

    return rank


_METHOD_ORDER = {"exact": 0, "normalized": 1, "fuzzy": 2}


def _order(rank: tuple[int, int, bool, int, int], located: _Located) -> tuple[int, ...]:
    """The rank with exactness as the tie-break between equally well attributed places."""
    flaws, distance, held, near, start = rank
    return flaws, distance, held, _METHOD_ORDER[located.method], near, start


# Where one sentence ends and another starts, or a paragraph does.
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’)]*\s+[\"“‘(]*[A-Z]|\n")
# Occurrences of each mention looked at around a candidate: the nearest few are the only plausible ones.
_NEAREST = 4


def _attribution_fit(text: str, mentions: list[str], span: tuple[int, int]) -> tuple[int, int]:
    """How well a candidate place fits its speaker mention and cue: (flaws, distance). The attribution is the pair
    of a mention occurrence and a cue occurrence nearest each other and the candidate, taken as one block: "the
    other, impassioned in defending me" fits the "me" after the cue, not the one before the speaker. Flaws: each
    mention not found within ATTRIBUTION_WINDOW (which also counts as that far away), and a sentence or paragraph
    break between the candidate and its attribution."""
    if not mentions:
        return 0, 0
    lo, hi = max(0, span[0] - ATTRIBUTION_WINDOW), min(len(text), span[1] + ATTRIBUTION_WINDOW)
    found = []
    for mention in mentions:
        spans = candidates(text, mention, window=(lo, hi), exclude=span)[1]
        found.append(sorted(spans, key=lambda s: _distance(s[0], s[1], span))[:_NEAREST])
    absent = sum(1 for spans in found if not spans)
    missing = ATTRIBUTION_WINDOW * absent
    present = [spans for spans in found if spans]
    if not present:
        return absent, missing
    best: tuple[int, int] | None = None
    for combination in itertools.product(*present):
        block = (min(s for s, _ in combination), max(e for _, e in combination))
        spread = sum(_distance(a[0], a[1], b) for a, b in itertools.pairwise(combination))
        # The gap with the characters on either side: a break is a period and the capital after it.
        gap = text[max(0, block[1] - 1) : span[0] + 1] if block[1] <= span[0] else text[span[1] - 2 : block[0] + 1]
        # The nearer end of the attribution counts twice: a content attaches to the words right beside it.
        fit = (absent + bool(_SENTENCE_BREAK.search(gap)), 2 * _distance(*block, span) + spread + missing)
        if best is None or fit < best:
            best = fit
    assert best is not None
    return best


def _whole(text: str, content: str) -> list[_Located]:
    """Every exact or normalised occurrence of the content, and of the content without the trailing punctuation
    a copy adds or changes ("… is off." for "… is off," he said): the right place is then chosen among them all."""
    method, spans = candidates(text, content)
    found = [_Located(s, e, method) for s, e in spans]
    if method == "exact":
        # A retouched copy can match another place exactly ('"Hope"' where the article quotes “Hope” and a tweet
        # "Hope"): the normalised occurrences compete too, and exactness only breaks a tie.
        held = set(spans)
        found += [
            _Located(s, e, "normalized")
            for s, e in candidates(text, content, normalized_only=True)[1]
            if (s, e) not in held
        ]
    stripped = content.strip()
    core = stripped.rstrip(_TRAILING_PUNCTUATION)
    if core == stripped or not _WORD.search(core):
        return found
    held = {(f.start, f.end) for f in found}
    for s, e in candidates(text, core)[1]:
        after = e
        while after < len(text) and text[after] in _TRAILING_PUNCTUATION:
            after += 1
        if text[e:after].strip() == stripped[len(core) :].strip():
            e = after  # the article has the same punctuation: it belongs to the content
        if (s, e) not in held:
            held.add((s, e))
            found.append(_Located(s, e, "exact" if text[s:e] == stripped else "normalized"))
    return found


_TRAILING_PUNCTUATION = " \t\n,.;:!?…"


def _pieces(text: str, content: str) -> list[_Located]:
    """A quotation shortened with an ellipsis, found piece by piece: chains of exact or normalised matches, in order
    and close together, one chain per occurrence of the first piece."""
    pieces = [p for p in _ELLIPSIS.split(content.strip()) if _WORD.search(p)]
    if len(pieces) < 2:
        return []
    first_method, firsts = candidates(text, pieces[0])
    chains: list[_Located] = []
    for first in firsts:
        segments, methods = [first], {first_method}
        for piece in pieces[1:]:
            after = segments[-1][1]
            method, spans = candidates(text, piece, window=(after, min(len(text), after + ELLIPSIS_GAP + len(piece))))
            if not spans:
                break
            segments.append(min(spans))
            methods.add(method)
        else:
            method = "exact" if methods == {"exact"} else "normalized"
            chains.append(_Located(segments[0][0], segments[-1][1], method, 1.0, tuple(segments)))
    # Chains that end alike differ in where the first piece was found: the nearest one ('"That would be ... right"'
    # is not '"That would be you?" he asked. "That would be me ... right"').
    tightest: dict[int, _Located] = {}
    for chain in chains:
        if chain.end not in tightest or chain.start > tightest[chain.end].start:
            tightest[chain.end] = chain
    return list(tightest.values())


def _fuzzy_near_attribution(
    text: str, content: str, threshold: float, near: Near, mentions: list[str]
) -> list[_Located]:
    """Fuzzy candidates around each occurrence of the speaker mention and cue (in the chunk), and the best match
    near the chunk: ranked afterwards like every other tier's candidates."""
    # Straight to the fuzzy tier: the caller found no exact or normalised occurrence anywhere.
    found: list[_Located] = []
    best = _fuzzy(text, content, threshold, near)
    if best is not None:
        found.append(_Located(best.start, best.end, best.method, best.score))
    lo, hi = (0, len(text)) if near is None else ((near, near) if isinstance(near, int) else near)
    anchors: list[tuple[int, int]] = []
    for mention in mentions:
        anchors += candidates(text, mention, window=(lo, hi))[1]
    reach = ATTRIBUTION_WINDOW + len(content)
    for s, e in sorted(set(anchors))[:MAX_FUZZY_ANCHORS]:
        window = (max(0, s - reach), min(len(text), e + reach))
        located = _fuzzy(text, content, threshold, (s, e), window)
        if located is not None and all((f.start, f.end) != (located.start, located.end) for f in found):
            found.append(_Located(located.start, located.end, located.method, located.score))
    return found


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
