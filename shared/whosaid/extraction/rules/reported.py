"""Stage 2, reported speech: 'X said (that) Y', 'Y, X said', 'Y, said X', 'X expressed concern that Y' and the
participles that hang a claim off a clause ('…, adding that Z', 'He issued a statement, saying …').

It reads only what the direct quotes left free, and claims each cue and content it takes, so that no later cue
in the sentence reads them again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from whosaid.extraction.lexicon import (
    DETERMINERS,
    DOCUMENT_WORDS,
    NOT_PARTICIPLE_SUBJECTS,
    STRONG_BOUNDARIES,
    SUBJECT_PRONOUNS,
)
from whosaid.extraction.mentions import parse_mention
from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.content import content_start_after_cue, cut_participle, fronted_start, participle_content
from whosaid.extraction.rules.cues import (
    CUE_LEMMA,
    CUE_RE,
    CUE_WORD_RE,
    DOCUMENT_CUE_LEMMA,
    DOCUMENT_CUE_RE,
    EXPRESS_RE,
    JUDGED_AS,
    NOUN_LIKE,
    PARTICIPLES,
)
from whosaid.extraction.rules.grammar import SUBJECT_REACH, TAIL_ONLY, TIME, bare, content_lead, is_passive
from whosaid.extraction.rules.subjects import sentence_subject, speaker_after, speaker_before
from whosaid.extraction.rules.text import Layout
from whosaid.extraction.spans import Span, TakenChars, in_quote_text, strip_leading, strip_trailing

_PARTICIPLE_CUES = PARTICIPLES | {"expressing"}
# Gerunds that are nouns as often as verbs: after a determiner or an adjective of quantity they are nouns.
_NOUN_GERUNDS = frozenset({"warning", "reporting"})
# A participle that continues a clause ('…, saying', '— saying', 'and saying', 'by saying') has no subject of its own.
_CONTINUES_CLAUSE = re.compile(r"(?:,(?:[”\"’]|'')?\s*(?:and\s+)?|\s(?:—|–|--)\s*|\band\s+|\bby\s+)$")
_COMMA_BEFORE = re.compile(r",(?:[”\"’]|'')?\s*$")
# After the cue: '…, he said, more content' / '…, he said Tuesday, adding …'.
_TIME_COMMA = re.compile(rf"^\s*(?:{TIME}\s*)?,\s*\S")
_TAIL_THEN = re.compile(rf"^\s*(?:(?:{TIME}|in\s+[A-Z][\w.’'-]*)\s*){{0,3}},\s*")


def find_reported(layout: Layout, taken: Sequence[Span], earlier: Sequence[ClaimSpans]) -> list[ClaimSpans]:
    """Reported speech after a cue verb, outside the `taken` spans (every content and cue earlier stages claimed);
    a participle continuing an `earlier` quote's speech clause is that quote's speaker's."""
    text = layout.text
    found: list[ClaimSpans] = []
    taken_chars = TakenChars(len(text), taken)
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end):
            continue
        for m, family in _cue_matches(text, s_start, s_end):
            if not _open_cue(layout, taken_chars, m, s_start):
                continue
            if m.group("verb") in _PARTICIPLE_CUES:
                claims = _participle_claims(text, s_start, s_end, m, [*earlier, *found])
            else:
                lemma = {"express": "express", "document": DOCUMENT_CUE_LEMMA.get(m.group("verb"), "")}.get(
                    family, CUE_LEMMA.get(m.group("verb"), "")
                )
                claims = _clause_claims(text, s_start, s_end, m, lemma)
            for claim in claims:
                claim = _through_open_quote(layout, taken_chars, claim)
                found.append(claim)
                taken_chars.mark(claim.content)
                taken_chars.mark(claim.cue)
    return found


def _through_open_quote(layout: Layout, taken_chars: TakenChars, claim: ClaimSpans) -> ClaimSpans:
    """Content that opens a quotation runs to its closing mark: 'He said that "A. B."' quotes the speaker across the
    sentence end inside the quotation (the sentence split alone would stop the content after 'A.')."""
    start, end = claim.content
    quote = layout.in_quote(end - 1)
    if quote is None or quote.start < start or quote.end <= end or not taken_chars.free((end, quote.end)):
        return claim
    return replace(claim, content=(start, quote.end))


def _cue_matches(text: str, s_start: int, s_end: int) -> list[tuple[re.Match[str], str]]:
    """The sentence's speech verbs, 'expressed concern' phrases and documents' verbs ('found'), in text order."""
    sentence = text[s_start:s_end]
    found: list[tuple[re.Match[str], str]] = []
    if CUE_WORD_RE.search(text, s_start, s_end):
        found = [(m, "verb") for m in CUE_RE.finditer(text, s_start, s_end)]
    # The rarer families only where their words occur: a substring test is far cheaper than their patterns.
    if "xpress" in sentence or "voice" in sentence:
        found += [(m, "express") for m in EXPRESS_RE.finditer(text, s_start, s_end)]
    if "found" in sentence or "finds" in sentence or "show" in sentence:
        found += [(m, "document") for m in DOCUMENT_CUE_RE.finditer(text, s_start, s_end)]
    return sorted(found, key=lambda x: x[0].start()) if len(found) > 1 else found


def _open_cue(layout: Layout, taken_chars: TakenChars, m: re.Match[str], s_start: int) -> bool:
    """Whether a cue may start a claim: outside quotes and claimed text, active, and a verb rather than a noun."""
    text = layout.text
    cs = m.start()
    if layout.in_quote(cs) or taken_chars.covered(cs) or taken_chars.covered(m.start("verb")) or is_passive(text, cs):
        return False
    if m.group("verb") in _NOUN_GERUNDS and re.search(
        r"\b(?:a|an|the|any|no|sufficient|enough|early|advance|his|her|their|its)\s+$", text[max(s_start, cs - 15) : cs]
    ):
        return False  # "sufficient warning", "his reporting": a noun, not a cue
    if m.group("verb") in NOUN_LIKE and cs == m.start("verb"):
        # "user reports", "his claims": a noun, unless a name, a pronoun or a document ('the report notes')
        # stands right before it.
        prev = re.search(r"(\S+)\s+$", text[max(s_start, cs - 80) : cs])
        word = prev.group(1) if prev else ""
        if not word or not (word[0].isupper() or word.lower() in SUBJECT_PRONOUNS or word.lower() in DOCUMENT_WORDS):
            return False
    return True


def _participle_claims(
    text: str, s_start: int, s_end: int, m: re.Match[str], earlier: Sequence[ClaimSpans]
) -> list[ClaimSpans]:
    """A participle no earlier claim took: '"He issued a statement, saying …"'."""
    cs = m.start()
    if in_quote_text(text, s_start, cs):
        return []
    if _CONTINUES_CLAUSE.search(text[max(s_start, cs - 20) : cs]):
        # The speaker of a quote whose speech clause it continues, else the subject of the sentence.
        before = [f for f in earlier if s_start <= f.cue[0] < cs and f.speaker is not None]
        sp = before[-1].speaker if before else sentence_subject(text, s_start, cs)
    else:
        sp = _absolute_subject(text, s_start, cs)
    got = participle_content(text, m, s_end) if sp is not None else None
    if got is None or sp is None:
        return []
    return [ClaimSpans(got[0], sp, m.span(), got[1], "reported")]


def _absolute_subject(text: str, s_start: int, cs: int) -> Span | None:
    """A participle's own subject: "with 50 percent saying …", "– Ryan saying …"; None when it has none
    ("…, while saying" / "…, responded by first saying")."""
    absolute = speaker_before(text, s_start, cs)
    lead_with = re.match(r"with\s+", text[absolute[0] : absolute[1]]) if absolute else None
    if absolute is not None and lead_with:
        absolute = (absolute[0] + lead_with.end(), absolute[1])
    if absolute is None or not re.search(r"(?:\bwith|[,;—–])\s*$", text[max(s_start, absolute[0] - 10) : absolute[0]]):
        return None
    subject = [bare(w) for w in text[absolute[0] : absolute[1]].split()]
    if not (text[absolute[0]].isupper() or text[absolute[0]].isdigit() or subject[0] in DETERMINERS):
        return None
    if any(w in STRONG_BOUNDARIES or w in NOT_PARTICIPLE_SUBJECTS for w in subject):
        return None
    return absolute


# 'defended the decision as necessary' / 'defended that …': a judgement; 'defended the bill' alone is none.
_JUDGED = re.compile(r"^that\b|\bas\b")


def _names_document(text: str, sp: Span) -> bool:
    """Whether a subject is a document ('the report', 'Court filings', 'a Reuters/Ipsos poll')."""
    return parse_mention(text[sp[0] : sp[1]]).type == "document"


def _clause_claims(text: str, s_start: int, s_end: int, m: re.Match[str], lemma: str) -> list[ClaimSpans]:
    """The claim of a finite cue ('X said that Y', 'Y, X said', 'Y, said X') and of a participle it leads to."""
    cs, ce = m.span()
    sp = None
    if re.search(r"\s(?:and|but)\s*$", text[max(s_start, cs - 20) : cs]):
        # "X rejected the idea and said that …": the subject of the sentence.
        sp = sentence_subject(text, s_start, cs)
    sp = sp or speaker_before(text, s_start, cs)
    content: Span | None = None
    participle: re.Match[str] | None = None
    if sp is not None:
        content, participle = _content_around(text, s_start, s_end, m, lemma, sp)
    else:
        sp, content = _inverted(text, s_start, s_end, m)
    if (
        sp is None
        or content is None
        or content[1] - content[0] < 8
        or len(text[content[0] : min(content[1], content[0] + 40)].split()) < 2
        or (lemma in DOCUMENT_CUE_LEMMA.values() and not _names_document(text, sp))
        or (lemma in JUDGED_AS and not _JUDGED.search(text, content[0], content[1]))
        or (lemma == "recall" and text[content[0]].isdigit())  # "recalled 40,000 vehicles": a product recall
    ):
        return []
    claims = [ClaimSpans(content, sp, (cs, ce), lemma, "reported")]
    if participle is not None:
        got = participle_content(text, participle, s_end)
        if got is not None:
            claims.append(ClaimSpans(got[0], sp, participle.span(), got[1], "reported"))
    return claims


def _content_around(
    text: str, s_start: int, s_end: int, m: re.Match[str], lemma: str, sp: Span
) -> tuple[Span | None, re.Match[str] | None]:
    """The content of a cue whose speaker stands before it ('Content, he said.' / 'He said that content'), and the
    participle cue that follows it ('…, adding that …'), if any."""
    ce = m.end()
    window = max(s_start, sp[0] - SUBJECT_REACH)
    before_speaker = text[window : sp[0]]
    comma_before = _COMMA_BEFORE.search(before_speaker)
    rest = text[ce:s_end]
    lead = content_lead(text, s_start, sp[0])
    # Text before "…, he said" is the content when it is more than an opening adverbial ("On Monday,").
    front = (
        (comma_before and len(text[max(lead, sp[0] - 100) : sp[0]].split()) >= 3)
        or (comma_before and _TIME_COMMA.match(rest) and before_speaker.strip(" ,"))
    ) and not in_quote_text(text, s_start, sp[0])
    then_participle = _participle_after_tail(text, ce, s_end)
    if front and comma_before and ((TAIL_ONLY.match(rest) and len(rest.split()) <= 6) or then_participle is not None):
        # "Content, he said." / "Content, he said Tuesday, adding that …"
        return (lead, strip_trailing(text, lead, window + comma_before.end())), then_participle
    if front and _TIME_COMMA.match(rest):
        # "Content, he said, more content."
        return (lead, strip_trailing(text, lead, s_end)), None
    if m.re is EXPRESS_RE:
        start_after: int | None = strip_leading(text, ce, s_end)
    else:
        start_after = content_start_after_cue(text, lemma, ce, s_end)
    if start_after is not None and start_after < s_end:
        end, participle = cut_participle(text, start_after, s_end)
        return (fronted_start(text, lead, sp, start_after), strip_trailing(text, start_after, end)), participle
    return None, None


def _participle_after_tail(text: str, ce: int, s_end: int) -> re.Match[str] | None:
    """A participle cue right after the cue's tail: '…, he said Tuesday, adding that …'."""
    tail_then = _TAIL_THEN.match(text[ce:s_end])
    if not tail_then:
        return None
    then_participle = CUE_RE.match(text, ce + tail_then.end(), s_end) or EXPRESS_RE.match(
        text, ce + tail_then.end(), s_end
    )
    if then_participle and then_participle.group("verb") not in _PARTICIPLE_CUES:
        return None
    return then_participle


def _inverted(text: str, s_start: int, s_end: int, m: re.Match[str]) -> tuple[Span | None, Span | None]:
    """Inverted order: "Content, said Smith." / "Content, says the report." -> (speaker, content)."""
    cs, ce = m.span()
    before = text[max(s_start, cs - 20) : cs]
    if not (_COMMA_BEFORE.search(before) and text[s_start:cs].strip(" ,") and not in_quote_text(text, s_start, cs)):
        return None, None
    sp = speaker_after(text, ce, s_end)
    if sp is None:
        return None, None
    lead = content_lead(text, s_start, cs)
    return sp, (lead, strip_trailing(text, lead, cs))
