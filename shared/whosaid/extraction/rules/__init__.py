"""The offline rules extractor: deterministic, pure Python (stdlib `re`), no network, no model.

It finds direct quotations with their speech clause, reported speech after a cue verb and 'according to X',
resolves speaker mentions (pronouns, 'the sources', a surname alone) to the speaker entity they refer to, and
never reads page furniture (navigation, follow/share prompts, credits, bylines, repeated headline lines).
Every span it returns slices the text exactly.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from whosaid.extraction.rules.constructions import find_asked, find_called, find_colon_quotes
from whosaid.extraction.rules.cues import stance_for
from whosaid.extraction.rules.patterns import (
    Found,
    find_according,
    find_direct,
    find_headline_statements,
    find_reported,
)
from whosaid.extraction.rules.text import Layout, layout
from whosaid.extraction.speakers import PRONOUNS, ParsedMention, is_place, parse_mention, unify_speakers
from whosaid.models import Article, Claim, ExtractionResult, QuoteType, Speaker, Usage

_CAPITALISED_NAME = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen)\.\s+)?[A-Z][\w’'\-]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][\w’'\-]+)+|"
    r"(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen)\.\s+[A-Z][\w’'\-]+"
)
_POSSESSIVE_END = re.compile(r"(?:’s|'s|’|')$")
_CAPITALISED_ANY = re.compile(r"[A-Z][\w’'\-]+(?:\s+[A-Z][\w’'\-]+)*")
_SENTENCE_INITIAL_NOISE = frozenset(
    ["The", "A", "An", "In", "On", "At", "But", "And", "For", "As", "If", "When", "While", "After", "Before"]
)


def _sentence_initial(text: str, pos: int) -> bool:
    before = text[max(0, pos - 3) : pos]
    return pos == 0 or not before.strip() or before.rstrip()[-1:] in '.!?”"\n'


def _quote_type(text: str, content: tuple[int, int], kind: str) -> QuoteType:
    if kind in ("direct", "transcript"):
        return "direct"
    return "mixed" if re.search(r"[“”\"]|''", text[content[0] : content[1]]) else "indirect"


class RulesExtractor:
    """Pattern-based extraction for English news. Fast (a few milliseconds per article) and offline."""

    name = "rules"

    def extract(self, article: Article) -> ExtractionResult:
        claims = extract_claims(article.text, article.title)
        return ExtractionResult.from_claims(claims, Usage(extractor="rules"))


def extract_claims(text: str, title: str | None = None) -> list[Claim]:
    page = layout(text, title)
    direct = find_direct(page)
    taken = [f.content for f in direct]
    reported = find_reported(page, taken, direct)
    taken += [f.content for f in reported] + [f.cue for f in direct + reported]
    according = find_according(page, taken)
    taken += [f.content for f in according]
    called = find_called(page, taken)
    asked = find_asked(page, taken + [f.content for f in called])
    colon = find_colon_quotes(page, taken)
    headlines = find_headline_statements(page)
    found = _dedupe(direct + reported + according + colon + called + asked + headlines)
    # A claim is attributed to someone: a question whose asker the text never names ("Asked whether …, X said")
    # is the reporter's, not a speaker's. (The asked construction still claims its span, so nothing else takes it.)
    found = [f for f in found if f.speaker is not None]
    found.sort(key=lambda f: f.content[0])
    claims = [_to_claim(page, f) for f in found]
    claims = _resolve_pronouns(page, found, claims)
    return unify_speakers(claims)


def _dedupe(found: list[Found]) -> list[Found]:
    """Keep the first claim (direct before reported before 'according to') where two contents overlap."""
    kept: list[Found] = []
    claimed: list[tuple[int, int]] = []  # kept contents, sorted by start (they never overlap)
    for f in found:
        s, e = f.content
        i = bisect.bisect_left(claimed, (s, s))
        if (i > 0 and claimed[i - 1][1] > s) or (i < len(claimed) and claimed[i][0] < e):
            continue
        claimed.insert(i, (s, e))
        kept.append(f)
    return kept


def _to_claim(page: Layout, f: Found) -> Claim:
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
        confidence=0.9 if f.kind in ("direct", "transcript") else 0.7,
        grounding="exact",
        extractor="rules",
    )


def _resolve_pronouns(page: Layout, found: list[Found], claims: list[Claim]) -> list[Claim]:
    """'he' / 'she' / 'they' / 'it' / 'who' -> the speaker they refer to: the nearest fitting speaker of an earlier
    claim, else the nearest name written before the mention."""
    text = page.text
    resolved: list[Claim] = []
    history: list[Speaker] = []
    for f, claim in zip(found, claims, strict=True):
        name = claim.speaker.name.lower()
        if f.speaker is not None and name in PRONOUNS:
            target = _antecedent(text, f.speaker[0], name, history)
            if target is not None:
                claim = claim.model_copy(update={"speaker": target})
        if claim.speaker.name.lower() not in PRONOUNS:
            history.append(claim.speaker)
        resolved.append(claim)
    return resolved


def _antecedent(text: str, position: int, pronoun: str, history: list[Speaker]) -> Speaker | None:
    if pronoun == "who":
        m = re.search(r"((?:[A-Z][\w’'\-.]*\s+)*[A-Z][\w’'\-.]*)\s*,?\s*$", text[max(0, position - 120) : position])
        if m:
            parsed = parse_mention(m.group(1), text)
            return Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
        return history[-1] if history else None
    wanted = {"he": ("person",), "she": ("person",), "i": ("person",), "it": ("organization", "other")}.get(
        pronoun, ("anonymous", "organization", "other", "person")
    )
    personal = pronoun in {"he", "she", "i"}
    # A name written since the last claim's speaker is a better antecedent than an older speaker.
    window_start = max(0, position - 400)
    single: Speaker | None = None  # the nearest one-word name, when nothing better turns up
    for parsed, words in _names_before(text, window_start, position, pronoun):
        if parsed.type not in wanted:
            continue
        known = next((s for s in reversed(history) if s.name.split()[-1] == parsed.name.split()[-1]), None)
        if known is not None:
            return known
        if personal and len(words) >= 2:
            return Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
        if pronoun == "it" and parsed.type == "organization":
            return Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
        if personal:
            single = Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
        break
    for speaker in reversed(history):
        if speaker.type in wanted:
            return speaker
    if personal:
        # No speaker yet: the nearest full name of a person written anywhere before, else the one-word name.
        for parsed, words in _names_before(text, 0, window_start, pronoun):
            if parsed.type == "person" and len(words) >= 2:
                return Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
    return single


def _names_before(text: str, start: int, end: int, pronoun: str) -> Iterator[tuple[ParsedMention, list[str]]]:
    """Capitalised names between `start` and `end`, nearest first, without sentence-initial words, places and
    their possessive "’s"."""
    pattern = _CAPITALISED_NAME if pronoun in {"he", "she", "i"} else _CAPITALISED_ANY
    for m in reversed(list(pattern.finditer(text, start, end))):
        mention = _POSSESSIVE_END.sub("", m.group())
        words = mention.split()
        if (
            not words
            or words[0] in _SENTENCE_INITIAL_NOISE
            or (_sentence_initial(text, m.start()) and len(words) == 1)
            or is_place(mention)
        ):
            continue
        yield parse_mention(mention, text), words


__all__ = ["RulesExtractor", "extract_claims"]
