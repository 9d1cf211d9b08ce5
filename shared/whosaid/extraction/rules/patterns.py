"""The attribution patterns: direct quotes with their speech clause, reported speech and 'according to'.

Each finder returns `Found` records (offsets only); `whosaid.extraction.rules` turns them into claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whosaid.extraction.rules.cues import ACCORDING_RE, ADDRESSEE_VERBS, CUE_LEMMA, CUE_RE, EXPRESS_RE, PARTICIPLES
from whosaid.extraction.rules.text import Layout, Quote, Span


@dataclass
class Found:
    content: Span
    speaker: Span | None
    cue: Span
    lemma: str
    kind: str  # "direct" | "reported" | "according"


_TOKEN = re.compile(r"[^\s]+")
_STRONG_BOUNDARY = frozenset(
    """which where when while because but although though since if whether as so whom whose unless until once
    after before than or nor yet because""".split()
)
_AUX = frozenset("is was were are be been being has have had did does do will would could should can may might".split())
_LEADING_ADVERBS = frozenset(
    """but and so yet still meanwhile however also now then later instead indeed earlier today separately similarly
    previously moreover further furthermore finally ultimately thus nonetheless nevertheless besides again""".split()
)
_DETERMINERS = frozenset(
    """the a an some many most several few both all each every one two three four five six seven eight nine ten
    his her their its our my your this that these those other another no any more""".split()
)
_PRONOUNS = frozenset("he she they it i we you who".split())
_PASSIVE_BEFORE = re.compile(r"\b(?:is|was|were|are|be|been|being|it's|it’s)\s+(?:\w+ly\s+)?$", re.I)
_TIME = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|tonight|recently|earlier|later|"
    r"last\s+\w+|this\s+\w+|on\s+\w+|in\s+(?:a|an|the|his|her|their|its)\b[^,.;:“”\"]{0,50}?|at\s+(?:a|an|the)\b[^,.;:“”\"]{0,50}?|"
    r"during\s+[^,.;:“”\"]{0,50}?|via\s+\w+|on\s+(?:Twitter|Facebook|Fox|CNN|MSNBC|NBC|ABC|CBS)[^,.;:“”\"]{0,30}?|"
    r"to\s+(?:reporters|journalists|supporters|the\s+\w+|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)|"
    r"(?:of|about)\s+[^,.;:“”\"]{0,40}?|(?:publicly|privately|repeatedly|flatly|again|simply|bluntly|firmly)|"
    r"(?:\w+\s+)?(?:ago|before|afterward|afterwards))"
)
_TAIL_THAT = re.compile(rf"^\s*(?:{_TIME}\s*,?\s*){{0,3}}\s*that(?:\s*,\s*|\s+)")
_TAIL_PUNCT = re.compile(rf"^\s*(?:{_TIME}\s*){{0,3}}\s*[,:]\s*")
_TAIL_ONLY = re.compile(rf"^\s*(?:{_TIME}\s*,?\s*){{0,3}}\s*[.!?]?\s*$")
_ADDRESSEE = re.compile(
    r"^\s+(?:him|her|them|me|us|you|reporters|journalists|supporters|voters|listeners|viewers|the\s+[\w’'-]+(?:\s+[\w’'-]+)?|"
    r"an?\s+[\w’'-]+(?:\s+[\w’'-]+)?|[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*)*)"
    rf"(?:\s+(?:{_TIME}))?\s*(?:that\s+|[,:]\s*|\s)"
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
    if any(w in _AUX for w in words) or any(w in _STRONG_BOUNDARY for w in words[1:]):
        return False
    if words[-1] in _DETERMINERS - {"one", "two", "three"} or words[-1] in {"to", "of", "for", "and", "the", "with", "in"}:
        return False
    if first[0].isupper() or first[0].isdigit() or words[0] in _DETERMINERS or words[0] in _PRONOUNS:
        return True
    # A short lowercase plural subject: "officials said", "aides to the governor told".
    return len(tokens) <= 6


def speaker_before(text: str, start: int, cue_start: int) -> Span | None:
    """The subject that ends right before the cue, searched no further back than `start`."""
    end = cue_start
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start or text[end - 1] in ",;:.!?”\"":
        return None
    # The clause: from the last comma/semicolon/colon (or the sentence start) up to the cue.
    clause_start = start
    for m in re.finditer(r"[,;:—–]\s*|\s-\s", text[start:end]):
        clause_start = start + m.end()
    tokens = _words(text, clause_start, end)
    while tokens and _bare(text[tokens[0][0] : tokens[0][1]]) in _LEADING_ADVERBS and len(tokens) > 1:
        tokens = tokens[1:]
    if _good_subject(text, tokens, 30):
        return tokens[0][0], tokens[-1][1]
    # Backward: stop at a conjunction, a relative word, an auxiliary or a complementiser "that".
    tokens = _words(text, clause_start, end)
    picked: list[tuple[int, int]] = []
    for i in range(len(tokens) - 1, -1, -1):
        word = _bare(text[tokens[i][0] : tokens[i][1]])
        if word in _STRONG_BOUNDARY or word in _AUX or word == "that" or word == "and" and picked:
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


_SPEAKER_AFTER = re.compile(
    r"^\s+(?P<sp>(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|St|Jr|Sgt|Capt|Prof)\.|[\w’'\-()&]+)"
    r"(?:\s+(?:(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|St|Jr|Sgt|Capt|Prof)\.|[A-Z]\.|[\w’'\-()&]+)){0,7}?)"
    r"(?=\s*(?:[,.;:!?]|$))"
)


def speaker_after(text: str, pos: int, limit: int) -> Span | None:
    """Inverted order: 'said Smith' / 'said the spokesman, ...'."""
    m = _SPEAKER_AFTER.match(text[pos:limit])
    if not m:
        return None
    s, e = pos + m.start("sp"), pos + m.end("sp")
    first = text[s:e].split()[0]
    if not (first[0].isupper() or first.lower() in _DETERMINERS or first.lower() in _PRONOUNS):
        return None
    if any(_bare(w) in _AUX or _bare(w) == "that" for w in text[s:e].split()):
        return None
    return s, e


def _cue_span(m: re.Match[str]) -> Span:
    return m.start(), m.end()


def _is_passive(text: str, cue_start: int) -> bool:
    return bool(_PASSIVE_BEFORE.search(text[max(0, cue_start - 25) : cue_start]))


def _cue_at(text: str, pos: int, limit: int) -> re.Match[str] | None:
    m = CUE_RE.match(text, pos, limit)
    return m if m and m.group("verb") not in PARTICIPLES else None


# --- direct quotes -------------------------------------------------------------------------------------------
def _extend_quotes(layout: Layout, quote_index: int, after: int) -> int:
    """Extend a quotation through quotes that follow in the same paragraph (only spaces, or a speech clause,
    between them), and into the next paragraphs while a quote runs on."""
    text, qs = layout.text, layout.quotes
    end = qs[quote_index].end
    i = quote_index
    cursor = max(after, end)
    while i + 1 < len(qs):
        nxt, cur = qs[i + 1], qs[i]
        gap = text[cursor : nxt.start]
        if nxt.paragraph == cur.paragraph and not gap.strip(" ,.;:—–-\u00a0"):
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
    return end


def find_direct(layout: Layout) -> list[Found]:
    text = layout.text
    found: list[Found] = []
    consumed_until = -1
    for index, quote in enumerate(layout.quotes):
        if quote.start < consumed_until or layout.is_furniture(quote.start, quote.end):
            continue
        para_end = layout.paragraphs[quote.paragraph][1]
        inner = text[quote.start : quote.end]
        if len(inner.split()) < 3:
            continue  # a scare-quoted word or phrase is not a quotation
        # 1. Speech clause after the quote: '"…," he said' / '"…," said Smith' / '"…" Smith told CNN.'
        pos = quote.end
        clause = None
        if quote.closed:
            m = None
            sp = None
            lookahead = text[pos : min(para_end, pos + 160)]
            cue = CUE_RE.search(lookahead)
            if cue and cue.group("verb") not in PARTICIPLES and not re.search(r"[.!?“\"]", lookahead[: cue.start()]):
                cue_abs = (pos + cue.start(), pos + cue.end())
                sp = speaker_before(text, pos, cue_abs[0])
                if sp is None and not lookahead[: cue.start()].strip(" ,—–-"):
                    tail_end = pos + cue.end()
                    sp = speaker_after(text, tail_end, para_end)
                if sp is not None:
                    m = cue
                    clause = (cue_abs, sp)
            if m is not None and clause is not None:
                (cs, ce), sp = clause
                lemma = CUE_LEMMA[m.group("verb")]
                clause_end = max(ce, sp[1])
                stop = re.search(r"[.,;:!?]|$", text[clause_end:para_end])
                after = clause_end + (stop.start() if stop else 0)
                end = _extend_quotes(layout, index, after + 1)
                if end == quote.end and stop and text[after : after + 1] == ",":
                    # '"…," he said, adding that …' leaves the rest to reported speech.
                    pass
                found.append(Found((quote.start, end), sp, (cs, ce), lemma, "direct"))
                consumed_until = end
                continue
        # 2. Speech clause before the quote: 'X said: "…"' / 'The sources added, "…"'.
        sent_start = next((s for s, e in layout.sentences if s <= quote.start < e), layout.paragraphs[quote.paragraph][0])
        before = text[sent_start : quote.start]
        m2 = re.search(r"[,:]\s*$", before)
        if m2:
            cues = [c for c in CUE_RE.finditer(text, sent_start, sent_start + m2.start())]
            if cues:
                cue = cues[-1]
                between = text[cue.end() : sent_start + m2.start()]
                if (
                    cue.group("verb") not in PARTICIPLES
                    and not re.search(r"[,.;“”\"]", between)
                    and (not between.strip() or _TAIL_ONLY.match(between) or CUE_LEMMA[cue.group("verb")] in ADDRESSEE_VERBS)
                    and not layout.in_quote(cue.start())
                    and not _is_passive(text, cue.start())
                ):
                    sp = speaker_before(text, sent_start, cue.start())
                    if sp is not None:
                        end = _extend_quotes(layout, index, quote.end)
                        found.append(Found((quote.start, end), sp, _cue_span(cue), CUE_LEMMA[cue.group("verb")], "direct"))
                        consumed_until = end
    return found


# --- reported speech --------------------------------------------------------------------------------------------
def _content_start_after_cue(text: str, lemma: str, cue_end: int, limit: int) -> int | None:
    rest = text[cue_end:limit]
    if not rest.strip(" .!?,;:"):
        return None
    m = _TAIL_THAT.match(rest) or _TAIL_PUNCT.match(rest)
    if m:
        return cue_end + m.end()
    if lemma in ADDRESSEE_VERBS:
        m = _ADDRESSEE.match(rest)
        if m:
            return cue_end + m.end()
        return None
    if _TAIL_ONLY.match(rest):
        return None
    if rest[:1].isspace():
        return cue_end + len(rest) - len(rest.lstrip())
    return None


def _cut_participle(text: str, start: int, end: int) -> tuple[int, re.Match[str] | None]:
    """Content ends before ', adding that …' / ', denying …'; the participle starts a claim of its own."""
    for m in re.finditer(r",\s+(?:(?:and|while|before|after)\s+)?(?=(\w+))", text[start:end]):
        word = m.group(1)
        if word in PARTICIPLES or word == "expressing":
            cue = CUE_RE.match(text, start + m.end(), end) or EXPRESS_RE.match(text, start + m.end(), end)
            if cue and not _in_quote_text(text, start, start + m.start()):
                return start + m.start(), cue
    return end, None


def _in_quote_text(text: str, start: int, pos: int) -> bool:
    segment = text[start:pos]
    return segment.count("“") > segment.count("”") or segment.count('"') % 2 == 1


def find_reported(layout: Layout, taken: list[Span]) -> list[Found]:
    text = layout.text
    found: list[Found] = []

    def covered(pos: int) -> bool:
        return any(s <= pos < e for s, e in taken) or any(f.content[0] <= pos < f.content[1] for f in found)

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
            if layout.in_quote(cs) or covered(cs) or _is_passive(text, cs):
                continue
            lemma = "express" if family == "express" else CUE_LEMMA[verb]
            if verb in PARTICIPLES or verb == "expressing":
                continue  # participles are taken with the clause they hang from
            sp = speaker_before(text, s_start, cs)
            content: Span | None = None
            participle = None
            if sp is not None:
                before_speaker = text[s_start : sp[0]]
                comma_before = re.search(r",\s*$", before_speaker)
                start_after = (
                    ce if family == "express" and text[ce - 1].isalpha() else _content_start_after_cue(text, lemma, ce, s_end)
                )
                if family == "express":
                    start_after = _strip_leading(text, ce, s_end)
                rest = text[ce:s_end]
                lead = _strip_leading(text, s_start, sp[0])
                front = comma_before and before_speaker.strip(" ,") and not _in_quote_text(text, s_start, sp[0])
                if front and _TAIL_ONLY.match(rest):
                    # "Content, he said."
                    content = (lead, _strip_trailing(text, lead, s_start + comma_before.start()))
                elif front and re.match(rf"^\s*(?:{_TIME}\s*)?,\s*\S", rest):
                    # "Content, he said, more content."
                    content = (lead, _strip_trailing(text, lead, s_end))
                elif start_after is not None and start_after < s_end:
                    end, participle = _cut_participle(text, start_after, s_end)
                    content = (start_after, _strip_trailing(text, start_after, end))
            else:
                # Inverted: "Content, said Smith." / "Content, says the report."
                before = text[s_start:cs]
                if re.search(r",\s*$", before) and before.strip(" ,") and not _in_quote_text(text, s_start, cs):
                    sp = speaker_after(text, ce, s_end)
                    if sp is not None:
                        lead = _strip_leading(text, s_start, cs)
                        content = (lead, _strip_trailing(text, lead, s_start + len(before.rstrip(" ,"))))
            if sp is None or content is None or content[1] - content[0] < 8 or len(text[content[0] : content[1]].split()) < 2:
                continue
            if text[content[0]] in "“\"" and (q := layout.in_quote(content[0] + 1)) and q.start == content[0] and q.end >= content[1] - 1:
                # Entirely a quotation: the direct-quote finder owns it.
                continue
            found.append(Found(content, sp, (cs, ce), lemma, "reported"))
            if participle is not None:
                p_start = participle.end()
                p_lemma = "express" if participle.re is EXPRESS_RE else CUE_LEMMA[participle.group("verb")]
                if p_lemma in ADDRESSEE_VERBS:
                    start2 = _content_start_after_cue(text, p_lemma, p_start, s_end)
                else:
                    t = _TAIL_THAT.match(text[p_start:s_end]) or _TAIL_PUNCT.match(text[p_start:s_end])
                    start2 = p_start + t.end() if t else _strip_leading(text, p_start, s_end)
                if start2 is not None and start2 < s_end:
                    end2, _ = _cut_participle(text, start2, s_end)
                    end2 = _strip_trailing(text, start2, end2)
                    if end2 - start2 >= 8:
                        found.append(Found((start2, end2), sp, participle.span(), p_lemma, "reported"))
    return found


def find_according(layout: Layout, taken: list[Span]) -> list[Found]:
    text = layout.text
    found: list[Found] = []
    for s_start, s_end in layout.sentences:
        if layout.is_furniture(s_start, s_end):
            continue
        for m in ACCORDING_RE.finditer(text, s_start, s_end):
            if layout.in_quote(m.start()) or any(s <= m.start() < e for s, e in taken):
                continue
            np = re.match(r"\s+([^,;.“”\"()]+?)(?=\s*(?:[,;)]|\.\s|\.$|$))", text[m.end() : s_end])
            if not np:
                continue
            sp = (m.end() + np.start(1), m.end() + np.end(1))
            if len(text[sp[0] : sp[1]].split()) > 12:
                continue
            lead = _strip_leading(text, s_start, m.start())
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
                if re.match(r"^\s*,\s*\S", tail) and tail.strip(" ,.)"):
                    content = (lead, _strip_trailing(text, lead, s_end))
                else:
                    content = (lead, _strip_trailing(text, lead, m.start()))
            if content[1] - content[0] >= 8:
                found.append(Found(content, sp, m.span(), "according", "according"))
    return found
