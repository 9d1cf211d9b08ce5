"""Coreference within one article: speaker mentions that name the same entity become one speaker.

Two steps, both after extraction. Pronoun resolution (rules only: it needs the text around each mention) turns
'he' / 'they' / 'who' into the speaker they refer to. Entity merging (`unify_speakers`, on claims from either
extractor) joins "Qassem", "the spokesman" and "Hamas spokesman Hazem Qassem" under the fullest name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whosaid.extraction.lexicon import (
    ARTICLES,
    COMMON_TITLES,
    HONORIFIC_TOKENS,
    PERSON_SUBJECT_PRONOUNS,
    PRONOUNS,
    SENTENCE_INITIAL_NOISE,
    one_of,
)
from whosaid.extraction.mentions import POSSESSIVE_END, ParsedMention, is_place, parse_mention
from whosaid.models import Claim, Speaker

# The antecedent of 'he' / 'she': a full name, or a title and a surname ('Sen. Roe').
_TITLE = rf"(?:{one_of(COMMON_TITLES)})\."
_CAPITALISED_NAME = re.compile(
    rf"(?:{_TITLE}\s+)?[A-Z][\w’'\-]+(?:\s+(?:[A-Z]\.\s+)?[A-Z][\w’'\-]+)+|{_TITLE}\s+[A-Z][\w’'\-]+"
)
_CAPITALISED_ANY = re.compile(r"[A-Z][\w’'\-]+(?:\s+[A-Z][\w’'\-]+)*")


def _sentence_initial(text: str, pos: int) -> bool:
    before = text[max(0, pos - 3) : pos]
    return pos == 0 or not before.strip() or before.rstrip()[-1:] in '.!?”"\n'


def resolve_pronouns(text: str, claims: list[Claim]) -> list[Claim]:
    """'he' / 'she' / 'they' / 'it' / 'who' -> the speaker they refer to: the nearest fitting speaker of an earlier
    claim, else the nearest name written before the mention. `claims` are in text order, with their speaker spans."""
    resolved: list[Claim] = []
    history: list[Speaker] = []
    for claim in claims:
        name = claim.speaker.name.lower()
        if claim.speaker_span is not None and name in PRONOUNS:
            target = _antecedent(text, claim.speaker_span[0], name, history)
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
    personal = pronoun in PERSON_SUBJECT_PRONOUNS
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
    pattern = _CAPITALISED_NAME if pronoun in PERSON_SUBJECT_PRONOUNS else _CAPITALISED_ANY
    for m in reversed(list(pattern.finditer(text, start, end))):
        mention = POSSESSIVE_END.sub("", m.group())
        words = mention.split()
        if (
            not words
            or words[0] in SENTENCE_INITIAL_NOISE
            or (_sentence_initial(text, m.start()) and len(words) == 1)
            or is_place(mention)
        ):
            continue
        yield parse_mention(mention, text), words


# --- entity merging ---------------------------------------------------------------------------------------
def _name_key(name: str) -> list[str]:
    return [t.strip(".,’'\"").lower() for t in name.split() if t.lower() not in HONORIFIC_TOKENS]


def _is_short_form(short: str, full: str) -> bool:
    """'Qassem' is a short form of 'Hazem Qassem'; 'the sources' of 'Palestinian sources'."""
    s, f = _name_key(short), _name_key(full)
    if not s or not f or s == f:
        return False
    if s[0] in ARTICLES and len(s) <= 3:
        # A definite description: its head noun ends the fuller name ("the delegation", "the sources").
        if s[-1] != f[-1]:
            return False
        return f[0] not in ARTICLES or len(f) > len(s)
    return len(s) < len(f) and f[-len(s) :] == s


def _joins(short: Speaker, other: Speaker) -> bool:
    """Whether mention `short` names the same entity as `other` under a fuller name (or by its role)."""
    if other.name.lower() in PRONOUNS:
        return False
    if _is_short_form(short.name, other.name):
        return True
    # "the spokesman" is the speaker whose role is spokesman.
    role_head = (other.role or "").lower().split()
    words = short.name.lower().split()
    return words[0] == "the" and bool(role_head) and words[-1] == role_head[-1]


def unify_speakers(claims: list[Claim]) -> list[Claim]:
    """Merge one article's speaker mentions into entities: fullest name wins, role and type kept.

    Works on claims from any extractor. Pronoun speakers are left as they are (their resolution needs the text);
    a definite description ("the sources", "the spokesman") or a bare surname joins the speaker it shortens,
    preferring the one named most recently before it, else the first named after it.
    """
    if not claims:
        return claims
    order = sorted(range(len(claims)), key=lambda i: claims[i].content_span[0])
    # Distinct mentions in order of first appearance (work grows with distinct names, not with claims).
    first: dict[str, Speaker] = {}
    for i in order:
        first.setdefault(claims[i].speaker.name.lower(), claims[i].speaker)
    keys = list(first)
    target: dict[str, str] = {}
    for pos, key in enumerate(keys):
        if key in PRONOUNS:
            continue
        candidates = list(reversed(keys[:pos])) + keys[pos + 1 :]
        match = next((other for other in candidates if _joins(first[key], first[other])), None)
        if match is not None:
            target[key] = match

    # Follow chains ("the spokesman" -> "Qassem" -> "Hazem Qassem"), guarding against cycles.
    def resolve(key: str) -> str:
        seen = {key}
        while key in target and target[key] not in seen:
            key = target[key]
            seen.add(key)
        return key

    # One entity per canonical name: its fullest name, the first role seen, the most specific type.
    entities: dict[str, Speaker] = {}
    for key in keys:
        canonical = resolve(key)
        base = entities.get(canonical, first[canonical])
        mention = first[key]
        entities[canonical] = Speaker(
            name=base.name,
            role=base.role or mention.role,
            type=base.type if base.type != "other" else mention.type,
        )
    return [c.model_copy(update={"speaker": entities[resolve(c.speaker.name.lower())]}) for c in claims]


__all__ = ["resolve_pronouns", "unify_speakers"]
