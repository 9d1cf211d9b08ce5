"""The attribution patterns: direct quotes with their speech clause, reported speech and 'according to'.

Each finder returns `Found` records (offsets only); `whosaid.extraction.rules` turns them into claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whosaid.extraction.rules.cues import (
    ACCORDING_RE,
    ADDRESSEE_VERBS,
    CUE_LEMMA,
    CUE_RE,
    EXPRESS_RE,
    MARKED_ONLY,
    NOUN_LIKE,
    OBJECT_IN_CONTENT,
    PARTICIPLES,
)
from whosaid.extraction.rules.text import Layout, Span


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as one string (long word lists stay readable)."""
    return frozenset(words.split())


@dataclass
class Found:
    content: Span
    speaker: Span | None
    cue: Span
    lemma: str
    kind: str  # "direct" | "reported" | "according"


_TOKEN = re.compile(r"[^\s]+")
_STRONG_BOUNDARY = _wordset(
    """which where when while because but although though since if whether as so whom whose unless until once
    after before than or nor yet because what"""
)
_AUX = _wordset("""is was were are be been being has have had did does do will would could should can may might""")
_LEADING_ADVERBS = _wordset(
    """but and so yet still meanwhile however also now then later instead indeed earlier today separately
    similarly previously moreover further furthermore finally ultimately thus nonetheless nevertheless
    besides again"""
)
_LEADING_WORDS = _LEADING_ADVERBS | _STRONG_BOUNDARY | {"that", "and"}
_DETERMINERS = _wordset(
    """the a an some many most several few both all each every one two three four five six seven eight nine ten
    his her their its our my your this that these those other another no any more"""
)
_PRONOUNS = frozenset(["he", "she", "they", "it", "i", "we", "you", "who"])
_PASSIVE_BEFORE = re.compile(r"\b(?:is|was|were|are|be|been|being|it's|it’s)\s+(?:\w+ly\s+)?$", re.I)
_TIME = (
    r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday)(?:\s+(?:night|morning|afternoon|evening))?|"
    r"tonight|recently|earlier|later|"
    r"last\s+\w+|this\s+\w+|on\s+\w+|in\s+(?:a|an|the|his|her|their|its)\b[^,.;:“”\"]{0,50}?|at\s+(?:a|an|the)\b[^,.;:“”\"]{0,50}?|"
    r"during\s+[^,.;:“”\"]{0,50}?|via\s+\w+|on\s+(?:Twitter|Facebook|Fox|CNN|MSNBC|NBC|ABC|CBS)[^,.;:“”\"]{0,30}?|"
    r"to\s+(?:reporters|journalists|supporters|the\s+\w+|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)|"
    r"(?:of|about)\s+[^,.;:“”\"]{0,40}?|(?:publicly|privately|repeatedly|flatly|again|simply|bluntly|firmly)|"
    r"(?:\w+\s+)?(?:ago|before|afterward|afterwards))"
)


_TAIL_THAT = re.compile(
    rf"^\s*(?:(?:{_TIME}\s*,?\s*){{1,3}}|(?:in|on|at|during|to|with|from|after|before|via|through|over|while|"
    rf"when|last|this|earlier|later|again)\b[^,.;:“”\"]{{0,60}}?)?\s*(?P<that>that)(?:\s*,\s*|\s+)"
)
_TAIL_PUNCT = re.compile(rf"^\s*(?:{_TIME}\s*){{0,3}}\s*[,:]\s*")
_TAIL_ONLY = re.compile(rf"^\s*(?:{_TIME}\s*,?\s*){{0,3}}\s*[.!?]?\s*$")
_ADDRESSEE_THAT = re.compile(r"^\s+[^,.;:“”\"]{1,60}?\s+(?P<that>that)(?:\s*,\s*|\s+)")
_ADDRESSEE = re.compile(
    r"^\s+(?:him|her|them|me|us|you|reporters|journalists|supporters|voters|listeners|viewers|the\s+[\w’'-]+(?:\s+[\w’'-]+)?|"
    r"an?\s+[\w’'-]+(?:\s+[\w’'-]+)?|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)"
    rf"(?:\s+(?:{_TIME}))?\s*(?:(?P<that>that)\s+|[,:]\s*|\s)"
)
_QUOTE_CHARS = "“”\"'‘’"


def _strip_trailing(text: str, start: int, end: int) -> int:
    """End offset without trailing spaces and sentence punctuation (a closing quote mark keeps what it closes)."""
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".;:,!?)—–-"):
        if text[end - 1] in "!?" and end - 2 >= start and text[end - 2] not in " ":
            # "?" and "!" are part of what was said when nothing else follows.
            break
        end -= 1
    return end


def _strip_leading(text: str, start: int, end: int) -> int:
    while start < end and (text[start].isspace() or text[start] in ",;:(—–-"):
        start += 1
    return start


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text, start, end)]


def _bare(token: str) -> str:
    return token.strip(_QUOTE_CHARS + ",.;:()[]").lower()


def _good_subject(text: str, tokens: list[tuple[int, int]], max_tokens: int) -> bool:
    if not tokens or len(tokens) > max_tokens:
        return False
    first = text[tokens[0][0] : tokens[0][1]].lstrip(_QUOTE_CHARS + "(")
    if not first:
        return False
    words = [_bare(text[s:e]) for s, e in tokens]
    if any(c in text[tokens[0][0] : tokens[-1][1]] for c in "<>=@/|#"):
        return False  # markup, handles and URLs are not speakers
    if any(w in _AUX for w in words) or any(w in _STRONG_BOUNDARY for w in words[1:]) or words == ["when"]:
        return False
    if words[-1] in _DETERMINERS - {"one", "two", "three"} or words[-1] in {
        "to",
        "of",
        "for",
        "and",
        "the",
        "with",
        "in",
    }:
        return False
    if first[0].isupper() or first[0].isdigit() or words[0] in _DETERMINERS or words[0] in _PRONOUNS:
        return True
    if len(words) == 1 and (words[0] in _LEADING_ADVERBS or words[0] in {"what", "when", "where", "how", "why"}):
        return False  # "… but now said": an adverb, not a subject
    if len(words) == 1 and words[0].endswith("ed"):
        return False  # "who did not want to be named said": a participle, not a subject
    # A short lowercase plural subject: "officials said", "aides to the governor told".
    return len(tokens) <= 6


_SUBJECT_REACH = 300


def speaker_before(text: str, start: int, cue_start: int) -> Span | None:
    """The subject that ends right before the cue, searched no further back than `start`."""
    start = max(start, cue_start - _SUBJECT_REACH)  # bounds the work on run-on "sentences"
    end = cue_start
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    if text[end - 1] == ",":
        # "Brian Fallon, a spokesman for the campaign, said": the name and its appositive.
        for m in _APPOSITIVE.finditer(text, start, end):
            words = m.group("sp").split()
            if words[0] not in _NOT_NAME_STARTS:
                return m.start("sp"), end
            # "But Jane Roe, the director, said": the name starts after the sentence's opening word.
            rest = re.match(r"\S+\s+(?=[A-Z])", m.group("sp"))
            if rest and len(words) > 2 and words[1] not in _NOT_NAME_STARTS:
                return m.start("sp") + rest.end(), end
        # "Another pollster, David Woodard of Clemson University, said": the whole clause is the mention.
        segment_start = start
        for b in re.finditer(r"[;:]\s*", text[start:end]):
            segment_start = start + b.end()
        tokens = _words(text, segment_start, end)
        if text[segment_start:end].count(",") == 2 and _good_subject(text, tokens, 20):
            return tokens[0][0], end
        return None
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
    tokens = _words(text, clause_start, end)
    # A closing quote mark or a dash left over from the previous clause ('“Hannity,” Newt Gingrich said') is no word.
    while tokens and not any(ch.isalnum() for ch in text[tokens[0][0] : tokens[0][1]]):
        tokens = tokens[1:]
    while len(tokens) > 1 and _bare(text[tokens[0][0] : tokens[0][1]]) in _LEADING_WORDS:
        tokens = tokens[1:]
    if _good_subject(text, tokens, 30):
        return tokens[0][0], tokens[-1][1]
    # Backward: stop at a conjunction, a relative word, an auxiliary or a complementiser "that".
    tokens = [t for t in _words(text, clause_start, end) if any(ch.isalnum() for ch in text[t[0] : t[1]])]
    picked: list[tuple[int, int]] = []
    for i in range(len(tokens) - 1, -1, -1):
        word = _bare(text[tokens[i][0] : tokens[i][1]])
        if word in _STRONG_BOUNDARY or word in _AUX or word == "that" or (word == "and" and picked):
            if word == "and" and i > 0 and text[tokens[i - 1][0]].isupper() and picked and text[picked[0][0]].isupper():
                picked.insert(0, tokens[i])
                continue
            break
        picked.insert(0, tokens[i])
        if word in _PRONOUNS and len(picked) == 1:
            break
        if len(picked) >= 10:
            return None
    while picked and _bare(text[picked[0][0] : picked[0][1]]) in _LEADING_ADVERBS and len(picked) > 1:
        picked = picked[1:]
    if _good_subject(text, picked, 10):
        return picked[0][0], picked[-1][1]
    return None


_NAME = (
    r"(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Sgt|Capt|Prof|Rev)\.\s+)?"
    r"[A-Z][\w’'\-.]*(?:\s+(?:[A-Z][\w’'\-.]*|de|van|von|al|bin))*"
)
# "Name (D-Mo.), a/the role …, said": the name, then an appositive of up to three comma-separated pieces.
_APPOSITIVE = re.compile(
    rf"(?:^|(?<=[.;:!?]\s)|(?<=,\s)|(?<=\b(?:and|but)\s)|(?<=\s))(?P<sp>{_NAME}(?:\s+\([^()]{{1,20}}\))?),"
    rf"\s+[^,;:“”\"]{{2,150}}(?:,[^,;:“”\"]{{2,100}}){{0,2}},$"
)
_NOT_NAME_STARTS = _wordset(
    """In On At For But And After Before When While As If During Since Although Though Yet So Still Meanwhile
    However Then Later Earlier Last This That Asked Speaking According Despite With Without From To By Of Under
    Over Among Like Unlike Now Today Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April May June July August September October November December The A An Instead Indeed"""
)
_SUBJECT = re.compile(
    rf"^(?:(?:But|And|So|Yet|Still|Meanwhile|However|Later|Earlier|Then|Instead)\s+|(?:On|In|At|During)\s+[^,]{{1,40}},\s+)?"
    rf"(?P<sp>[Hh]e|[Ss]he|[Tt]hey|[Ii]t|[Ww]e|I|{_NAME}|[Tt]he\s+[a-z]+(?:\s+[a-z]+)?)\s+(?=[a-z])"
)


# A dateline ("WASHINGTON — ", "LONDON (Reuters) - ") and an opening adverbial ("In May, ") before the subject.
_DATELINE = re.compile(r"[A-Z][A-Z .,’'-]{2,40}(?:\s*\([^()]{1,30}\))?\s*(?:—|–|--|-)\s*")
_OPENER = re.compile(
    r"(?:(?:But|And|So|Yet|Still|Meanwhile|However|Later|Earlier|Then|Instead)\s*,?\s+)?"
    r"(?:(?:On|In|At|During|After|Before|Since|Last|This|Earlier|Later|For|With|By|As|When|While|Asked|"
    r"[A-Z][a-z]+ing)\s+[^,]{1,80},\s+)?"
)
_VERB_LIKE = re.compile(r"^(?:[a-z]+ed|also|then|later|still|again|never|[a-z]+ly|" + "|".join(sorted(_AUX)) + r")$")


def _skip_dateline(text: str, start: int, end: int) -> int:
    """'WASHINGTON (Reuters) - The plan …' -> 'The plan …': a dateline is the publisher's, not what was said."""
    m = _DATELINE.match(text, start, end)
    return m.end() if m and m.end() < end else start


def sentence_subject(text: str, s_start: int, limit: int) -> Span | None:
    """The subject at the start of a sentence, for a participle cue later in it ('He issued a statement, saying …')."""
    m = _SUBJECT.match(text[s_start:limit])
    if m:
        sp = (s_start + m.start("sp"), s_start + m.end("sp"))
        words = text[sp[0] : sp[1]].split()
        if not (words[0] in {"The", "A", "An"} and len(words) < 2) and not (
            words[0] in _NOT_NAME_STARTS and len(words) < 2
        ):
            return sp
    # Otherwise the words before the first verb-like word ('A spokeswoman for Janney also declined …',
    # 'WASHINGTON — Sen. Jane Roe (D-Vt.) defended …').
    pos = s_start
    for opener in (_DATELINE, _OPENER):
        o = opener.match(text, pos, limit)
        if o:
            pos = o.end()
    tokens = _words(text, pos, min(limit, pos + 200))
    for i, (ts, te) in enumerate(tokens[:12]):
        word = text[ts:te]
        if i > 0 and (_VERB_LIKE.match(word) or word in CUE_LEMMA or _SECOND_PREDICATE.fullmatch(word)):
            picked = tokens[:i]
            if "," in text[pos : picked[-1][1]] or not _good_subject(text, picked, 10):
                return None
            if not (text[picked[0][0]].isupper() or _bare(text[picked[0][0] : picked[0][1]]) in _DETERMINERS):
                return None
            if len(picked) == 1 and text[picked[0][0] : picked[0][1]] in _NOT_NAME_STARTS:
                return None  # "When asked …": an opening subordinator, not a subject
            return picked[0][0], picked[-1][1]
    return None


_PREMODIFIERS = _wordset(
    """former then longtime veteran senior top acting retired outgoing incoming fellow chief deputy interim
    freshman republican democratic conservative liberal progressive independent state house senate"""
)
# 'said Gov. Jim Hodges in an interview' / '…, who …': the mention ends before the adverbial or relative clause.
_SPEAKER_AFTER_TAIL = re.compile(
    r"\s+(?:(?:in|on|at|during|via|to|after|before|from)\s+(?:an?|the|his|her|their|its|[A-Z])[^,.;:!?“”\"]{0,60}|"
    r"(?:who|whom|whose)\b[^.;:!?“”\"]{0,200})(?=\s*(?:[,.;:!?]|$))"
)
_SPEAKER_AFTER = re.compile(
    r"^\s+(?P<sp>(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|St|Jr|Sgt|Capt|Prof)\.|[\w’'\-()&]+)"
    r"(?:\s+(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|St|Jr|Sgt|Capt|Prof)\.|[A-Z]\.|\([^()\s]{1,12}\)|[\w’'\-()&]+)){0,7}?)"
    rf"(?=(?:{_SPEAKER_AFTER_TAIL.pattern})?\s*(?:[,.;:!?]|$))"
)


def speaker_after(text: str, pos: int, limit: int) -> Span | None:
    """Inverted order: 'said Smith' / 'said the spokesman, ...'."""
    limit = min(limit, pos + _SUBJECT_REACH)
    m = _SPEAKER_AFTER.match(text[pos:limit])
    if not m:
        return None
    s, e = pos + m.start("sp"), pos + m.end("sp")
    tail = _SPEAKER_AFTER_TAIL.match(text, e, limit)
    if tail and any(_bare(w) in _AUX for w in tail.group().split()[:8]) and not re.match(r"\s+who", tail.group()):
        return None  # "said Clinton’s response to Trump was undercut …": a clause, not a speaker
    first = text[s:e].split()[0]
    # "said former Gov. Jim Hodges": a lowercase premodifier may stand before a name.
    premodified = first.lower() in _PREMODIFIERS and any(w[0].isupper() for w in text[s:e].split()[1:])
    if not (first[0].isupper() or first.lower() in _DETERMINERS or first.lower() in _PRONOUNS or premodified):
        return None
    if any(_bare(w) in _AUX or _bare(w) == "that" for w in text[s:e].split()):
        return None
    if text[e : e + 1] == "." and _ABBREVIATION_DOT.search(text, max(s, e - 4), e + 1):
        return None  # stopped at "Mr." / "Sen.": a sentence goes on, not a speaker
    if text[s:e].rstrip(".").lower() in {
        "mr",
        "mrs",
        "ms",
        "dr",
        "sen",
        "rep",
        "gov",
        "gen",
        "lt",
        "col",
        "sgt",
        "capt",
    }:
        return None
    if any(c in text[s:e] for c in "<>=@/|#"):
        return None
    # An appositive may follow ("said John Kirby, a spokesman"): keep it in the mention as the annotators do.
    rest = text[e:limit]
    # It ends with the speech clause: at the paragraph's end or where the next quotation opens.
    appositive = re.match(r"^,\s+(?:an?|the|who|his|her|their)\b(?:(?!'')[^“”\"])*?(?=[.;!?]?\s*(?:$|[“\"]|''))", rest)
    if appositive:
        e += appositive.end()
    return s, e


def _cue_span(m: re.Match[str]) -> Span:
    return m.start(), m.end()


def _is_passive(text: str, cue_start: int) -> bool:
    return bool(_PASSIVE_BEFORE.search(text[max(0, cue_start - 25) : cue_start]))


_ABBREVIATION_DOT = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|St|Jr|Sr|Sgt|Capt|Prof|Rev|[A-Z])\.")


def _mask_dot(m: re.Match[str]) -> str:
    """'Sen.' -> 'Senx': an abbreviation's dot hidden, offsets kept."""
    return m.group()[:-1] + "x"


def _sentence_break(segment: str) -> bool:
    """Whether a short stretch of text ends a sentence or opens a quote (abbreviations do not count)."""
    return bool(re.search(r"[.!?“\"]|''", _ABBREVIATION_DOT.sub("Xx", segment)))


# --- direct quotes -------------------------------------------------------------------------------------------
def _extend_quotes(layout: Layout, quote_index: int, after: int) -> tuple[int, int]:
    """Extend a quotation through the quotes that follow in its paragraph (only spaces between them, or the
    speech clause ending at `after`), and into the next paragraph while a quote runs on. Returns (end, last index)."""
    text, qs = layout.text, layout.quotes
    end = qs[quote_index].end
    i = quote_index
    cursor = max(after, end)
    while i + 1 < len(qs):
        nxt, cur = qs[i + 1], qs[i]
        gap = text[cursor : nxt.start]
        if nxt.paragraph == cur.paragraph and nxt.start >= cursor and not gap.strip(" ,.;:—–-\u00a0"):
            end, cursor, i = nxt.end, nxt.end, i + 1
            continue
        if (
            not cur.closed
            and nxt.paragraph == cur.paragraph + 1
            and nxt.start == layout.paragraphs[nxt.paragraph][0]
            and not gap.strip()
        ):
            end, cursor, i = nxt.end, nxt.end, i + 1
            continue
        break
    return end, i


def _clause_end(text: str, pos: int, para_end: int) -> int:
    """Where a speech clause after a quote ends: its comma, full stop or colon (an appositive role included when
    a quotation follows: '"…," said Brad Bannon, a consultant. "…"')."""
    limit = min(para_end, pos + 300)  # a speech clause is short; bounding it keeps run-on paragraphs linear
    stop = re.search(r"[.,;:!?]|$", _ABBREVIATION_DOT.sub(lambda m: "x" * len(m.group()), text[pos:limit]))
    end = pos + (stop.start() if stop else 0)
    if text[end : end + 1] == ",":
        role = re.match(r",\s+(?:(?!'')[^.;:!?“”\"]){1,120}?[.,:]\s*(?=[“\"]|'')", text[end:limit])
        if role and not CUE_RE.search(role.group()):
            return end + role.end() - 1
    return end


def _run_on_start(layout: Layout, quote_index: int, not_before: int) -> int:
    """Start of a multi-paragraph quotation: earlier paragraphs that open a quote and never close it run on into
    the paragraph whose quote carries the attribution."""
    qs = layout.quotes
    j = quote_index
    while j > 0:
        prev, cur = qs[j - 1], qs[j]
        if (
            not prev.closed
            and prev.paragraph == cur.paragraph - 1
            and cur.start == layout.paragraphs[cur.paragraph][0]
            and prev.start >= not_before
        ):
            j -= 1
        else:
            break
    return qs[j].start


def find_direct(layout: Layout) -> list[Found]:
    text = layout.text
    found: list[Found] = []
    consumed_until = -1
    for index, quote in enumerate(layout.quotes):
        if quote.start < consumed_until or layout.is_furniture(quote.start, quote.end):
            continue
        para_start, para_end = layout.paragraphs[quote.paragraph]
        words = len(text[quote.start : quote.end].split())
        # 1. Speech clause after the quote: '"…," he said' / '"…," said Smith' / '"…" Smith told CNN.'
        if quote.closed:
            lookahead = text[quote.end : min(para_end, quote.end + 200)]
            cue = CUE_RE.search(lookahead)
            sp = None
            if cue and cue.group("verb") not in PARTICIPLES and not _sentence_break(lookahead[: cue.start()]):
                cs, ce = quote.end + cue.start(), quote.end + cue.end()
                sp = speaker_before(text, quote.end, cs)
                if sp is None and not lookahead[: cue.start()].strip(" ,—–-"):
                    sp = speaker_after(text, ce, para_end)
                # A quote inside a sentence ('the plan is "dead," he said') is a mixed claim: reported speech's.
                opens_sentence = quote.start == para_start or bool(
                    re.search(
                        r"(?:[.!?:]|[.!?][”\"’]|'')\s*$|^\s*$", text[max(para_start, quote.start - 4) : quote.start]
                    )
                )
                if sp is not None and opens_sentence and (words >= 2 or text[quote.end - 2] in ",?!"):
                    after = _clause_end(text, max(ce, sp[1]), para_end) + 1
                    following = layout.quotes[index + 1] if index + 1 < len(layout.quotes) else None
                    if following is not None and following.paragraph == quote.paragraph and following.start > after:
                        gap = text[after : following.start]
                        # The speaker goes on quoting after a longer speech clause ('…," said X, a Y who Z. "…"').
                        if not re.search(r"[“”\"]|''", gap) and len(gap.split()) <= 40 and not CUE_RE.search(gap):
                            after = following.start
                    end, _ = _extend_quotes(layout, index, after)
                    start = _run_on_start(layout, index, consumed_until)
                    found.append(Found((start, end), sp, (cs, ce), CUE_LEMMA[cue.group("verb")], "direct"))
                    consumed_until = end
                    continue
        # 2. Speech clause before the quote: 'X said: "…"' / 'The sources added, "…"' / '…, saying, "…"'.
        if words < 2:
            continue
        sent_start = next((s for s, e in layout.sentences if s <= quote.start < e), para_start)
        if sent_start == quote.start and index > 0:
            # A quote that opens its paragraph after 'X said:' closing the previous one.
            prev_para = layout.paragraphs[quote.paragraph - 1] if quote.paragraph > 0 else None
            if prev_para and text[prev_para[1] - 1] == ":":
                sent_start = next((s for s, e in layout.sentences if s <= prev_para[1] - 1 < e), prev_para[0])
        sent_start = max(sent_start, quote.start - _SUBJECT_REACH)
        before = text[sent_start : quote.start]
        m2 = re.search(r"[,:]\s*$", before)
        if not m2:
            continue
        cues = list(CUE_RE.finditer(text, sent_start, sent_start + m2.start()))
        if not cues:
            continue
        cue = cues[-1]
        between = text[cue.end() : sent_start + m2.start()]
        lemma = CUE_LEMMA[cue.group("verb")]
        if (
            re.search(r"[.;“”\"]", between)
            or not (not between.strip() or _TAIL_ONLY.match(between) or lemma in ADDRESSEE_VERBS)
            or layout.in_quote(cue.start())
            or _is_passive(text, cue.start())
        ):
            continue
        if cue.group("verb") in PARTICIPLES:
            sp = sentence_subject(text, sent_start, cue.start())
        else:
            sp = speaker_before(text, sent_start, cue.start())
        if sp is not None:
            end, _ = _extend_quotes(layout, index, quote.end)
            found.append(Found((quote.start, end), sp, _cue_span(cue), lemma, "direct"))
            consumed_until = end
    return found


# --- reported speech --------------------------------------------------------------------------------------------
def _content_offset(m: re.Match[str]) -> int:
    """Reported content starts at its complementiser 'that' when there is one (as annotated), else after the tail."""
    if "that" in m.re.groupindex and m.group("that") is not None:
        return m.start("that")
    return m.end()


# What 'asked' puts to someone: a question ('asked whether …', 'asked voters which …') or a request ('asked X to …').
_ASKED_WHAT = re.compile(
    r"\s+(?:about\b|(?:[\w’'.-]+\s+){0,4}?(?:(?P<wh>whether|if|why|how|what|who|which|where|when)|to)\b)"
)


def _content_start_after_cue(text: str, lemma: str, cue_end: int, limit: int) -> int | None:
    rest = text[cue_end:limit]
    if not rest.strip(" .!?,;:"):
        return None
    m = _TAIL_THAT.match(rest) or _TAIL_PUNCT.match(rest)
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
    if lemma in _PREPOSITION_VERBS:
        prep = _PREPOSITION.match(rest)
        if prep and rest[prep.end() :].strip(" .!?,;:"):
            return cue_end + prep.end() + len(rest) - prep.end() - len(rest[prep.end() :].lstrip())
    if _TAIL_ONLY.match(rest) or lemma in MARKED_ONLY:
        return None
    if re.match(r"\s+by\b", rest):
        return None  # "described by …": a passive participle, not a speech act
    if rest[:1].isspace():
        # "said Tuesday he …" / "warned about a crash": the time and the preposition belong to the cue.
        lead = _LEADING_TIME.match(rest)
        offset = lead.end() if lead else 0
        if lemma in _PREPOSITION_VERBS:
            prep = _PREPOSITION.match(rest, offset)
            offset = prep.end() if prep else offset
        return cue_end + offset + len(rest) - offset - len(rest[offset:].lstrip())
    return None


_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_LEADING_TIME = re.compile(
    rf"\s+(?:(?:on\s+)?{_WEEKDAY}(?:\s+(?:night|morning|afternoon|evening))?|today|yesterday|tonight|recently|"
    r"repeatedly|again|publicly|privately|flatly|however|also|(?:last|this)\s+(?:week|month|year|night|weekend))"
    r"(?:\s*,)?(?=\s+(?:he|she|they|it|we|I|you|the|a|an|his|her|their|its|there|[A-Z“\"]))"
)
# Verbs whose content follows a preposition: "complained about the delay", "warned of a crash".
_PREPOSITION_VERBS = frozenset(
    {"complain", "warn", "joke", "brag", "boast", "comment", "speculate", "testify", "remark", "hint", "quip"}
)
_PREPOSITION = re.compile(r"\s+(?:about|of|on|over|against)\b")


# A comma then one of these ends reported content: what follows is the reporter's, not the speaker's.
_AFTERTHOUGHT = frozenset({"who", "which", "when", "where", "whose"})


def _cut_participle(text: str, start: int, end: int) -> tuple[int, re.Match[str] | None]:
    """Content ends before ', adding that …' / ', denying …' (the participle starts a claim of its own), before
    another trailing participle clause (', putting them at odds …') and before a lone dash's afterthought."""
    later_cues = [c for c in CUE_RE.finditer(text, start, end) if c.group("verb") not in PARTICIPLES]
    for m in re.finditer(
        r"(?P<comma>,(?:[”\"’]|'')?)?\s+(?:(?P<conj>and|but|while|whereas|before|after)\s+)?(?=(\w+))", text[start:end]
    ):
        word = m.group(3)
        comma = m.group("comma") or ""
        # A comma inside a closing quotation ('a “blowhard,” and said') cuts after the quotation mark.
        cut = start + m.start() + (len(comma) if len(comma) > 1 else 0)
        if (not comma and m.group("conj") not in {"and", "but", "while", "whereas"}) or (
            _in_quote_text(text, start, cut)
        ):
            continue
        cue = CUE_RE.match(text, start + m.end(), end) or EXPRESS_RE.match(text, start + m.end(), end)
        if cue and (cue.group("verb") in PARTICIPLES or cue.group("verb") == "expressing"):
            return cut, cue
        if (
            cue
            and m.group("conj") in {"and", "but"}
            and cue.group("verb") not in NOUN_LIKE
            and cue.start() == start + m.end()
            and _content_start_after_cue(text, CUE_LEMMA.get(cue.group("verb"), ""), cue.end(), end) is not None
        ):
            # "… that A, and said that B": a second claim of the same speaker.
            return cut, cue
        if (
            m.group("conj") in {"and", "but"}
            and _SECOND_PREDICATE.match(text, start + m.end(), end)
            and not _BE_BEFORE.search(text, max(start, cut - 30), cut)
        ):
            # "pledged to be X and cast doubt on Y" / "insists X, and has championed Y": the subject's next act.
            return cut, None
        if m.group("conj") != "and" and later_cues and _next_speech_clause(text, start + m.end(), end, later_cues):
            # "… that A, but Smith said B" / "… A, while others say B": another speaker's claim begins ("…, and
            # the leadership affirmed B" may still be what the first speaker reports: it stays nested).
            return cut, None
        if not comma:
            continue
        if word.endswith("ing") and word not in {"including", "according", "during", "nothing", "something"}:
            return cut, None
        if word in _AFTERTHOUGHT and m.start() > 20:
            return cut, None
    dashes = [m for m in re.finditer(r"\s(?:—|--|–)\s?|—", text[start:end])]
    if len(dashes) == 1 and not _in_quote_text(text, start, start + dashes[0].start()):
        return start + dashes[0].start(), None
    return end, None


# A second verb of the same subject after "and" / "but": a past form ("cast", "argued", "has championed").
_SECOND_PREDICATE = re.compile(
    r"(?:(?:has|have|had)\s+)?(?:(?:also|then|later|even|still|quickly|now)\s+)?"
    r"(?:(?!(?:need|speed|seed|feed|bed|red|shed|hundred|indeed|united|related|based|used|so-called)\b)[a-z]{3,}ed|"
    r"took|made|cast|gave|went|came|sent|won|lost|left|kept|held|met|ran|saw|said|told|wrote|spoke|"
    r"became|began|brought|bought|built|chose|drew|drove|fought|found|got|heard|knew|led|paid|put|"
    r"rose|set|sought|stood|struck|taught|thought|threw|understood|withdrew|won)\b"
)
# "was passed and signed": a participle coordinated inside a passive is still part of the content.
_BE_BEFORE = re.compile(
    r"\b(?:is|was|were|are|be|been|being|has|have|had|get|got|gets)\s+(?:\w+ly\s+)?\w+(?:ed|en|wn)$"
)


def _next_speech_clause(text: str, pos: int, end: int, cues: list[re.Match[str]]) -> bool:
    """Whether a clause with its own subject and speech verb, then content, starts at `pos` ('Smith said B')."""
    cue = next((c for c in cues if pos < c.start() <= pos + 80), None)
    if cue is None or cue.group("verb") in NOUN_LIKE:
        return False
    between = text[pos : cue.start()]
    if re.search(r"[,;:“”\"(]|''", between) or len(between.split()) > 6 or _is_passive(text, cue.start()):
        return False
    sp = speaker_before(text, pos, cue.start())
    if sp is None or text[pos : sp[0]].strip():
        return False
    return bool(re.match(r"\s+(?:that\b|[a-z“\"]|[A-Z]\w*\s+[a-z])", text[cue.end() : end]))


def _in_quote_text(text: str, start: int, pos: int) -> bool:
    segment = text[start:pos]
    return segment.count("“") > segment.count("”") or segment.count('"') % 2 == 1


def _participle_content(text: str, participle: re.Match[str], limit: int) -> tuple[Span, str] | None:
    p_start = participle.end()
    p_lemma = "express" if participle.re is EXPRESS_RE else CUE_LEMMA[participle.group("verb")]
    if p_lemma in ADDRESSEE_VERBS and p_lemma not in OBJECT_IN_CONTENT:
        start = _content_start_after_cue(text, p_lemma, p_start, limit)
    else:
        t = _TAIL_THAT.match(text[p_start:limit]) or _TAIL_PUNCT.match(text[p_start:limit])
        start = p_start + _content_offset(t) if t else _strip_leading(text, p_start, limit)
    if start is None or start >= limit:
        return None
    end, _ = _cut_participle(text, start, limit)
    end = _strip_trailing(text, start, end)
    return ((start, end), p_lemma) if end - start >= 8 else None


_RELATIVE_BEFORE = re.compile(r"\b(?P<rel>which|what|that|whom)\s+$")
_FINITE_NEXT = re.compile(
    r"(?:could|would|will|was|were|is|are|has|have|had|should|may|might|can|must|did|does|do|[a-z]+ed|[a-z]+s)\b"
)
_CONDITION_OPENER = re.compile(r"(?:If|Unless|While|Although|Though|Even\s+if|Even\s+though|Whether)\b")


def _fronted_start(text: str, lead: int, sp: Span, content_start: int) -> int:
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


_CONJUNCTION_LEAD = re.compile(
    r"(?:(?:But|And|So|Yet|Still|Or)\s*,?\s+|(?:However|In fact|What[’']s more|Indeed|Moreover|Meanwhile|Instead|"
    r"Still|Plus|Also|Now|Then|Nonetheless|Nevertheless|Furthermore|Besides|In addition|In all|Overall)\s*,\s+)"
)


def find_reported(layout: Layout, taken: list[Span], prior: list[Found] | None = None) -> list[Found]:
    """Reported speech after a cue verb, in sentences outside the `taken` spans (the direct quotes in `prior`)."""
    text = layout.text
    found: list[Found] = []
    prior = prior or []
    # Characters already claimed (contents and cues): a byte per character keeps the check O(1).
    mask = bytearray(len(text) + 1)

    def mark(span: Span) -> None:
        mask[span[0] : span[1]] = b"\x01" * (span[1] - span[0])

    for span in taken + [f.cue for f in prior]:
        mark(span)

    def covered(pos: int) -> bool:
        return bool(mask[pos])

    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end):
            continue
        matches = sorted(
            [(m, "verb") for m in CUE_RE.finditer(text, s_start, s_end)]
            + [(m, "express") for m in EXPRESS_RE.finditer(text, s_start, s_end)],
            key=lambda x: x[0].start(),
        )
        for m, family in matches:
            cs, ce = m.span()
            verb = m.group("verb")
            if layout.in_quote(cs) or covered(cs) or covered(m.start("verb")) or _is_passive(text, cs):
                continue
            lemma = "express" if family == "express" else CUE_LEMMA[verb]
            if verb in NOUN_LIKE and cs == m.start("verb"):
                prev = re.search(r"(\S+)\s+$", text[max(s_start, cs - 80) : cs])
                if not prev or not (prev.group(1)[0].isupper() or prev.group(1).lower() in _PRONOUNS):
                    continue
            if verb in PARTICIPLES or verb == "expressing":
                # A participle no earlier claim took: '"He issued a statement, saying …"'.
                if _in_quote_text(text, s_start, cs):
                    continue
                absolute = None
                if not re.search(
                    r"(?:,(?:[”\"’]|'')?\s*(?:and\s+)?|\s(?:—|–|--)\s*|\band\s+|\bby\s+)$",
                    text[max(s_start, cs - 20) : cs],
                ):
                    # "with 50 percent saying …", "– Ryan saying …": a subject of the participle's own.
                    absolute = speaker_before(text, s_start, cs)
                    lead_with = re.match(r"with\s+", text[absolute[0] : absolute[1]]) if absolute else None
                    if absolute is not None and lead_with:
                        absolute = (absolute[0] + lead_with.end(), absolute[1])
                    if absolute is None or not re.search(
                        r"(?:\bwith|[,;—–])\s*$", text[max(s_start, absolute[0] - 10) : absolute[0]]
                    ):
                        continue
                    subject = [_bare(w) for w in text[absolute[0] : absolute[1]].split()]
                    if not (text[absolute[0]].isupper() or text[absolute[0]].isdigit() or subject[0] in _DETERMINERS):
                        continue  # "…, while saying" / "…, responded by first saying": no subject of its own
                    if any(w in _STRONG_BOUNDARY or w in {"upon", "by", "first", "only", "not"} for w in subject):
                        continue
                # The speaker of a quote whose speech clause it continues, else the subject of the sentence.
                earlier = [f for f in prior + found if s_start <= f.cue[0] < cs and f.speaker is not None]
                sp = absolute or (earlier[-1].speaker if earlier else sentence_subject(text, s_start, cs))
                got = _participle_content(text, m, s_end) if sp is not None else None
                if got is not None and sp is not None:
                    found.append(Found(got[0], sp, (cs, ce), got[1], "reported"))
                    mark(got[0])
                    mark((cs, ce))
                continue
            sp = None
            if re.search(r"\s(?:and|but)\s*$", text[max(s_start, cs - 20) : cs]):
                # "X rejected the idea and said that …": the subject of the sentence.
                sp = sentence_subject(text, s_start, cs)
            sp = sp or speaker_before(text, s_start, cs)
            content: Span | None = None
            participle = None
            if sp is not None:
                window = max(s_start, sp[0] - _SUBJECT_REACH)
                before_speaker = text[window : sp[0]]
                comma_before = re.search(r",(?:[”\"’]|'')?\s*$", before_speaker)
                if family == "express":
                    start_after: int | None = _strip_leading(text, ce, s_end)
                else:
                    start_after = _content_start_after_cue(text, lemma, ce, s_end)
                rest = text[ce:s_end]
                lead = _skip_dateline(text, _strip_leading(text, s_start, sp[0]), sp[0])
                conj = _CONJUNCTION_LEAD.match(text[lead : sp[0]])
                if conj:
                    lead += conj.end()
                # Text before "…, he said" is the content when it is more than an opening adverbial ("On Monday,").
                front = (
                    (comma_before and len(text[max(lead, sp[0] - 100) : sp[0]].split()) >= 3)
                    or (comma_before and re.match(rf"^\s*(?:{_TIME}\s*)?,\s*\S", rest) and before_speaker.strip(" ,"))
                ) and not _in_quote_text(text, s_start, sp[0])
                tail_then = re.match(rf"^\s*(?:(?:{_TIME}|in\s+[A-Z][\w.’'-]*)\s*){{0,3}},\s*", rest)
                then_participle = None
                if tail_then:
                    then_participle = CUE_RE.match(text, ce + tail_then.end(), s_end) or EXPRESS_RE.match(
                        text, ce + tail_then.end(), s_end
                    )
                    if then_participle and then_participle.group("verb") not in PARTICIPLES | {"expressing"}:
                        then_participle = None
                if (
                    front
                    and comma_before
                    and ((_TAIL_ONLY.match(rest) and len(rest.split()) <= 6) or then_participle is not None)
                ):
                    # "Content, he said." / "Content, he said Tuesday, adding that …"
                    content = (lead, _strip_trailing(text, lead, window + comma_before.end()))
                    participle = then_participle
                elif front and re.match(rf"^\s*(?:{_TIME}\s*)?,\s*\S", rest):
                    # "Content, he said, more content."
                    content = (lead, _strip_trailing(text, lead, s_end))
                elif start_after is not None and start_after < s_end:
                    end, participle = _cut_participle(text, start_after, s_end)
                    content = (_fronted_start(text, lead, sp, start_after), _strip_trailing(text, start_after, end))
            else:
                # Inverted: "Content, said Smith." / "Content, says the report."
                before = text[max(s_start, cs - 20) : cs]
                if (
                    re.search(r",(?:[”\"’]|'')?\s*$", before)
                    and text[s_start:cs].strip(" ,")
                    and not _in_quote_text(text, s_start, cs)
                ):
                    sp = speaker_after(text, ce, s_end)
                    if sp is not None:
                        lead = _skip_dateline(text, _strip_leading(text, s_start, cs), cs)
                        conj = _CONJUNCTION_LEAD.match(text, lead, cs)
                        if conj:
                            lead = conj.end()
                        content = (lead, _strip_trailing(text, lead, cs))
            if (
                sp is None
                or content is None
                or content[1] - content[0] < 8
                or len(text[content[0] : min(content[1], content[0] + 40)].split()) < 2
            ):
                continue
            found.append(Found(content, sp, (cs, ce), lemma, "reported"))
            mark(content)
            mark((cs, ce))
            if participle is not None:
                got = _participle_content(text, participle, s_end)
                if got is not None:
                    found.append(Found(got[0], sp, participle.span(), got[1], "reported"))
                    mark(got[0])
                    mark(participle.span())
    return found


# The source after 'according to': up to a comma, semicolon, colon, bracket, dash or sentence end. Matched on text
# whose abbreviation dots are masked ('Rep. Jane Roe', 'the A.F.L.-C.I.O.'); a dot inside a word ('Factcheck.org')
# is no sentence end either.
_ACCORDING_NP = re.compile(r"\s+((?:[^,;:.“”\"()—–]|\.(?=[\w-]))+?)(?=\s*(?:[,;:)]|\.\s|\.$|$|\s(?:-|—|–)\s|—))")


def find_according(layout: Layout, taken: list[Span]) -> list[Found]:
    text = layout.text
    found: list[Found] = []
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end):
            continue
        for m in ACCORDING_RE.finditer(text, s_start, s_end):
            if layout.in_quote(m.start()) or any(s <= m.start() < e for s, e in taken):
                continue
            np = _ACCORDING_NP.match(_ABBREVIATION_DOT.sub(_mask_dot, text[m.end() : s_end]))
            if not np:
                continue
            sp = (m.end() + np.start(1), m.end() + np.end(1))
            if len(text[sp[0] : sp[1]].split()) > 12:
                continue
            lead = _skip_dateline(text, _strip_leading(text, s_start, m.start()), m.start())
            conj = _CONJUNCTION_LEAD.match(text, lead, m.start())
            if conj and conj.end() <= m.start():
                lead = conj.end()  # "But, according to X, …" / "Nevertheless, … according to X"
            before = text[lead : m.start()].strip()
            after_np = sp[1]
            if not before or before.lower() in _LEADING_ADVERBS:
                rest = re.match(r"\s*,\s*", text[after_np:s_end])
                if not rest:
                    continue
                start = after_np + rest.end()
                content = (start, _strip_trailing(text, start, s_end))
            else:
                tail = text[after_np:s_end]
                if re.match(r"^\s*,\s*\S", tail) and tail.strip(" ,.)") and len(before.split()) < 6:
                    # "The plan, according to officials, would cost more": the source interrupts the content.
                    content = (lead, _strip_trailing(text, lead, s_end))
                else:
                    content = (lead, _strip_trailing(text, lead, m.start()))
            if content[1] - content[0] >= 8:
                found.append(Found(content, sp, m.span(), "according", "according"))
    return found


_HEADLINE_COLON = re.compile(rf"^(?P<sp>{_NAME})\s*(?P<cue>:)\s+(?P<content>\S.*?)[.]?$")
_NOT_SPEAKERS = _wordset(
    """note update updated photo photos video watch read source sources credit credits editor correction
    disclosure breaking exclusive opinion analysis live related q a transcript the latest warning summary
    background context fact check factcheck poll data chart map timeline"""
)


# A transcript turn: 'TAPPER: Do you think …' (the speaker's name in capitals, a colon, what was said).
_TRANSCRIPT_TURN = re.compile(r"(?P<sp>[A-Z][A-Z.’'-]+(?:\s[A-Z][A-Z.’'-]+){0,2})(?P<cue>:)\s+(?P<content>\S.*?)\s*$")


# A headline in title case: 'Senator Says Bill Will Pass', 'Mayor Warns Of Long Winter'.
_TITLE_CASE_HEADLINE = re.compile(
    r"(?P<sp>(?:[A-Z][\w.’'-]*\s+){0,5}[A-Z][\w.’'-]*)\s+"
    r"(?P<cue>Says|Say|Tells|Warns|Claims|Admits|Denies|Insists|Vows|Urges|Predicts|Suggests|Argues|Declares|"
    r"Confirms|Announces|Concedes|Pledges|Promises)\s+(?P<content>[A-Z“‘\"'$\d].*?)\s*\.?\s*$"
)


def find_headline_statements(layout: Layout) -> list[Found]:
    """Headline style 'Trump: My plans are not set in stone.' (a short paragraph, a name, a colon, the claim), and
    the turns of a transcript ('TAPPER: Do you think …', when at least two paragraphs open that way)."""
    text = layout.text
    found: list[Found] = []
    turns = [
        (p_start, m)
        for p_start, p_end in layout.paragraphs
        if (m := _TRANSCRIPT_TURN.match(text, p_start, p_end))
        and len(m.group("sp")) > 1
        and not any(w.lower().strip(".’'") in _NOT_SPEAKERS for w in m.group("sp").split())
        and not layout.is_furniture(p_start, p_end)
    ]
    transcript = len({m.group("sp") for _, m in turns}) >= 2
    for p_start, p_end in layout.paragraphs:
        line = text[p_start:p_end]
        if len(line.split()) > 30 or layout.is_furniture(p_start, p_end):
            continue
        m = _HEADLINE_COLON.match(line)
        if not m:
            continue
        name = m.group("sp")
        words = name.split()
        if len(words) > 4 or name.isupper() or any(w.lower().strip(".’'") in _NOT_SPEAKERS for w in words):
            continue
        if len(m.group("content").split()) < 3:
            continue
        found.append(
            Found(
                (p_start + m.start("content"), p_start + m.end("content")),
                (p_start + m.start("sp"), p_start + m.end("sp")),
                (p_start + m.start("cue"), p_start + m.end("cue")),
                "say",
                "reported",
            )
        )
    for p_start, p_end in layout.paragraphs:
        m = _TITLE_CASE_HEADLINE.match(text, p_start, p_end)
        if m is None or layout.is_furniture(p_start, p_end) or len(text[p_start:p_end].split()) > 25:
            continue
        words = text[p_start:p_end].split()
        capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
        if capitalised < 0.7 * len(words) or any(w.lower() in _NOT_SPEAKERS for w in m.group("sp").split()):
            continue  # a headline is in title case; a sentence with a capitalised name is not
        cue_lemma = m.group("cue").split()[0].lower()
        found.append(Found(m.span("content"), m.span("sp"), m.span("cue"), CUE_LEMMA.get(cue_lemma, "say"), "reported"))
    if transcript:
        for _, m in turns:
            if len(m.group("content").split()) >= 2:
                found.append(Found(m.span("content"), m.span("sp"), m.span("cue"), "say", "transcript"))
    return found
