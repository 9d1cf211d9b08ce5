"""Where reported content starts and ends around its cue: after 'said (Tuesday) (that)', 'told reporters that',
'warned of'; before ', adding that …' (a participle starting a claim of its own), another speaker's clause or a
lone dash's afterthought; and fronted before its speaker ('which he called …', 'If it fails, he said, …').

The reported-speech stage and name-calling both cut their content with these.
"""

from __future__ import annotations

import re

from whosaid.extraction.lexicon import AFTERTHOUGHTS, NOT_PARTICIPLES, SUBJECT_PRONOUNS, WEEKDAYS, one_of
from whosaid.extraction.rules.cues import (
    ADDRESSEE_VERBS,
    CUE_LEMMA,
    CUE_RE,
    EXPRESS_RE,
    MARKED_ONLY,
    NOUN_LIKE,
    OBJECT_IN_CONTENT,
    PARTICIPLES,
    PREPOSITION_VERBS,
)
from whosaid.extraction.rules.grammar import SECOND_PREDICATE, TAIL_ONLY, TAIL_PUNCT, TAIL_THAT, TIME, is_passive
from whosaid.extraction.rules.subjects import speaker_before
from whosaid.extraction.spans import Span, in_quote_text, strip_leading, strip_trailing

# The addressee of 'told' / 'advised' before the content: 'told reporters that …', 'told him, …'.
_ADDRESSEE_THAT = re.compile(r"^\s+[^,.;:“”\"]{1,60}?\s+(?P<that>that)(?:\s*,\s*|\s+)")
_ADDRESSEE = re.compile(
    r"^\s+(?:him|her|them|me|us|you|reporters|journalists|supporters|voters|listeners|viewers|the\s+[\w’'-]+(?:\s+[\w’'-]+)?|"
    r"an?\s+[\w’'-]+(?:\s+[\w’'-]+)?|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)"
    rf"(?:\s+(?:{TIME}))?\s*(?:(?P<that>that)\s+|[,:]\s*|\s)"
)
# What 'asked' puts to someone: a question ('asked whether …', 'asked voters which …') or a request ('asked X to …').
_ASKED_WHAT = re.compile(
    r"\s+(?:about\b|(?:[\w’'.-]+\s+){0,4}?(?:(?P<wh>whether|if|why|how|what|who|which|where|when)|to)\b)"
)
_LEADING_TIME = re.compile(
    rf"\s+(?:(?:on\s+)?(?:{one_of(WEEKDAYS)})(?:\s+(?:night|morning|afternoon|evening))?|today|yesterday|tonight|"
    r"recently|repeatedly|again|publicly|privately|flatly|however|also|(?:last|this)\s+(?:week|month|year|night|"
    r"weekend))(?:\s*,)?(?=\s+(?:he|she|they|it|we|I|you|the|a|an|his|her|their|its|there|to|how|why|what|whether|"
    r"[A-Z“\"]))"
)
_PREPOSITION = re.compile(r"\s+(?:about|of|on|over|against)\b")


def _content_offset(m: re.Match[str]) -> int:
    """Reported content starts at its complementiser 'that' when there is one (as annotated), else after the tail."""
    if "that" in m.re.groupindex and m.group("that") is not None:
        return m.start("that")
    return m.end()


def _first_word_at(rest: str, offset: int) -> int:
    """The offset of the first non-space character at or after `offset` (len(rest) when there is none)."""
    return len(rest) - len(rest[offset:].lstrip())


def content_start_after_cue(text: str, lemma: str, cue_end: int, limit: int) -> int | None:
    """Where the content of a cue starts after it, or None when what follows the cue is no content."""
    rest = text[cue_end:limit]
    if not rest.strip(" .!?,;:"):
        return None
    m = TAIL_THAT.match(rest) or TAIL_PUNCT.match(rest)
    if m:
        return cue_end + _content_offset(m)
    asked = _ASKED_WHAT.match(rest) if lemma == "ask" else None
    if lemma == "ask" and asked is None:
        return None  # "asked him a question", "asked for directions" name no question or request
    if asked is not None and asked.group("wh"):
        return cue_end + asked.start("wh")  # "asked Trump how he would pay": the question, not who was asked
    if lemma in ADDRESSEE_VERBS and lemma not in OBJECT_IN_CONTENT:
        m = _ADDRESSEE_THAT.match(rest) or _ADDRESSEE.match(rest)
        if m:
            return cue_end + _content_offset(m)
        return None
    if lemma in PREPOSITION_VERBS:
        prep = _PREPOSITION.match(rest)
        if prep and rest[prep.end() :].strip(" .!?,;:"):
            return cue_end + _first_word_at(rest, prep.end())
    if TAIL_ONLY.match(rest) or lemma in MARKED_ONLY:
        return None
    if re.match(r"\s+by\b", rest):
        return None  # "described by …": a passive participle, not a speech act
    if rest[:1].isspace():
        # "said Tuesday he …" / "vowed last month to run" / "warned about a crash": the time and the preposition
        # belong to the cue.
        lead = _LEADING_TIME.match(rest)
        offset = lead.end() if lead else 0
        if lemma in PREPOSITION_VERBS:
            prep = _PREPOSITION.match(rest, offset)
            offset = prep.end() if prep else offset
        return cue_end + _first_word_at(rest, offset)
    return None


# "was passed and signed": a participle coordinated inside a passive is still part of the content.
_BE_BEFORE = re.compile(
    r"\b(?:is|was|were|are|be|been|being|has|have|had|get|got|gets)\s+(?:\w+ly\s+)?\w+(?:ed|en|wn)$"
)
# A comma (or a semicolon, which joins clauses as a comma does: 'A; 26 percent say B'), a closing quote mark, a
# conjunction, then the next word: where content may be cut.
_CUT_POINT = re.compile(
    r"(?P<comma>[,;](?:[”\"’]|'')?)?\s+(?:(?P<conj>and|but|while|whereas|before|after)\s+)?(?=(\w+))"
)


def cut_participle(text: str, start: int, end: int) -> tuple[int, re.Match[str] | None]:
    """Content ends before ', adding that …' / ', denying …' (the participle starts a claim of its own), before
    another trailing participle clause (', putting them at odds …') and before a lone dash's afterthought.
    Returns the end and, when a claim of the same speaker starts there, its cue."""
    later_cues = [c for c in CUE_RE.finditer(text, start, end) if c.group("verb") not in PARTICIPLES]
    for m in _CUT_POINT.finditer(text[start:end]):
        comma = m.group("comma") or ""
        # A comma inside a closing quotation ('a “blowhard,” and said') cuts after the quotation mark.
        cut = start + m.start() + (len(comma) if len(comma) > 1 else 0)
        if (not comma and m.group("conj") not in {"and", "but", "while", "whereas"}) or (
            in_quote_text(text, start, cut)
        ):
            continue
        found = _cut_at(text, start, end, m, cut, later_cues)
        if found is not None:
            return found
    dashes = [m for m in re.finditer(r"\s(?:—|--|–)\s?|—", text[start:end])]
    if len(dashes) == 1 and not in_quote_text(text, start, start + dashes[0].start()):
        return start + dashes[0].start(), None
    return end, None


def _cut_at(
    text: str, start: int, end: int, m: re.Match[str], cut: int, later_cues: list[re.Match[str]]
) -> tuple[int, re.Match[str] | None] | None:
    """Whether content starting at `start` ends at the cut point `m` (offset `cut`), and the cue of the claim that
    follows there when it is the same speaker's; None to read on."""
    conj = m.group("conj")
    cue = CUE_RE.match(text, start + m.end(), end) or EXPRESS_RE.match(text, start + m.end(), end)
    if cue and (cue.group("verb") in PARTICIPLES or cue.group("verb") == "expressing"):
        return cut, cue
    if (
        cue
        and conj in {"and", "but"}
        and cue.group("verb") not in NOUN_LIKE
        and cue.start() == start + m.end()
        and content_start_after_cue(text, CUE_LEMMA.get(cue.group("verb"), ""), cue.end(), end) is not None
    ):
        # "… that A, and said that B": a second claim of the same speaker.
        return cut, cue
    if (
        conj in {"and", "but"}
        and SECOND_PREDICATE.match(text, start + m.end(), end)
        and not _BE_BEFORE.search(text, max(start, cut - 30), cut)
    ):
        # "pledged to be X and cast doubt on Y" / "insists X, and has championed Y": the subject's next act.
        return cut, None
    if (
        later_cues
        and (conj != "and" or m.group("comma") or _and_joins_clauses(text, start, cut, start + m.end()))
        and _next_speech_clause(text, start + m.end(), end, later_cues)
    ):
        # "… that A, but Smith said B" / "… A, while others say B" / "… A and 60 percent said B": another
        # speaker's claim begins.
        return cut, None
    if not m.group("comma"):
        return None
    if conj in {"while", "whereas"} or m.group(3) in {"although", "though", "despite", "compared", "unlike"}:
        return cut, None
    word = m.group(3)
    if word.endswith("ing") and word not in NOT_PARTICIPLES:
        return cut, None
    if word in AFTERTHOUGHTS and m.start() > 20:
        return cut, None
    return None


_RELATIVE = re.compile(r"\b(?:who|whom|that|which)\b")


def _and_joins_clauses(text: str, start: int, cut: int, pos: int) -> bool:
    """Whether a bare 'and' (no comma) may join two clauses rather than two nouns: not between names ('Congress and
    President Obama agreed', 'Paris and Brussels make': one subject) and not before a relative clause ('delegates and
    superdelegates who had pledged': one object)."""
    before = text[max(start, cut - 40) : cut].split()
    if not before or before[-1][:1].isupper() or before[-1].lower() in SUBJECT_PRONOUNS:
        return False  # 'both he and Rubio promised': a pronoun coordinated with a name is one subject too
    verb = CUE_RE.search(text, pos, min(len(text), pos + 80))
    return not _RELATIVE.search(text, pos, verb.start() if verb else pos)


def _next_speech_clause(text: str, pos: int, end: int, cues: list[re.Match[str]]) -> bool:
    """Whether a clause with its own subject and speech verb, then content, starts at `pos` ('Smith said B')."""
    cue = next((c for c in cues if pos < c.start() <= pos + 80), None)
    if cue is None or cue.group("verb") in NOUN_LIKE:
        return False
    between = text[pos : cue.start()]
    # A subject runs to nine words ('27 percent of those who named a candidate said B'), without punctuation.
    if re.search(r"[,;:“”\"(]|''", between) or len(between.split()) > 9 or is_passive(text, cue.start()):
        return False
    sp = speaker_before(text, pos, cue.start())
    if sp is None or text[pos : sp[0]].strip():
        return False
    return bool(re.match(r"\s+(?:that\b|[a-z“\"]|[A-Z]\w*\s+[a-z])", text[cue.end() : end]))


def participle_content(text: str, participle: re.Match[str], limit: int) -> tuple[Span, str] | None:
    """The content of a participle cue ('…, adding that B'), and its lemma; None when too short to be a claim."""
    p_start = participle.end()
    p_lemma = "express" if participle.re is EXPRESS_RE else CUE_LEMMA[participle.group("verb")]
    if p_lemma in ADDRESSEE_VERBS and p_lemma not in OBJECT_IN_CONTENT:
        start = content_start_after_cue(text, p_lemma, p_start, limit)
    else:
        t = TAIL_THAT.match(text[p_start:limit]) or TAIL_PUNCT.match(text[p_start:limit])
        start = p_start + _content_offset(t) if t else strip_leading(text, p_start, limit)
    if start is None or start >= limit:
        return None
    end, _ = cut_participle(text, start, limit)
    end = strip_trailing(text, start, end)
    return ((start, end), p_lemma) if end - start >= 8 else None


_RELATIVE_BEFORE = re.compile(r"\b(?P<rel>which|what|that|whom)\s+$")
_FINITE_NEXT = re.compile(
    r"(?:could|would|will|was|were|is|are|has|have|had|should|may|might|can|must|did|does|do|[a-z]+ed|[a-z]+s)\b"
)
# A fronted condition is part of what is said ('If it fails, he said, …'); a concession ('While X, he said Y',
# 'Although …') is the reporter's contrast, as a comma then 'while' / 'although' is after the content.
_CONDITION_OPENER = re.compile(r"(?:If|Unless|Even\s+if|Whether)\b")


def fronted_start(text: str, lead: int, sp: Span, content_start: int) -> int:
    """Where reported content starts when part of it stands before its speaker: 'which he called a disaster',
    'what the aides said was a mistake', 'If it fails, he said, …' / 'If it fails, he said it would …'."""
    if text[content_start : content_start + 4] == "that":
        return content_start
    before = text[max(lead, sp[0] - 8) : sp[0]]
    rel = _RELATIVE_BEFORE.search(before)
    if (
        rel
        and len(text[sp[0] : sp[1]].split()) <= 5
        and (rel.group("rel") != "that" or _FINITE_NEXT.match(text, content_start))
    ):
        return sp[0] - len(before) + rel.start()
    if (
        _CONDITION_OPENER.match(text, lead)
        and re.search(r",\s*$", text[lead : sp[0]])
        and not CUE_RE.search(text, lead, sp[0] - 1)
    ):
        return lead
    return content_start
