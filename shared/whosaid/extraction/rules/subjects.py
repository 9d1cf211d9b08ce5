"""The speaker mention of a cue, as offsets: the subject before it ('Smith said'), after it ('said Smith'), or
the subject of its sentence ('He issued a statement, saying …').

Every finder that meets a cue asks this module who spoke; none of them decides it on its own.
"""

from __future__ import annotations

import re

from whosaid.extraction.lexicon import (
    AUXILIARIES,
    CAPITALISED_ARTICLES,
    CONNECTIVES,
    DETERMINERS,
    INVERTED_SPEAKER_ABBREVIATIONS,
    LEADING_ADVERBS,
    LEADING_WORDS,
    LONE_TITLES,
    NOT_NAME_STARTS,
    PREMODIFIERS,
    QUESTION_WORDS,
    ROLE_WORDS,
    STRONG_BOUNDARIES,
    SUBJECT_FINAL_NOT,
    SUBJECT_FINAL_NUMBERS,
    SUBJECT_PRONOUNS,
    one_of,
)
from whosaid.extraction.rules.cues import CUE_LEMMA
from whosaid.extraction.rules.grammar import (
    ABBREVIATION_DOT,
    DATELINE,
    NAME,
    QUOTE_CHARS,
    SECOND_PREDICATE,
    SUBJECT_REACH,
    bare,
)
from whosaid.extraction.spans import Span, words

_SUBJECT_FINAL_DETERMINERS = DETERMINERS - SUBJECT_FINAL_NUMBERS


_MARKUP = re.compile(r"[<>=@|#]|//|(?<!\w)/|/(?!\w)")


def _has_markup(text: str, start: int, end: int) -> bool:
    """Markup, handles and URLs are not speakers (a slash between words is: 'Reuters/Ipsos')."""
    return bool(_MARKUP.search(text, start, end))


# Prepositions open an adverbial, never a subject; relative words and adverbs stand in for none.
_NOT_SUBJECT_STARTS = frozenset(
    {"on", "in", "at", "for", "during", "since", "after", "before", "by", "from", "to", "of", "under", "over", "upon"}
)
_NOT_SUBJECTS = frozenset({"that", "what", "also", "then", "there", "here", "already"})


def good_subject(text: str, tokens: list[Span], max_tokens: int) -> bool:
    """Whether the tokens read as the subject of a speech verb: a name, a pronoun, a determined noun phrase or a
    short lowercase plural ('officials'); not a clause, an adverb or an unfinished phrase."""
    if not tokens or len(tokens) > max_tokens:
        return False
    first = text[tokens[0][0] : tokens[0][1]].lstrip(QUOTE_CHARS + "(")
    if not first:
        return False
    lowered = [bare(text[s:e]) for s, e in tokens]
    if _has_markup(text, tokens[0][0], tokens[-1][1]):
        return False
    if (
        any(w in AUXILIARIES for w in lowered)
        or any(w in STRONG_BOUNDARIES for w in lowered[1:])
        or lowered == ["when"]
    ):
        return False
    if lowered[-1] in _SUBJECT_FINAL_DETERMINERS or lowered[-1] in SUBJECT_FINAL_NOT:
        return False
    if (len(lowered) <= 3 and lowered[0] in _NOT_SUBJECT_STARTS) or (len(lowered) == 1 and lowered[0] in _NOT_SUBJECTS):
        return False  # "On Tuesday announced …", "In January …", "which has revealed …": no speaker
    if first[0].isupper() or first[0].isdigit() or lowered[0] in DETERMINERS or lowered[0] in SUBJECT_PRONOUNS:
        return True
    if len(lowered) == 1 and (lowered[0] in LEADING_ADVERBS or lowered[0] in QUESTION_WORDS):
        return False  # "… but now said": an adverb, not a subject
    if len(lowered) == 1 and lowered[0].endswith("ed"):
        return False  # "who did not want to be named said": a participle, not a subject
    # A short lowercase plural subject: "officials said", "aides to the governor told".
    return len(tokens) <= 6


# "Name (D-Mo.), a/the role …, said": the name, then an appositive of up to three comma-separated pieces.
_APPOSITIVE = re.compile(
    rf"(?:^|(?<=[.;:!?]\s)|(?<=,\s)|(?<=\b(?:and|but)\s)|(?<=\s))(?P<sp>{NAME}(?:\s+\([^()]{{1,20}}\))?),"
    rf"\s+[^,;:“”\"]{{2,150}}(?:,[^,;:“”\"]{{2,100}}){{0,2}},$"
)


# An auxiliary in what follows a name makes it a clause, unless a relative word opens it ('a spokesman who has …').
_APPOSITIVE_CLAUSE = re.compile(rf",(?:(?!\b(?:who|which|that|whose)\b)[^,])*?\b(?:{one_of(sorted(AUXILIARIES))})\b")


def speaker_before(text: str, start: int, cue_start: int) -> Span | None:
    """The subject that ends right before the cue, searched no further back than `start`."""
    start = max(start, cue_start - SUBJECT_REACH)  # bounds the work on run-on "sentences"
    end = cue_start
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    if text[end - 1] == ",":
        return _appositive_subject(text, start, end)
    if text[end - 1] in ',;:.!?”"':
        return None
    coordinated = re.search(r"\s(?:[a-z]+ed|[a-z]+s)\s+and$", text[start:end])
    if coordinated:
        # "he laughed and said": the subject of the first verb.
        end = start + coordinated.start()
    # The clause: from the last comma/semicolon/colon (or the sentence start) up to the cue.
    clause_start = start
    for m in re.finditer(r"[,;:—–]\s*|\s-\s", text[start:end]):
        clause_start = start + m.end()
    # "Danielle Weinschenk, the lead specialist at the depot said": an appositive whose closing comma is missing.
    named = _NAME_BEFORE_APPOSITIVE.search(text, start, clause_start)
    if named and _DETERMINED.match(text, clause_start, end):
        return named.start("sp"), end
    return _clause_subject(text, clause_start, end)


_NAME_BEFORE_APPOSITIVE = re.compile(rf"(?:^|(?<=[.;:!?”\"]\s)|(?<=\s))(?P<sp>{NAME}\s+{NAME}),\s*$")
_DETERMINED = re.compile(r"(?:the|a|an)\s+[^,;:“”\"]{2,120}$")


def _appositive_subject(text: str, start: int, end: int) -> Span | None:
    """A subject that ends with a comma before the cue: a name and its appositive, or a clause set off by two."""
    # "Brian Fallon, a spokesman for the campaign, said": the name and its appositive.
    for m in _APPOSITIVE.finditer(text, start, end):
        if _APPOSITIVE_CLAUSE.match(text, m.end("sp"), end):
            continue  # "Systemwide, the campuses could tolerate a cut, said …": a clause, not an appositive
        name = m.group("sp").split()
        if name[0] not in NOT_NAME_STARTS:
            return m.start("sp"), end
        # "But Jane Roe, the director, said": the name starts after the sentence's opening word.
        rest = re.match(r"\S+\s+(?=[A-Z])", m.group("sp"))
        if rest and len(name) > 2 and name[1] not in NOT_NAME_STARTS:
            return m.start("sp") + rest.end(), end
    # "Another pollster, David Woodard of Clemson University, said": the whole clause is the mention.
    segment_start = start
    for b in re.finditer(r"[;:]\s*", text[start:end]):
        segment_start = start + b.end()
    tokens = words(text, segment_start, end)
    if text[segment_start:end].count(",") == 2 and good_subject(text, tokens, 20):
        return tokens[0][0], end
    return None


def _is_word(text: str, token: Span) -> bool:
    return any(ch.isalnum() for ch in text[token[0] : token[1]])


def _clause_subject(text: str, clause_start: int, end: int) -> Span | None:
    """The subject of the clause `text[clause_start:end]`: the whole clause when it reads as one, else the words
    picked backwards from the cue."""
    tokens = words(text, clause_start, end)
    # A closing quote mark or a dash left over from the previous clause ('“Hannity,” Newt Gingrich said') is no word.
    while tokens and not _is_word(text, tokens[0]):
        tokens = tokens[1:]
    while len(tokens) > 1 and bare(text[tokens[0][0] : tokens[0][1]]) in LEADING_WORDS:
        tokens = tokens[1:]
    if good_subject(text, tokens, 30):
        return tokens[0][0], tokens[-1][1]
    return _backward_subject(text, [t for t in words(text, clause_start, end) if _is_word(text, t)])


_ADVERBIAL_OPENERS = frozenset(
    {"on", "in", "at", "for", "over", "during", "with", "by", "since", "after", "before", "already", "long", "recently"}
)


def _backward_subject(text: str, tokens: list[Span]) -> Span | None:
    """Words picked backwards from the cue: stop at a conjunction, a relative word, an auxiliary or a
    complementiser "that" (but 'Smith and Jones' stays one subject)."""
    picked: list[Span] = []
    for i in range(len(tokens) - 1, -1, -1):
        word = bare(text[tokens[i][0] : tokens[i][1]])
        if word in STRONG_BOUNDARIES or word in AUXILIARIES or word == "that" or (word == "and" and picked):
            if word == "and" and i > 0 and text[tokens[i - 1][0]].isupper() and picked and text[picked[0][0]].isupper():
                picked.insert(0, tokens[i])
                continue
            break
        picked.insert(0, tokens[i])
        if word in SUBJECT_PRONOUNS and len(picked) == 1:
            break
        if len(picked) >= 10:
            return None
    while picked and bare(text[picked[0][0] : picked[0][1]]) in LEADING_ADVERBS and len(picked) > 1:
        picked = picked[1:]
    before = len(tokens) - len(picked) - 1
    adverbial = bool(picked) and bare(text[picked[0][0] : picked[0][1]]) in _ADVERBIAL_OPENERS
    if adverbial and before > 0 and bare(text[tokens[before][0] : tokens[before][1]]) in AUXILIARIES:
        # "Trump has on multiple occasions falsely claimed": the subject stands before the auxiliary.
        return _backward_subject(text, tokens[:before])
    if good_subject(text, picked, 10):
        return picked[0][0], picked[-1][1]
    return None


# A subject opening its sentence, after a connective or a short opening adverbial: a pronoun, a name, or 'the' and
# a noun or two ('The spokesman', 'the Ohio senator').
_SUBJECT = re.compile(
    rf"^(?:(?:{one_of(CONNECTIVES)})\s+|(?:On|In|At|During)\s+[^,]{{1,40}},\s+)?"
    rf"(?P<sp>[Hh]e|[Ss]he|[Tt]hey|[Ii]t|[Ww]e|I|{NAME}|[Tt]he\s+[a-z]+(?:\s+[a-z]+)?)\s+(?=[a-z])"
)
# The first verb of a sentence ends its subject: a past form, an adverb or an auxiliary.
_VERB_LIKE = re.compile(rf"^(?:[a-z]+ed|also|then|later|still|again|never|[a-z]+ly|{one_of(sorted(AUXILIARIES))})$")
# An opening adverbial ("In May, ") before the subject.
_OPENER = re.compile(
    rf"(?:(?:{one_of(CONNECTIVES)})\s*,?\s+)?"
    r"(?:(?:On|In|At|During|After|Before|Since|Last|This|Earlier|Later|For|With|By|As|When|While|Asked|"
    r"[A-Z][a-z]+ing)\s+[^,]{1,80},\s+)?"
)


def sentence_subject(text: str, s_start: int, limit: int) -> Span | None:
    """The subject at the start of a sentence, for a participle cue later in it ('He issued a statement, saying …')."""
    m = _SUBJECT.match(text[s_start:limit])
    if m:
        sp = (s_start + m.start("sp"), s_start + m.end("sp"))
        first, *rest = text[sp[0] : sp[1]].split()
        if not (first in CAPITALISED_ARTICLES and not rest) and not (first in NOT_NAME_STARTS and not rest):
            return _with_described_name(text, sp, limit)
    # Otherwise the words before the first verb-like word ('A spokeswoman for Janney also declined …',
    # 'WASHINGTON — Sen. Jane Roe (D-Vt.) defended …').
    pos = s_start
    for opener in (DATELINE, _OPENER):
        o = opener.match(text, pos, limit)
        if o:
            pos = o.end()
    tokens = words(text, pos, min(limit, pos + 200))
    for i, (ts, te) in enumerate(tokens[:12]):
        word = text[ts:te]
        if i > 0 and (_VERB_LIKE.match(word) or word in CUE_LEMMA or SECOND_PREDICATE.fullmatch(word)):
            return _subject_before_verb(text, pos, tokens[:i])
    return None


# A descriptor and the name it describes after a first capitalised word: 'Truck driver Pat Jordan'.
_DESCRIBED_NAME = re.compile(rf"\s+(?P<words>(?:[a-z][\w’'-]*\s+){{1,3}})(?P<name>{NAME})(?=\s+[a-z])")
_NOT_DESCRIPTORS = AUXILIARIES | STRONG_BOUNDARIES | SUBJECT_FINAL_NOT | frozenset({"at", "by", "from", "on", "that"})


def _with_described_name(text: str, sp: Span, limit: int) -> Span:
    """A sentence subject that is a capitalised descriptor's first word ('Truck') runs on to its name."""
    m = _DESCRIBED_NAME.match(text, sp[1], limit)
    if m is None:
        return sp
    descriptors = m.group("words").split()
    if any(
        w in _NOT_DESCRIPTORS or w in CUE_LEMMA or w.endswith("ed") or SECOND_PREDICATE.fullmatch(w)
        for w in descriptors
    ):
        return sp
    return sp[0], m.end("name")


def _subject_before_verb(text: str, pos: int, picked: list[Span]) -> Span | None:
    """The words of a sentence before its first verb, when they read as its subject."""
    if "," in text[pos : picked[-1][1]] or not good_subject(text, picked, 10):
        return None
    if not (text[picked[0][0]].isupper() or bare(text[picked[0][0] : picked[0][1]]) in DETERMINERS):
        return None
    if len(picked) == 1 and text[picked[0][0] : picked[0][1]] in NOT_NAME_STARTS:
        return None  # "When asked …": an opening subordinator, not a subject
    return picked[0][0], picked[-1][1]


# 'said Gov. Jim Hodges in an interview' / '…, who …': the mention ends before the adverbial or relative clause.
_SPEAKER_AFTER_TAIL = re.compile(
    r"\s+(?:(?:in|on|at|during|via|to|after|before|from)\s+(?:an?|the|his|her|their|its|[A-Z])[^,.;:!?“”\"]{0,60}|"
    r"(?:who|whom|whose)\b[^.;:!?“”\"]{0,200})(?=\s*(?:[,.;:!?]|$))"
)
_INVERTED_ABBREVIATION = one_of(INVERTED_SPEAKER_ABBREVIATIONS)
_SPEAKER_AFTER = re.compile(
    rf"^\s+(?P<sp>(?:(?:{_INVERTED_ABBREVIATION})\.|[\w’'\-()&]+)"
    rf"(?:\s+(?:(?:{_INVERTED_ABBREVIATION})\.|[A-Z]\.|\([^()\s]{{1,12}}\)|[\w’'\-()&]+)){{0,7}}?)"
    rf"(?=(?:{_SPEAKER_AFTER_TAIL.pattern})?\s*(?:[,.;:!?]|$))"
)
# An appositive after an inverted speaker ("said John Kirby, a spokesman"), up to the speech clause's end: the
# paragraph's end or where the next quotation opens.
_APPOSITIVE_AFTER = re.compile(r"^,\s+(?:an?|the|who|his|her|their)\b(?:(?!'')[^“”\"])*?(?=[.;!?]?\s*(?:$|[“\"]|''))")
# A bare role after an inverted speaker ("said Tom John, chairman of …", "said Nils Kinuani, Federal Policy
# Manager at …"): up to its sentence's end.
_ROLE_AFTER = re.compile(
    rf"^,\s+(?=(?:[A-Z][\w’'-]*\s+){{0,3}}(?i:{one_of(sorted(ROLE_WORDS))})\b)"
    rf"(?:(?!'')(?:(?:{_INVERTED_ABBREVIATION}|[A-Z])\.\s|(?![.;!?]\s)[^“”\"]))*?(?=[.;!?]?\s*(?:$|[“\"]|'')|[.;!?]\s)"
)


_NAME_AFTER_ROLE = re.compile(rf",\s+(?P<name>{NAME})(?=\s*(?:[.,;:!?]|$))")


def speaker_after(text: str, pos: int, limit: int) -> Span | None:
    """Inverted order: 'said Smith' / 'said the spokesman, ...'."""
    limit = min(limit, pos + SUBJECT_REACH)
    m = _SPEAKER_AFTER.match(text[pos:limit])
    if not m:
        return None
    s, e = pos + m.start("sp"), pos + m.end("sp")
    tail = _SPEAKER_AFTER_TAIL.match(text, e, limit)
    if tail and any(bare(w) in AUXILIARIES for w in tail.group().split()[:8]) and not re.match(r"\s+who", tail.group()):
        return None  # "said Clinton’s response to Trump was undercut …": a clause, not a speaker
    if not _inverted_mention(text, s, e):
        return None
    # An appositive may follow ("said John Kirby, a spokesman"): keep it in the mention as the annotators do.
    appositive = _APPOSITIVE_AFTER.match(text[e:limit]) or _ROLE_AFTER.match(text[e:limit])
    if appositive:
        e += appositive.end()
    elif any(w[:1].islower() for w in text[s:e].split()[1:]):
        # "said UC’s top academic officer, Katherine Newman": the role first, then the name it belongs to.
        named = _NAME_AFTER_ROLE.match(text, e, limit)
        if named:
            e = named.end("name") - (
                1 if named.group("name").endswith(".") and len(named.group("name").split()[-1]) > 2 else 0
            )
    return s, e


def _inverted_mention(text: str, s: int, e: int) -> bool:
    """Whether text[s:e] after a cue names a speaker: not a clause, not a title cut off at its dot, no markup."""
    tokens = text[s:e].split()
    first = tokens[0]
    # "said former Gov. Jim Hodges": a lowercase premodifier may stand before a name.
    premodified = first.lower() in PREMODIFIERS and any(w[0].isupper() for w in tokens[1:])
    if not (first[0].isupper() or first.lower() in DETERMINERS or first.lower() in SUBJECT_PRONOUNS or premodified):
        return False
    if any(bare(w) in AUXILIARIES or bare(w) == "that" for w in tokens):
        return False
    if text[e : e + 1] == "." and ABBREVIATION_DOT.search(text, max(s, e - 4), e + 1):
        return False  # stopped at "Mr." / "Sen.": a sentence goes on, not a speaker
    return text[s:e].rstrip(".").lower() not in LONE_TITLES and not _has_markup(text, s, e)
