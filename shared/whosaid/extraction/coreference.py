"""Coreference within one article: speaker mentions that name the same entity become one speaker.

Two steps, both after extraction. Mention resolution (rules only: it needs the text and its names) turns 'he' /
'they' / 'who', a lone surname and a definite description ('the automaker') into the entity they refer to. Entity
merging (`unify_speakers`, on claims from either extractor) joins "Qassem", "the spokesman" and "Hamas spokesman
Hazem Qassem" under the fullest name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from whosaid.extraction.lexicon import (
    ARTICLES,
    DOCUMENT_WORDS,
    GENERIC_ORG_NOUNS,
    HONORIFIC_TOKENS,
    ORG_WORDS,
    PERSON_SUBJECT_PRONOUNS,
    PRONOUNS,
    REPRESENTATIVES,
)
from whosaid.extraction.mentions import is_name_token, parse_mention
from whosaid.extraction.names import NameIndex, NameMention
from whosaid.models import Claim, Speaker

# How far back a pronoun's antecedent is looked for among the names written before it (characters).
_PERSON_REACH = 1500
_GROUP_REACH = 700
# An author's name before or after a document's kind: capitalised words, 'of' and 'for' between them.
_AUTHOR_NAME = r"[A-Z][\w’'&.-]*(?:[ \t]+(?:(?:of|for|the|and)[ \t]+)?[A-Z][\w’'&.-]*){0,6}"
_AUTHOR_REACH = 3000
REPRESENTATIVES_OF = REPRESENTATIVES | {"leaders", "leadership"}
# Descriptions that stand for the speaker of the claim before them ('In a statement, X said … The statement added').
_UTTERANCES = frozenset({"statement", "release", "post", "announcement", "tweet", "email", "letter"})


@dataclass(frozen=True)
class _Said:
    """A speaker of an earlier claim, and where its mention stood."""

    position: int
    speaker: Speaker


def resolve_mentions(text: str, claims: list[Claim], names: NameIndex) -> list[Claim]:
    """Each claim's speaker mention resolved to the entity it refers to, in text order: a pronoun to its
    antecedent, a lone surname or given name to the fuller name written in the article ('Kahlia' -> 'Kipp Kahlia'),
    a definite description to the entity named before ('the automaker' -> 'Northwind Motors')."""
    resolved: list[Claim] = []
    history: list[_Said] = []
    for claim in claims:
        position = claim.speaker_span[0] if claim.speaker_span else claim.content_span[0]
        target = _referent(text, position, claim.speaker, names, history)
        if target is not None:
            claim = claim.model_copy(update={"speaker": target})
        if claim.speaker.name.lower() not in PRONOUNS:
            history.append(_Said(position, claim.speaker))
        resolved.append(claim)
    return resolved


def _referent(text: str, position: int, speaker: Speaker, names: NameIndex, history: list[_Said]) -> Speaker | None:
    key = speaker.name.lower()
    if key in PRONOUNS:
        return _antecedent(text, position, key, names, history)
    if key == "which":
        return _relative_antecedent(text, position)
    words = speaker.name.split()
    if len(words) == 1 and len(words[0]) > 2 and words[0].isupper():
        expanded = names.expansion(words[0], position)
        if expanded is not None:
            return Speaker(name=expanded.name, type="organization", role=speaker.role)
    if len(words) == 1 and is_name_token(words[0]) and speaker.type in ("person", "organization", "other"):
        fuller = names.full_name(words[0], position)
        if fuller is not None and fuller.kind in ("person", "organization"):
            return Speaker(name=fuller.name, type=fuller.kind, role=speaker.role or fuller.role)
    if words and words[0].lower() == "the" and len(words) <= 4 and not any(is_name_token(w) for w in words[1:]):
        found = _described(words[-1], position, names, history)
        if found is None and speaker.type == "organization" and speaker.role in REPRESENTATIVES_OF:
            # "program officials" of no program named before: anonymous officials, not an organization.
            return Speaker(name=f"{words[-1]} {speaker.role}", type="anonymous")
        return found
    if speaker.type == "document" and speaker.role is None:
        return _authored(speaker, position, names)
    if speaker.type == "document" and speaker.role and " " not in speaker.role and is_name_token(speaker.role):
        # "Humboldt’s letter": its author is an entity too, under the fuller name given before ("Humboldt County").
        fuller = names.full_name(speaker.role, position)
        if fuller is not None:
            return Speaker(name=speaker.name, type="document", role=fuller.name)
    return None


def _antecedent(text: str, position: int, pronoun: str, names: NameIndex, history: list[_Said]) -> Speaker | None:
    if pronoun == "who":
        m = re.search(r"((?:[A-Z][\w’'\-.]*\s+)*[A-Z][\w’'\-.]*)\s*,?\s*$", text[max(0, position - 120) : position])
        if m:
            parsed = parse_mention(m.group(1), text)
            return Speaker(name=parsed.name, type=parsed.type, role=parsed.role)
        return history[-1].speaker if history else None
    if pronoun in PERSON_SUBJECT_PRONOUNS:
        return _person(position, pronoun, names, history)
    # 'it' and 'they' name an organization or a group: never a place, a document or a headline.
    wanted = ("organization",) if pronoun == "it" else ("anonymous", "organization")
    return _group(position, wanted, names, history)


# The phrase a relative 'which' stands for: the words before its comma, back to the clause's start.
_BEFORE_WHICH = re.compile(r"(?:^|[.;:!?”\"]\s+|,\s+|\b(?:and|but)\s+)(?P<np>(?:[^\s,;:]+\s+){0,7}?[^\s,;:]+),\s*$")


def _relative_antecedent(text: str, position: int) -> Speaker | None:
    """'the Associated Press report, which notes …': the report notes it."""
    m = _BEFORE_WHICH.search(text, max(0, position - 160), position)
    if m is None:
        return None
    parsed = parse_mention(m.group("np"), text)
    if parsed.name.lower() in PRONOUNS or parsed.type == "other":
        return None
    return Speaker(name=parsed.name, type=parsed.type, role=parsed.role)


def _person(position: int, pronoun: str, names: NameIndex, history: list[_Said]) -> Speaker | None:
    """'he' / 'she' / 'I': the nearest person named before, shown to be a person (a speaker already, a title or
    descriptor, an appositive); failing that the nearest full name opening its sentence, then the nearest full
    name, then the last person who spoke. Never a place, a thing named with 'the', a headline or a document, and
    never a person the article refers to with the other pronoun ('she' is not the man called 'he' nearby)."""
    start = max(0, position - _PERSON_REACH)
    unfit = {"he": "f", "she": "m"}.get(pronoun)
    wanted = {"he": "m", "she": "f"}.get(pronoun)

    def fits(name: str) -> bool:
        return unfit is None or names.gender(name) != unfit

    spoken = [s for s in history if s.speaker.type == "person" and s.position >= start and fits(s.speaker.name)]
    subject: Speaker | None = None  # the nearest full name opening its sentence
    nearest: Speaker | None = None  # the nearest full name at all
    for mention in names.before(position, start):
        if spoken and spoken[-1].position >= mention.span[0]:
            return spoken[-1].speaker
        if mention.kind == "other" and len(mention.words) == 1:
            # A surname alone ('Fullmer coached the team') is how a person named before is referred to.
            fuller = names.full_name(mention.name, mention.span[1])
            if fuller is None or fuller.kind != "person" or fuller.span[0] >= mention.span[0]:
                continue
            if fits(fuller.name):
                known = next((s.speaker for s in reversed(history) if _same_person(s.speaker, fuller)), None)
                return known or Speaker(name=fuller.name, type="person", role=fuller.role)
            continue
        if mention.kind != "person" or not fits(mention.name):
            continue
        known = next((s.speaker for s in reversed(history) if _same_person(s.speaker, mention)), None)
        if known is not None:
            return known
        if mention.described or mention.span[0] < position - _PERSON_REACH:
            return Speaker(name=mention.name, type="person", role=mention.role)
        if len(mention.words) >= 2:
            if subject is None and names.opens_sentence(mention):
                subject = Speaker(name=mention.name, type="person", role=mention.role)
            if wanted is None or names.gender(mention.name) == wanted:
                # With no other sign of a person, the pronoun's own gender must be the name's.
                nearest = nearest or Speaker(name=mention.name, type="person", role=mention.role)
    if spoken:
        return spoken[-1].speaker
    earlier = (s.speaker for s in reversed(history) if s.speaker.type == "person" and fits(s.speaker.name))
    return subject or nearest or next(earlier, None)


def _same_person(speaker: Speaker, mention: NameMention) -> bool:
    return speaker.type == "person" and speaker.name.split()[-1] == mention.words[-1]


def _group(position: int, wanted: tuple[str, ...], names: NameIndex, history: list[_Said]) -> Speaker | None:
    """'it' / 'they' / 'we': the nearest organization or group named or speaking before (never a place)."""
    start = max(0, position - _GROUP_REACH)
    said = next((s for s in reversed(history) if s.speaker.type in wanted), None)
    for mention in names.before(position, start):
        if said is not None and said.position >= mention.span[0]:
            break
        if names.kind_of(mention) in wanted:
            known = next((s.speaker for s in reversed(history) if s.speaker.name == mention.name), None)
            return known or Speaker(name=mention.name, type=names.kind_of(mention), role=mention.role)
    return said.speaker if said is not None else None


def _authored(document: Speaker, position: int, names: NameIndex) -> Speaker | None:
    """A document without an author ('the report found') and the author the article gave it before ('a report by
    the Economic Roundtable', 'the Economic Roundtable’s report'), the nearest such."""
    noun = re.escape(document.name.split()[-1].lower())
    window = names.text[max(0, position - _AUTHOR_REACH) : position]
    if noun not in window.lower():
        return None
    # 'the Economic Roundtable’s new report', 'the Economic Roundtable report', 'a report by the Roundtable'.
    before = rf"(?P<pre>{_AUTHOR_NAME})(?:(?:’s|'s)\s+(?:[a-z][\w-]*\s+){{0,2}}|\s+)(?i:{noun})\b"
    after = rf"\b(?i:{noun})\s+(?:\w+\s+)?(?:by|from)\s+(?:the\s+)?(?P<post>{_AUTHOR_NAME})"
    # 'the Economic Roundtable, the nonprofit the city hired, submitted its report'.
    own = (
        rf"(?P<own>{_AUTHOR_NAME})(?:,[^,.;]{{1,120}},)?\s+(?:[a-z]+\s+){{1,3}}(?:its|their)\s+"
        rf"(?:[a-z][\w-]*\s+){{0,2}}(?i:{noun})\b"
    )
    found = list(re.finditer(f"{before}|{after}|{own}", window))
    if not found:
        return None
    author = found[-1].group("pre") or found[-1].group("post") or found[-1].group("own")
    return Speaker(name=document.name, type="document", role=author)


def _by_role(noun: str, history: list[_Said]) -> Speaker | None:
    """'the judge', 'the researcher': the person last speaking whose role says so ('U.S. District Judge', 'the
    Crime Research Group’s statistical director'), matched on the noun's stem."""
    stem = re.sub(r"(?:ers?|ors?|ists?|ians?|s)$", "", noun) if len(noun) > 6 else noun
    if len(stem) < 4:
        return None
    for said in reversed(history):
        role = (said.speaker.role or "").lower()
        if said.speaker.type == "person" and re.search(rf"\b{re.escape(stem)}", role):
            return said.speaker
    return None


def _described(noun: str, position: int, names: NameIndex, history: list[_Said]) -> Speaker | None:
    """'the automaker', 'the ministry', 'the statement', 'the report': the entity named before that it describes.
    A description names nobody on its own, so one that fits no earlier entity stays as written."""
    noun = noun.lower()
    if noun in _UTTERANCES:
        # "The statement said …": whoever issued the statement, the speaker just before it.
        return history[-1].speaker if history and history[-1].speaker.type != "anonymous" else None
    if noun in DOCUMENT_WORDS:
        earlier = next((s.speaker for s in reversed(history) if s.speaker.type == "document"), None)
        return earlier or _authored(Speaker(name=noun, type="document"), position, names)
    if noun not in ORG_WORDS and noun not in GENERIC_ORG_NOUNS:
        return _by_role(noun, history)
    # An organization whose name holds the noun ('the ministry' -> 'Ministry of Health'), the latest first.
    for said in reversed(history):
        if said.speaker.type == "organization" and noun in said.speaker.name.lower().split():
            return said.speaker
    for mention in names.before(position):
        if names.kind_of(mention) == "organization" and noun in mention.name.lower().split():
            return Speaker(name=mention.name, type="organization", role=mention.role)
    if noun not in GENERIC_ORG_NOUNS:
        return None
    # 'the company', 'the automaker': the organization last speaking, else the last one named.
    speaking = next((s.speaker for s in reversed(history) if s.speaker.type == "organization"), None)
    if speaking is not None:
        return speaking
    named = next((m for m in names.before(position) if names.kind_of(m) == "organization"), None)
    return Speaker(name=named.name, type="organization", role=named.role) if named else None


# --- entity merging ---------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _name_key(name: str) -> tuple[str, ...]:
    """A name's words as compared: lowercase, without punctuation around them or honorifics (cached: merging
    compares every pair of an article's names)."""
    return tuple(t.strip(".,’'\"").lower() for t in name.split() if t.lower() not in HONORIFIC_TOKENS)


@lru_cache(maxsize=8192)
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
    if not other.role or not short.name.lower().startswith("the "):
        return False
    return short.name.lower().rsplit(None, 1)[-1] == other.role.lower().rsplit(None, 1)[-1]


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


__all__ = ["resolve_mentions", "unify_speakers"]
