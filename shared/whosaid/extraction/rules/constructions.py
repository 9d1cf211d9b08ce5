"""Stages 4 to 6, attribution constructions outside the plain 'X said (that) Y' mould.

- 4, a quotation introduced by a name and a colon: 'Pollster Jane Roe: “Turnout will decide it.”';
- 5, name-calling: 'Smith called the plan "a disaster"', 'called him a liar', 'what Smith called "a mess"';
- 6, questions put to a speaker: 'Asked whether she would run, Smith said …', 'when asked if …', 'Smith asked
  whether …'.

Each finder returns `ClaimSpans` records (offsets only) for text outside the spans already taken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from whosaid.extraction.lexicon import OBJECT_PRONOUNS, PARTICLES_AFTER_PRONOUN, REFLEXIVE_PRONOUNS, one_of
from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.content import cut_participle
from whosaid.extraction.rules.cues import CUE_RE, PARTICIPLES
from whosaid.extraction.rules.grammar import NAME, is_label, is_passive
from whosaid.extraction.rules.subjects import sentence_subject, speaker_before
from whosaid.extraction.rules.text import Layout, Quote
from whosaid.extraction.spans import Span, TakenChars, in_quote_text, strip_trailing

_QUOTED = re.compile(r"[“\"]|''")
# "called" with what may precede it as part of the verb group ("has also called", "repeatedly called").
_CALLED = re.compile(
    r"\b(?:(?:has|have|had|will|would|did|does)\s+)?(?:(?:also|later|then|again|once|even|\w+ly)\s+)?"
    r"(?P<verb>called|calls|calling)\b"
)
# Object pronouns that make 'called him X' name-calling without a quotation.
_OBJECT_PRONOUN = re.compile(rf"\s+(?:{one_of((*OBJECT_PRONOUNS, *REFLEXIVE_PRONOUNS))})\s+(?P<next>[\w’'-]+)")
# What may follow 'called' that is not name-calling: particles, phrasal verbs, a meeting or an election called.
_NOT_NAMING = re.compile(
    r"\s+(?:for|on|upon|off|up|out|back|in|into|over|to|at|by|a\s+(?:press|news|meeting|vote|halt|special|hearing|"
    r"truce|ceasefire|recess|timeout)|the\s+(?:police|meeting|vote|election|race|shots|state|contest))\b",
    re.I,
)
_WH_BEFORE = re.compile(r"\b(?:what|who|whom)\s+")


def find_called(layout: Layout, taken: Sequence[Span]) -> list[ClaimSpans]:
    """'X called Y "Z"' / 'X called him Z' / 'what X called "Z"': the content is what the speaker called it."""
    text = layout.text
    taken_chars = TakenChars(len(text), taken)
    found: list[ClaimSpans] = []
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end) or "call" not in text[s_start:s_end]:
            continue
        for m in _CALLED.finditer(text, s_start, s_end):
            claim = _naming(layout, taken_chars, m, s_start, s_end)
            if claim is not None:
                found.append(claim)
                taken_chars.mark(claim.content)
                taken_chars.mark(claim.cue)
    return found


def _naming(layout: Layout, taken_chars: TakenChars, m: re.Match[str], s_start: int, s_end: int) -> ClaimSpans | None:
    """The name-calling of one 'called', if it is one: a quotation or 'him X' after it, and a speaker."""
    text = layout.text
    cs, ce = m.span()
    if (
        layout.in_quote(cs)
        or not taken_chars.free((cs, ce))
        or is_passive(text, cs)
        or text[max(s_start, m.start("verb") - 3) : m.start("verb")] == "so-"
        or _NOT_NAMING.match(text, ce, s_end)
    ):
        return None
    clause_end, _ = cut_participle(text, ce, s_end)
    clause = text[ce:clause_end]
    quoted = _QUOTED.search(clause)
    pronoun = _OBJECT_PRONOUN.match(clause)
    if not quoted and not (pronoun and pronoun.group("next").lower() not in PARTICLES_AFTER_PRONOUN):
        return None
    sp, lead = _namer(text, s_start, m)
    if sp is None:
        return None
    start = lead if lead is not None else ce + len(clause) - len(clause.lstrip())
    end = _relative_naming_end(text, ce + quoted.end(), clause_end) if lead is not None and quoted else clause_end
    end = strip_trailing(text, start, end)
    if end - start < 6 or not taken_chars.free((start, end)) or in_quote_text(text, s_start, cs):
        return None
    return ClaimSpans((start, end), sp, (cs, ce), "call", "reported")


def _namer(text: str, s_start: int, m: re.Match[str]) -> tuple[Span | None, int | None]:
    """Who called it, and where the content starts when it stands before them ('what Smith called …')."""
    cs = m.start()
    if m.group("verb") == "calling":
        if not re.search(r",\s*(?:and\s+)?$", text[max(s_start, cs - 10) : cs]):
            return None, None
        return sentence_subject(text, s_start, cs), None
    # "what Smith called …": the speaker sits between the relative word and the verb.
    window = max(s_start, cs - 80)
    rel = next(reversed(list(_WH_BEFORE.finditer(text, window, cs))), None)
    if rel is not None:
        sp = speaker_before(text, rel.end(), cs)
        if sp is not None and sp[0] == rel.end():
            return sp, rel.start()
    return speaker_before(text, s_start, cs), None


def _relative_naming_end(text: str, after_open: int, clause_end: int) -> int:
    """'what X called "a mess"': the naming ends with its quotation (and the noun it qualifies)."""
    close = re.search(r"[”\"]|''", text[after_open:clause_end])
    end = after_open + close.end() if close else clause_end
    noun = re.match(r"\s+[a-z][\w-]*(?=\s*(?:[,.;:!?—–]|\s-\s|$))", text[end:clause_end])
    return end + noun.end() if noun else end


_ASKED_LEAD = re.compile(
    r"(?P<verb>[Aa]sked)\b(?:\s+by\s+(?P<by>[^,;:“”\"]{2,60}?))?"
    r"(?:\s+(?:(?:in|on|at|during|about|after|before|later|again|directly|repeatedly|specifically)\b[^,;:“”\"]{0,60}?))?"
    r"\s+(?P<wh>whether|if|why|how|what|who|whom|which|where|when|about)\b"
)


def find_asked(layout: Layout, taken: Sequence[Span]) -> list[ClaimSpans]:
    """'Asked whether she would run, Smith said …' / '… when asked if …': the question put to a speaker.
    The asker is named only when written ('Asked by reporters whether …'); otherwise its ClaimSpans has no speaker,
    still reserves its span against other patterns, and extract_claims drops it: a question nobody asked is no claim."""
    text = layout.text
    taken_chars = TakenChars(len(text), taken)
    found: list[ClaimSpans] = []
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end) or "sked" not in text[s_start:s_end]:
            continue
        for m in _ASKED_LEAD.finditer(text, s_start, s_end):
            cs, ce = m.span("verb")
            # Only a question put to the speaker: 'Asked …' opening the sentence or 'when asked …' / ', asked …'.
            before = text[max(s_start, cs - 12) : cs]
            if cs != s_start and not re.search(r"(?:[,;]\s*|\b(?:[Ww]hen|[Oo]nce|[Aa]fter being|[Ii]f)\s+)$", before):
                continue
            if layout.in_quote(cs) or not taken_chars.free((cs, ce)) or in_quote_text(text, s_start, cs):
                continue
            start = m.start("wh")
            if m.group("wh") == "about":
                start = m.end("wh") + 1
            # The question runs to the comma before the main clause ('…, Smith said'), else to the clause end.
            main = next(
                (
                    c
                    for c in CUE_RE.finditer(text, start, s_end)
                    if c.group("verb") not in PARTICIPLES and not layout.in_quote(c.start())
                ),
                None,
            )
            commas = [
                c.start() for c in re.finditer(r",(?:[”\"’]|'')?\s", text[start : main.start() if main else s_end])
            ]
            if main is not None and commas:
                end = start + commas[-1]
            elif commas:
                end = start + commas[0]
            elif main is None or text[ce - 5 : ce].lower() != "asked" or cs == s_start:
                end = s_end
            else:
                continue
            end = strip_trailing(text, start, end)
            if end - start < 6 or not taken_chars.free((start, end)):
                continue
            sp = (m.start("by"), m.end("by")) if m.group("by") else None
            found.append(ClaimSpans((start, end), sp, (cs, ce), "ask", "reported"))
            taken_chars.mark((start, end))
    return found


# "… surprise Republican pollster Jane Roe: “…”" / "- Carl Bialik: “…”": a name (and its role) right before the colon.
_COLON_QUOTE = re.compile(rf"(?P<sp>{NAME})\s*(?P<cue>:)\s*(?=[“\"]|'')")


def _colon_introduced(text: str, quotes: Sequence[Quote]) -> list[tuple[Quote, re.Match[str]]]:
    """Each quotation right after a colon, with the name before that colon: only the text before those colons
    is read (a scan of the whole article for names and colons cost more than every other stage)."""
    found = []
    for quote in quotes:
        colon = text.rfind(":", max(0, quote.start - 3), quote.start)
        if colon < 0 or text[colon + 1 : quote.start].strip():
            continue
        m = next(
            (m for m in _COLON_QUOTE.finditer(text, max(0, colon - 200), quote.start + 2) if m.end() == quote.start),
            None,
        )
        if m is not None:
            found.append((quote, m))
    return found


def find_colon_quotes(layout: Layout, taken: Sequence[Span]) -> list[ClaimSpans]:
    """A quotation introduced by a name and a colon, with no speech verb: 'Pollster Jane Roe: “…”'."""
    text = layout.text
    taken_chars = TakenChars(len(text), taken)
    found: list[ClaimSpans] = []
    for quote, m in _colon_introduced(text, layout.quotes):
        if layout.is_furniture(m.start(), quote.end) or not taken_chars.free((m.start(), quote.end)):
            continue
        name = m.group("sp")
        words = name.split()
        if (
            not 1 <= len(words) <= 5
            or name.isupper()
            or is_label(words)
            or layout.in_quote(m.start())
            or len(text[quote.start : quote.end].split()) < 4
        ):
            continue
        # Only a name: the words before it in its sentence must not be a clause of their own ('… said Smith:').
        before = text[max(0, m.start() - 40) : m.start()]
        if CUE_RE.search(before[-25:]) or re.search(r"\b(?:is|are|was|were|be|the|a|an|of|to|in|on|at|by)\s*$", before):
            continue
        sp = (m.start("sp"), m.end("sp"))
        found.append(ClaimSpans((quote.start, quote.end), sp, m.span("cue"), "say", "direct"))
        taken_chars.mark((quote.start, quote.end))
    return found


__all__ = ["find_asked", "find_called", "find_colon_quotes"]
