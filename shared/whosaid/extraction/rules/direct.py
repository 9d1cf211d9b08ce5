"""Stage 1, direct quotes: a quotation with its speech clause after it ('"…," he said', '"…," said Smith') or
before it ('X said: "…"', 'The sources added, "…"'), interrupted and multi-paragraph quotes joined into one.

It runs first and claims its quotations before any other finder reads the text.
"""

from __future__ import annotations

import re

from whosaid.extraction.rules.claim_spans import ClaimSpans
from whosaid.extraction.rules.cues import ADDRESSEE_VERBS, CUE_LEMMA, CUE_RE, PARTICIPLES
from whosaid.extraction.rules.grammar import ABBREVIATION_DOT, SUBJECT_REACH, TAIL_ONLY, is_passive
from whosaid.extraction.rules.subjects import sentence_subject, speaker_after, speaker_before
from whosaid.extraction.rules.text import Layout
from whosaid.extraction.spans import Span


def find_direct(layout: Layout) -> list[ClaimSpans]:
    """Each quotation with a speech clause, in text order; a quotation joined into an earlier one is skipped."""
    text = layout.text
    found: list[ClaimSpans] = []
    consumed_until = -1
    for index, quote in enumerate(layout.quotes):
        if quote.start < consumed_until or layout.is_furniture(quote.start, quote.end):
            continue
        words = len(text[quote.start : quote.end].split())
        claim = _clause_after(layout, index, words, consumed_until) if quote.closed else None
        if claim is None and words >= 2:
            claim = _clause_before(layout, index)
        if claim is not None:
            found.append(claim)
            consumed_until = claim.content[1]
    return found


def _clause_after(layout: Layout, index: int, words: int, consumed_until: int) -> ClaimSpans | None:
    """Speech clause after the quote: '"…," he said' / '"…," said Smith' / '"…" Smith told CNN.'"""
    text, quote = layout.text, layout.quotes[index]
    para_start, para_end = layout.paragraphs[quote.paragraph]
    clause = _speech_clause_after(layout, index, words)
    # A quote inside a sentence ('the plan is "dead," he said') is a mixed claim: reported speech's.
    opens_sentence = quote.start == para_start or bool(
        re.search(r"(?:[.!?:]|[.!?][”\"’]|'')\s*$|^\s*$", text[max(para_start, quote.start - 4) : quote.start])
    )
    if clause is None or not opens_sentence:
        return None
    (cs, ce), sp, lemma = clause
    after = _quoting_on(layout, index, _clause_end(text, max(ce, sp[1]), para_end) + 1)
    end, last = _extend_quotes(layout, index, after)
    start = _run_on_start(layout, index, consumed_until)
    run_on = _sentence_runs_on(text, quote.end, min(cs, sp[0])) if last == index else None
    if run_on is not None:
        return ClaimSpans((start, run_on), sp, (cs, ce), lemma, "reported")  # quote and words: a mixed claim
    end = _quote_paragraphs_after(layout, last, end)
    return ClaimSpans((start, end), sp, (cs, ce), lemma, "direct")


def _sentence_tail(layout: Layout, last: int, end: int) -> int | None:
    """A quotation after its speech clause closing without punctuation of its own, then the sentence going on in
    lowercase words ('X added: "we should have seen" it coming.'): the speaker's words end with the sentence. Returns
    that end, or None when the quotation ends the sentence or a speech clause follows it."""
    text, quote = layout.text, layout.quotes[last]
    if end != quote.end or not quote.closed:
        return None
    inside = text[end - 3 : end].rstrip("”\"’'")
    para_end = layout.paragraphs[quote.paragraph][1]
    tail = re.match(r"\s+[a-z][^“”\".!?;:]*(?=[.!?]|$)", text[end:para_end])
    if not inside or inside[-1] in ",.;:!?…-—–" or tail is None or CUE_RE.search(tail.group()):
        return None
    return end + tail.end()


def _sentence_runs_on(text: str, quote_end: int, clause_start: int) -> int | None:
    """A quotation closing without punctuation of its own does not end what is said: '"I held and hugged" grieving
    families, he said' / '"no view on the merits" of the case, the opinion said'. Where the content then ends (before
    the comma of the speech clause), or None when the quote ends its words."""
    inside = text[quote_end - 3 : quote_end].rstrip("”\"’'")
    gap = text[quote_end:clause_start]
    if not inside or inside[-1] in ",.;:!?…-—–" or not re.fullmatch(r"\s+[a-z][^“”\"]*?,\s*", gap):
        return None
    return quote_end + len(gap.rstrip()) - 1


def _speech_clause_after(layout: Layout, index: int, words: int) -> tuple[Span, Span, str] | None:
    """The speech clause right after a closed quotation ('…," he said' / '…," said Smith'): its cue span, speaker
    and lemma; None when the sentence ends or another quote opens before any cue."""
    text, quote = layout.text, layout.quotes[index]
    para_end = layout.paragraphs[quote.paragraph][1]
    lookahead = text[quote.end : min(para_end, quote.end + 200)]
    cue = CUE_RE.search(lookahead)
    if not cue or cue.group("verb") in PARTICIPLES or _sentence_break(lookahead[: cue.start()]):
        return None
    cs, ce = quote.end + cue.start(), quote.end + cue.end()
    sp = speaker_before(text, quote.end, cs)
    if sp is None and not lookahead[: cue.start()].strip(" ,—–-"):
        sp = speaker_after(text, ce, para_end)
    if sp is None or not (words >= 2 or text[quote.end - 2] in ",?!"):
        return None
    return (cs, ce), sp, CUE_LEMMA[cue.group("verb")]


def _quoting_on(layout: Layout, index: int, after: int) -> int:
    """The speaker goes on quoting after a longer speech clause ('…," said X, a Y who Z. "…"'): the next quotation
    of the paragraph then continues this one."""
    text, quote = layout.text, layout.quotes[index]
    following = layout.quotes[index + 1] if index + 1 < len(layout.quotes) else None
    if following is not None and following.paragraph == quote.paragraph and following.start > after:
        gap = text[after : following.start]
        if not re.search(r"[“”\"]|''", gap) and len(gap.split()) <= 40 and not CUE_RE.search(gap):
            return following.start
    return after


def _clause_before(layout: Layout, index: int) -> ClaimSpans | None:
    """Speech clause before the quote: 'X said: "…"' / 'The sources added, "…"' / '…, saying, "…"'."""
    text, quote = layout.text, layout.quotes[index]
    sent_start = _speech_clause_start(layout, index)
    m2 = re.search(r"[,:]\s*$", text[sent_start : quote.start])
    if not m2:
        return None
    cues = list(CUE_RE.finditer(text, sent_start, sent_start + m2.start()))
    if not cues:
        return None
    cue = cues[-1]
    between = text[cue.end() : sent_start + m2.start()]
    lemma = CUE_LEMMA[cue.group("verb")]
    if (
        re.search(r"[.;“”\"]", between)
        or not (not between.strip() or TAIL_ONLY.match(between) or lemma in ADDRESSEE_VERBS)
        or layout.in_quote(cue.start())
        or is_passive(text, cue.start())
    ):
        return None
    if cue.group("verb") in PARTICIPLES:
        sp = sentence_subject(text, sent_start, cue.start())
    else:
        sp = speaker_before(text, sent_start, cue.start())
    if sp is None:
        return None
    end, last = _extend_quotes(layout, index, quote.end)
    tail = _sentence_tail(layout, last, end) if last == index else None
    if tail is not None:
        return ClaimSpans((quote.start, tail), sp, cue.span(), lemma, "reported")
    end = _quote_paragraphs_after(layout, last, end)
    return ClaimSpans((quote.start, end), sp, cue.span(), lemma, "direct")


def _speech_clause_start(layout: Layout, index: int) -> int:
    """Where the speech clause before a quote may start: its sentence, or the sentence of 'X said:' closing the
    previous paragraph when the quote opens its own; never more than SUBJECT_REACH back."""
    text, quote = layout.text, layout.quotes[index]
    para_start = layout.paragraphs[quote.paragraph][0]
    sent_start = next((s for s, e in layout.sentences if s <= quote.start < e), para_start)
    if sent_start == quote.start and index > 0:
        # A quote that opens its paragraph after 'X said:' closing the previous one.
        prev_para = layout.paragraphs[quote.paragraph - 1] if quote.paragraph > 0 else None
        if prev_para and text[prev_para[1] - 1] == ":":
            sent_start = next((s for s, e in layout.sentences if s <= prev_para[1] - 1 < e), prev_para[0])
    return max(sent_start, quote.start - SUBJECT_REACH)


def _sentence_break(segment: str) -> bool:
    """Whether a short stretch of text ends a sentence or opens a quote (abbreviations do not count)."""
    return bool(re.search(r"[.!?“\"]|''", ABBREVIATION_DOT.sub("Xx", segment)))


def _quote_paragraphs_after(layout: Layout, last: int, end: int) -> int:
    """A speech clause closing its paragraph carries on into the paragraphs after it that are nothing but a
    quotation: '"A," he said.⏎⏎"B."' quotes one speaker (a new speaker or a narrative sentence would break the run).
    `last` is the index of the claim's last quotation; returns the claim's new end."""
    text, qs = layout.text, layout.quotes
    paragraph = qs[last].paragraph
    if _another_sentence(text[end : layout.paragraphs[paragraph][1]]):
        return end  # the paragraph goes on after the speech clause: the reporter's narrative, not the quote
    while last + 1 < len(qs):
        nxt = qs[last + 1]
        if (
            nxt.paragraph != paragraph + 1
            or nxt.start != layout.paragraphs[nxt.paragraph][0]
            or len(text[nxt.start : nxt.end].split()) < 3
        ):
            break
        run_end, run_last = _extend_quotes(layout, last + 1, nxt.end)
        if text[run_end : layout.paragraphs[qs[run_last].paragraph][1]].strip():
            break  # the paragraph goes on after its quotation (its own speech clause, a narrative sentence)
        end, last, paragraph = run_end, run_last, qs[run_last].paragraph
    return end


def _another_sentence(segment: str) -> bool:
    """Whether a stretch of text holds a sentence end followed by more text (abbreviation dots do not count)."""
    return bool(re.search(r"[.!?:](?:[”\"’]|'')?\s+\S", ABBREVIATION_DOT.sub("Xx", segment)))


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
            if nxt.closed and _speech_clause_after(layout, i + 1, len(text[nxt.start : nxt.end].split())):
                # '"A," he said. "B," he added.': a quotation with a speech clause of its own is a claim of its own.
                break
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
    stop = re.search(r"[.,;:!?]|$", ABBREVIATION_DOT.sub(lambda m: "x" * len(m.group()), text[pos:limit]))
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
