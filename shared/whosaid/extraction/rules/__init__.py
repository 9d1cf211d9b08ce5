"""The offline rules extractor: deterministic, pure Python (stdlib `re`), no network, no model.

It finds direct quotations with their speech clause, reported speech after a cue verb and 'according to X',
resolves speaker mentions (pronouns, 'the sources', a surname alone) to the speaker entity they refer to, and
never reads page furniture (navigation, follow/share prompts, credits, bylines, repeated headline lines).
Every span it returns slices the text exactly.

The pipeline, one module a stage: the layout (`text`), then the finders of `STAGES` in order (`direct`,
`reported`, `according`, `passive`, `constructions`, `headlines`; they share `subjects`, `content`, `grammar` and
the cue lexicon `cues`), then deduplication, mention parsing (`whosaid.extraction.mentions`) and coreference
(`whosaid.extraction.coreference`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from whosaid.deadlines import Deadline
from whosaid.extraction.coreference import resolve_mentions, unify_speakers
from whosaid.extraction.mentions import parse_mention
from whosaid.extraction.names import NameIndex
from whosaid.extraction.rules.according import find_according
from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.constructions import find_asked, find_called, find_colon_quotes
from whosaid.extraction.rules.cues import stance_for
from whosaid.extraction.rules.direct import find_direct
from whosaid.extraction.rules.headlines import find_headline_statements
from whosaid.extraction.rules.passive import find_passive
from whosaid.extraction.rules.reported import find_reported
from whosaid.extraction.rules.text import Layout, layout
from whosaid.extraction.spans import Span, quote_segments
from whosaid.models import Article, Claim, ExtractionResult, QuoteType, Speaker, Usage

# A finder reads the page, the spans earlier stages reserved, and what they found.
Finder = Callable[[Layout, Sequence[Span], Sequence[ClaimSpans]], list[ClaimSpans]]


@dataclass(frozen=True)
class Stage:
    """One finder and what its claims reserve for the stages after it (text no later finder reads again).

    What each stage reserves is part of the extractor's behaviour, kept exactly as it was:
    - direct quotes and reported speech reserve contents and cues;
    - 'according to' and passive attribution ('was reported by X') reserve their contents, not their cues;
    - a colon quote reserves nothing: name-calling and questions read as if it were not there, and where they
      overlap it, it wins at deduplication (it is earlier in the table);
    - name-calling reserves its contents, which only the question finder after it reads;
    - questions reserve their contents too, but no finder after them reads `taken`: the headline finder reads
      whole paragraphs whatever was taken (a headline repeating a body claim loses at deduplication).
    """

    name: str
    find: Finder
    reserves_contents: bool
    reserves_cues: bool


def _page_only(find: Callable[[Layout], list[ClaimSpans]]) -> Finder:
    """A finder that reads the page alone, whatever earlier stages took."""
    return lambda page, taken, earlier: find(page)


def _outside_taken(find: Callable[[Layout, Sequence[Span]], list[ClaimSpans]]) -> Finder:
    """A finder that reads what earlier stages left free, whatever they found."""
    return lambda page, taken, earlier: find(page, taken)


# The finders in the order they run, which is also their priority where two claims overlap (see _dedupe).
STAGES: tuple[Stage, ...] = (
    Stage("direct", _page_only(find_direct), reserves_contents=True, reserves_cues=True),
    Stage("reported", find_reported, reserves_contents=True, reserves_cues=True),
    Stage("according", _outside_taken(find_according), reserves_contents=True, reserves_cues=False),
    Stage("passive", _outside_taken(find_passive), reserves_contents=True, reserves_cues=False),
    Stage("colon quotes", _outside_taken(find_colon_quotes), reserves_contents=False, reserves_cues=False),
    Stage("called", _outside_taken(find_called), reserves_contents=True, reserves_cues=False),
    Stage("asked", _outside_taken(find_asked), reserves_contents=True, reserves_cues=False),
    Stage("headlines", _page_only(find_headline_statements), reserves_contents=False, reserves_cues=False),
)


class RulesExtractor:
    """Pattern-based extraction for English news. Fast (a few milliseconds per article) and offline."""

    name: Literal["rules"] = "rules"

    def extract(self, article: Article, *, deadline: Deadline | None = None) -> ExtractionResult:
        # No deadline to watch: the rules take milliseconds, well inside any function's time.
        claims = extract_claims(article.text, article.title)
        return ExtractionResult.from_claims(claims, Usage(extractor="rules"))


def extract_claims(text: str, title: str | None = None) -> list[Claim]:
    page = layout(text, title)
    found = _dedupe(run_stages(page))
    # A claim is attributed to someone: a question whose asker the text never names ("Asked whether …, X said")
    # is the reporter's, not a speaker's. (The asked construction still claims its span, so nothing else takes it.)
    found = [f for f in found if f.speaker is not None]
    found.sort(key=lambda f: f.content[0])
    claims = resolve_mentions(text, [_to_claim(page, f) for f in found], NameIndex(text, page.is_furniture))
    return unify_speakers(claims)


def run_stages(page: Layout, stages: Sequence[Stage] = STAGES) -> list[ClaimSpans]:
    """Every stage's finds, in stage order; each stage reads past the spans the stages before it reserved."""
    taken: list[Span] = []
    found: list[ClaimSpans] = []
    for stage in stages:
        new = stage.find(page, taken, found)
        if stage.reserves_contents:
            taken += [f.content for f in new]
        if stage.reserves_cues:
            taken += [f.cue for f in new]
        found += new
    return found


def _dedupe(found: list[ClaimSpans]) -> list[ClaimSpans]:
    """Keep the first claim (direct before reported before 'according to' …) where two contents overlap."""
    kept: list[ClaimSpans] = []
    claimed: list[Span] = []  # kept contents, sorted by start (they never overlap)
    for f in found:
        s, e = f.content
        i = bisect.bisect_left(claimed, (s, s))
        if (i > 0 and claimed[i - 1][1] > s) or (i < len(claimed) and claimed[i][0] < e):
            continue
        claimed.insert(i, (s, e))
        kept.append(f)
    return kept


def _quote_type(text: str, content: Span, kind: str) -> QuoteType:
    if kind in ("direct", "transcript"):
        return "direct"
    return "mixed" if re.search(r"[“”\"]|''", text[content[0] : content[1]]) else "indirect"


def _to_claim(page: Layout, f: ClaimSpans) -> Claim:
    text = page.text
    content = text[f.content[0] : f.content[1]]
    cue = text[f.cue[0] : f.cue[1]]
    mention = text[f.speaker[0] : f.speaker[1]] if f.speaker else ""
    parsed = parse_mention(mention, text) if mention else None
    speaker = (
        Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
        if parsed and parsed.name
        else Speaker(name="unknown", type="other")
    )
    if f.kind == "transcript":
        # A transcript labels its speakers in capitals ("JAKE TAPPER"): a person, named as usual.
        speaker = Speaker(name=mention.title(), type="person")
    return Claim(
        speaker=speaker,
        cue=cue,
        content=content,
        quote_type=_quote_type(text, f.content, f.kind),
        stance=stance_for(f.lemma, cue, content),
        content_span=f.content,
        speaker_span=f.speaker,
        cue_span=f.cue,
        content_segments=quote_segments(text, f.content, [f.cue, *([f.speaker] if f.speaker else [])]),
        confidence=0.9 if f.kind in ("direct", "transcript") else 0.7,
        grounding="exact",
        extractor="rules",
    )


__all__ = ["STAGES", "RulesExtractor", "Stage", "extract_claims", "run_stages"]
