"""The clause grammar every finder shares: names, time adverbials after a cue, passives, abbreviation dots,
datelines and the connectives that open reported content.

No finder lives here: these are the pieces the stages (`direct`, `reported`, `according`, `constructions`,
`headlines`) and the subject search (`subjects`) would otherwise each write again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from whosaid.extraction.lexicon import (
    IRREGULAR_PAST,
    NAME_ABBREVIATIONS,
    NAME_PARTICLES,
    NOT_PAST,
    NOT_SPEAKERS,
    TITLES,
    WEEKDAYS,
    one_of,
)
from whosaid.extraction.spans import strip_leading

# How far before a cue a subject (or a speech clause) is looked for: bounds the work on run-on "sentences".
SUBJECT_REACH = 300

QUOTE_CHARS = "“”\"'‘’"


def bare(token: str) -> str:
    """A token as a lowercase word, without quote marks and punctuation around it."""
    return token.strip(QUOTE_CHARS + ",.;:()[]").lower()


# A name as written: an optional title, capitalised words, particles ('bin', 'von') between them.
# 'of' and 'for' join an organization's name when a capitalised word follows ('Department of the Interior').
NAME = (
    rf"(?:(?:{one_of(TITLES)})\.\s+)?[A-Z][\w’'\-.]*"
    rf"(?:\s+(?:[A-Z][\w’'\-.]*|{one_of(NAME_PARTICLES)}|(?:of|for)(?:\s+the)?(?=\s+[A-Z])))*"
)


def is_label(words: Iterable[str]) -> bool:
    """'Update:', 'Photo:', 'Fact check:': a label before a colon names nobody."""
    return any(w.lower().strip(".’'") in NOT_SPEAKERS for w in words)


# What may stand between a cue and its content: 'said Tuesday', 'told reporters in Ohio', 'said of the plan'.
TIME = (
    rf"(?:(?:{one_of(WEEKDAYS)}|today|yesterday)(?:\s+(?:night|morning|afternoon|evening))?|"
    r"tonight|recently|earlier|later|"
    r"last\s+\w+|this\s+\w+|on\s+\w+|in\s+(?:a|an|the|his|her|their|its)\b[^,.;:“”\"]{0,50}?|at\s+(?:a|an|the)\b[^,.;:“”\"]{0,50}?|"
    r"during\s+[^,.;:“”\"]{0,50}?|via\s+\w+|on\s+(?:Twitter|Facebook|Fox|CNN|MSNBC|NBC|ABC|CBS)[^,.;:“”\"]{0,30}?|"
    r"to\s+(?:reporters|journalists|supporters|the\s+\w+|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)|"
    r"(?:of|about)\s+[^,.;:“”\"]{0,40}?|(?:publicly|privately|repeatedly|flatly|again|simply|bluntly|firmly)|"
    r"(?:\w+\s+)?(?:ago|before|afterward|afterwards))"
)
# After the cue: '… said Tuesday that …', '… said, …', and a cue that ends its sentence ('…, he said Tuesday.').
TAIL_THAT = re.compile(
    rf"^\s*(?:(?:{TIME}\s*,?\s*){{1,3}}|(?:in|on|at|during|to|with|from|after|before|via|through|over|while|"
    rf"when|last|this|earlier|later|again)\b[^,.;:“”\"]{{0,60}}?)?\s*(?P<that>that)(?:\s*,\s*|\s+)"
)
TAIL_PUNCT = re.compile(rf"^\s*(?:{TIME}\s*){{0,3}}\s*[,:]\s*")
TAIL_ONLY = re.compile(rf"^\s*(?:{TIME}\s*,?\s*){{0,3}}\s*[.!?]?\s*$")

_PASSIVE_BEFORE = re.compile(r"\b(?:is|was|were|are|be|been|being|it's|it’s)\s+(?:\w+ly\s+)?$", re.I)


def is_passive(text: str, cue_start: int) -> bool:
    """'was reported', 'is widely believed': a passive cue names no speaker."""
    return bool(_PASSIVE_BEFORE.search(text[max(0, cue_start - 25) : cue_start]))


# An abbreviation's dot ('Sen.', 'J.'): no sentence end and no end of a mention.
ABBREVIATION_DOT = re.compile(rf"\b(?:{one_of(NAME_ABBREVIATIONS)}|[A-Z])\.")


def mask_dot(m: re.Match[str]) -> str:
    """'Sen.' -> 'Senx': an abbreviation's dot hidden, offsets kept."""
    return m.group()[:-1] + "x"


# A dateline ("WASHINGTON — ", "LONDON (Reuters) - ") before the subject.
DATELINE = re.compile(r"[A-Z][A-Z .,’'-]{2,40}(?:\s*\([^()]{1,30}\))?\s*(?:—|–|--|-)\s*")


def skip_dateline(text: str, start: int, end: int) -> int:
    """'WASHINGTON (Reuters) - The plan …' -> 'The plan …': a dateline is the publisher's, not what was said."""
    m = DATELINE.match(text, start, end)
    return m.end() if m and m.end() < end else start


# A sentence adverbial set off by a comma ('In fact, …', 'However, …') is the reporter's prose, not what was said;
# a bare conjunction ('But the plan …') stays, as the development set annotates it more often than not.
_CONJUNCTION_LEAD = re.compile(
    r"(?:(?:However|In fact|What[’']s more|Indeed|Moreover|Meanwhile|Instead|"
    r"Still|Plus|Also|Now|Then|Nonetheless|Nevertheless|Furthermore|Besides|In addition|In all|Overall)\s*,\s+)"
)


def content_lead(text: str, start: int, end: int) -> int:
    """Where content fronted before its attribution starts: past the clause punctuation, a dateline and an opening
    sentence adverbial ('In fact, according to X, …' / 'WASHINGTON — Nevertheless, the plan …, he said')."""
    lead = skip_dateline(text, strip_leading(text, start, end), end)
    conj = _CONJUNCTION_LEAD.match(text, lead, end)
    return conj.end() if conj else lead


# A second verb of the same subject after "and" / "but": a past form ("cast", "argued", "has championed").
SECOND_PREDICATE = re.compile(
    r"(?:(?:has|have|had)\s+)?(?:(?:also|then|later|even|still|quickly|now)\s+)?"
    rf"(?:(?!(?:{one_of(NOT_PAST)})\b)[a-z]{{3,}}ed|{one_of(IRREGULAR_PAST)})\b"
)
