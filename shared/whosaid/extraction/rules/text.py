"""Stage 0, the layout: paragraphs, sentences, quotations and page furniture of an article, all as offsets.

Every finder reads the article through its `Layout`; nothing here decides who said what.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from whosaid.extraction.lexicon import METADATA_LABELS, SENTENCE_ABBREVIATIONS, one_of
from whosaid.extraction.spans import Span, strip_span

# Lines that are page furniture, never speech: navigation, share/follow prompts, credits, bylines, copyright.
_FURNITURE = re.compile(
    r"""^\s*(?:
        (?:PREV|NEXT|Previous|Next)(?:\s+(?:article|story|post))?\b[\s:»›>|-]
      | (?:For\s+(?:the\s+)?(?:Latest|More)\s+Updates\s+)?Follow\s+
        (?:us|\w+(?:\s+\w+){0,4}\s+on\s+(?:Twitter|Facebook|Instagram|Google))\b
      | Share\s+(?:this|on)\b | Sign\s+up\b | Subscribe\b | Click\s+here\b | Read\s+(?:more|also|next)\b | Related\s*:
      | (?:Photo|Image|Picture|Video)\s*(?:credit|by|:)\b | \(?(?:Photo|Image)\s+credit | \(h/t\b
      | \(?(?:-+\s*)?(?:[Aa]dditional\s+)?[Rr]eporting\s+by\b | \(?Editing\s+by\b
      | [A-Z][\w’'-]+(?:\s+and\s+[A-Z][\w’'-]+)?\s+(?:reported|contributed)\s+(?:from|to\s+this)\b
      | This\s+(?:story|article|post)\s+(?:has\s+been|was)\s+(?:updated|corrected) | Corrections?\s*:
      | Copyright\b | ©\s | All\s+rights\s+reserved | Reprinted\b | Editor[’']s\s+[Nn]ote\b
      | By\s+[A-Z][\w.’'-]+(?:\s+[A-Z][\w.’'-]+){0,3}\s*(?:[|,].*)?$
      | _{2,}\.?\s*$ | \d{1,2}(?::\d{2})?\s*[ap]\.m\.\s*$ | [=*#~-]{3,}\s*$
      | (?:RELATED|MORE|RECOMMENDED)\s+(?:ARTICLES|STORIES|READING|COVERAGE)\b | (?:UPDATED|PUBLISHED|POSTED)\s*:
      | (?:Also\s+See|ALSO\s+SEE|See\s+also|Learn\s+More|LEARN\s+MORE|Watch|Listen|Advertisement)\s*(?::|$)
      | ADVERTISEMENT\s*$
      | https?://\S+(?:\s+\d+/\d+)?\s*$
    )""",
    re.X,
)
# A metadata line of a scraped or exported article ('Headline: …', 'Publisher: …'): the page's, never speech.
_METADATA = re.compile(rf"^\s*\ufeff?(?:{one_of(METADATA_LABELS)})\s*:", re.I)
# An author's bio line ('Jane Roe reports on Apple for The Times.', 'Jane Roe is a reporter for …').
_BIO = re.compile(
    r"^\s*(?!The\b)[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3}\s+"
    r"(?:(?:reports|writes)\s+(?:on|about)\s|covers\s|is\s+an?\s+(?:[\w-]+\s+){0,3}"
    r"(?:reporter|correspondent|writer|columnist|editor|journalist|contributor)\s).{0,120}?\b(?:for|at|with)\s+"
    r"(?:the\s+)?[A-Z][^.!?]*[.!]?\s*$"
)


_CREDIT_TAIL = re.compile(r"(?:/\s*(?:AP|Reuters|Getty Images|AFP|EPA)|(?:AP|Getty Images|AFP) Photo)\s*\.?\s*$")

_LINE = re.compile(r"[^\n]+")
_LAST_WORD = re.compile(r"([\w.]+)$")
_INITIALISM = re.compile(r"(?:\w\.)+\w")
_SENTENCE_END = re.compile(r"[.!?]+(?:[”\"’']|'')*(?=\s+[“\"‘'(\[]?[A-Z0-9])|[.!?]+(?:[”\"’']|'')*\s*$")


@dataclass(frozen=True)
class Quote:
    start: int  # offset of the opening mark
    end: int  # offset just past the closing mark (or the paragraph end when the quote runs on)
    closed: bool
    paragraph: int


@dataclass
class Layout:
    text: str
    paragraphs: list[Span]
    sentences: list[Span]
    quotes: list[Quote]
    furniture: list[Span]
    _quote_starts: list[int] = field(default_factory=list)
    _furniture_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._quote_starts = [q.start for q in self.quotes]
        self._furniture_starts = [s for s, _ in self.furniture]

    def in_quote(self, pos: int) -> Quote | None:
        # Quotes are sorted and never overlap: the only candidate is the last one opening before pos.
        i = bisect.bisect_left(self._quote_starts, pos) - 1
        if i >= 0 and self.quotes[i].start < pos < self.quotes[i].end:
            return self.quotes[i]
        return None

    def is_furniture(self, start: int, end: int) -> bool:
        # Furniture spans are whole paragraphs, sorted and disjoint: only the last one starting before `end`
        # can overlap [start, end).
        i = bisect.bisect_left(self._furniture_starts, end) - 1
        return i >= 0 and self.furniture[i][1] > start


def paragraphs(text: str) -> list[Span]:
    """Each non-blank line is a paragraph (scraped news puts one per line), trimmed of surrounding whitespace.

    A hard-wrapped text (lines broken at a fixed width, as in a PDF or e-mail export) is the exception: there a
    line that stops mid-sentence runs on into the next one, so a sentence and its quotation stay in one paragraph.
    """
    lines = [strip_span(text, *m.span()) for m in _LINE.finditer(text)]
    lines = [(s, e) for s, e in lines if s < e]
    if not _hard_wrapped(text, lines):
        return lines
    joined: list[Span] = []
    for s, e in lines:
        if joined and _runs_on(text, joined[-1], s):
            joined[-1] = (joined[-1][0], e)
        else:
            joined.append((s, e))
    return joined


# A line that ends like this ends its sentence (or its heading) and never runs on.
_LINE_END = re.compile(r"[.!?:;”\"’')\]]\s*$|^\S+$")


def _hard_wrapped(text: str, lines: list[Span]) -> bool:
    """Whether long lines often stop mid-sentence: the mark of text broken at a fixed width."""
    long_lines = [(s, e) for s, e in lines if e - s >= 50]
    open_ended = sum(1 for s, e in long_lines if not _LINE_END.search(text, s, e))
    return open_ended >= 3 and open_ended >= 0.4 * len(long_lines)


def _runs_on(text: str, previous: Span, start: int) -> bool:
    """Whether the line at `start` continues `previous`: directly below it, which stops mid-sentence."""
    s, e = previous
    return e - s >= 30 and text.count("\n", e, start) == 1 and not _LINE_END.search(text, s, e)


def furniture(text: str, paras: list[Span], title: str | None = None) -> list[Span]:
    """Paragraphs that are page furniture: navigation, prompts, credits, bylines and headline lines repeated."""
    counts: dict[str, int] = {}
    for s, e in paras:
        key = " ".join(text[s:e].split()).lower()
        counts[key] = counts.get(key, 0) + 1
    title_key = " ".join(title.split()).lower() if title else None
    spans = []
    for s, e in paras:
        line = text[s:e]
        key = " ".join(line.split()).lower()
        short = len(line) < 200
        if (
            _FURNITURE.match(line)
            or _METADATA.match(line)
            or (short and (_CREDIT_TAIL.search(line) or _BIO.match(line)))
            or (short and counts[key] > 1 and not line.rstrip().endswith((".", "”", '"')))
            or (title_key is not None and key == title_key)
        ):
            spans.append((s, e))
    return spans


def sentences(text: str, paras: list[Span]) -> list[Span]:
    """Sentence spans inside paragraphs; a full stop after an abbreviation or an initial does not end one."""
    spans = []
    for ps, pe in paras:
        start = ps
        for m in _SENTENCE_END.finditer(text, ps, pe):
            if m.end() > pe:
                break
            if text[m.start()] == ".":
                word = _LAST_WORD.search(text, max(start, m.start() - 40), m.start())
                token = word.group(1).lower() if word else ""
                if (
                    token in SENTENCE_ABBREVIATIONS
                    or (len(token) == 1 and token.isalpha())
                    or _INITIALISM.fullmatch(token)
                ):
                    continue
            end = m.end()
            seg_end = end
            while seg_end > start and text[seg_end - 1].isspace():
                seg_end -= 1
            if seg_end > start:
                spans.append((start, seg_end))
            start = end
            while start < pe and text[start].isspace():
                start += 1
        if start < pe:
            spans.append((start, pe))
    return spans


_QUOTE_TOKEN = re.compile(r"“|”|''|\"|‘‘|’’")


def quotes(text: str, paras: list[Span]) -> list[Quote]:
    """Quotations per paragraph. Straight marks ("", '') open after a space or an opening bracket and close
    otherwise; a quotation still open at its paragraph's end runs to the paragraph's end (a multi-paragraph
    quote re-opens in the next paragraph)."""
    found: list[Quote] = []
    for index, (ps, pe) in enumerate(paras):
        open_at: int | None = None
        for m in _QUOTE_TOKEN.finditer(text, ps, pe):
            mark = m.group()
            before = text[m.start() - 1] if m.start() > ps else " "
            after = text[m.end()] if m.end() < pe else " "
            if mark in ("“", "‘‘"):
                is_open = True
            elif mark in ("”", "’’"):
                is_open = False
            else:
                is_open = before.isspace() or before in "([{—–-/" or m.start() == ps
                if (
                    not is_open
                    and open_at is None
                    and not after.isspace()
                    and after not in ".,;:!?)]"
                    and before in "—–-"
                ):
                    is_open = True
            if open_at is None:
                if is_open:
                    open_at = m.start()
            elif not is_open or mark in ('"', "''"):
                if m.end() - open_at > 2:
                    found.append(Quote(open_at, m.end(), True, index))
                open_at = None
        if open_at is not None and pe - open_at > 2:
            found.append(Quote(open_at, pe, False, index))
    return found


def layout(text: str, title: str | None = None) -> Layout:
    paras = paragraphs(text)
    return Layout(
        text=text,
        paragraphs=paras,
        sentences=sentences(text, paras),
        quotes=quotes(text, paras),
        furniture=furniture(text, paras, title),
    )
