"""The proper names an article writes, with where each stands and what it likely names.

Coreference needs to know the article's names, not only its speakers: "Kahlia said" refers to the "Kipp Kahlia"
introduced three paragraphs earlier though she never spoke there, and "she said" to the person last named as a
sentence's subject, not to the product or the island named after her. The index is built once per article, in one
pass of one regular expression, and read by `whosaid.extraction.coreference`.

Names are found in any script: a name word starts with a capital letter as Unicode defines it.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cached_property, lru_cache
from typing import NamedTuple

from whosaid.extraction.lexicon import (
    ANONYMOUS_HEADS,
    CONNECTIVES,
    DETERMINERS,
    DOCUMENT_WORDS,
    HONORIFIC_TOKENS,
    NAME_PARTICLES,
    NOT_NAME_STARTS,
    ORG_WORDS,
    ROLE_WORDS,
    SENTENCE_ABBREVIATIONS,
)
from whosaid.extraction.mentions import classify, is_place, split_role_name
from whosaid.extraction.spans import Span
from whosaid.extraction.spans import words as word_spans
from whosaid.models import SpeakerType

# The Unicode blocks whose scripts have capital letters: Latin (with its extensions, Vietnamese included), Greek,
# Cyrillic, Armenian and Georgian. Listing every capital Unicode knows instead makes the name pattern four times
# slower, for scripts that write no capitals anyway.
_CASED_BLOCKS = ((0x41, 0x5B), (0xC0, 0x250), (0x370, 0x530), (0x531, 0x557), (0x10A0, 0x10C6), (0x1E00, 0x2000))


@lru_cache(maxsize=1)
def _capitals() -> str:
    """The capital letters of those blocks, as a regex class body (built once)."""
    return "".join(re.escape(chr(c)) for start, end in _CASED_BLOCKS for c in range(start, end) if chr(c).isupper())


# Words that join the words of one name: particles ('bin', 'von') and the 'of' of 'Department of Transportation'.
_JOINERS = (*NAME_PARTICLES, "of", "for", "&", "and", "der", "den", "la", "le", "du", "da", "dos", "del", "ibn", "el")


@lru_cache(maxsize=1)
def _name_run() -> re.Pattern[str]:
    # An apostrophe only inside a word ('O’Brien', 'Trump’s'), never a closing quotation mark ("Clinton.''").
    word = rf"[{_capitals()}](?:[\w\-&./]|[’'](?=\w))*"
    joiner = "|".join(re.escape(j) for j in _JOINERS)
    return re.compile(rf"(?<![\w’'\-]){word}(?:[ \t]+(?:(?:{joiner})[ \t]+)*{word})*")


_OPENING = (
    frozenset(CONNECTIVES)
    | NOT_NAME_STARTS
    | {d.capitalize() for d in DETERMINERS}
    | {"How", "What", "Why", "Where", "Who", "Which", "Whether", "Here", "There"}
)
_ABBREVIATED = SENTENCE_ABBREVIATIONS | {t.rstrip(".") for t in HONORIFIC_TOKENS}
# What shows a name is a person's: a title or descriptor before it, an appositive or an age after it.
_APPOSITIVE_AFTER = re.compile(r",\s+(?:an?|the|who|\d{1,3}(?=,))\b")
_TITLE_WORDS = ROLE_WORDS | HONORIFIC_TOKENS
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)\s+$", re.I)
# How far after a name its pronouns are read for the person's gender, and the pronouns.
_GENDER_WINDOW = 120
# Case-sensitive alternatives ('He', 'he'): an ignore-case pattern reads the whole article twice as slowly.
_GENDERED = re.compile(r"\b(?:[Hh](?:e|im|is|imself|er|ers|erself)|[Ss]he|HE|HIM|HIS|SHE|HER)\b")
_MALE_WORDS = frozenset({"he", "him", "his", "himself"})
_SENTENCE_BREAK = re.compile(r"[.!?][”\"’')\]]*\s+|\n")


class NameMention(NamedTuple):
    """A name as the article writes it at one place (a tuple: an article holds hundreds, built in one pass)."""

    span: Span
    name: str  # without a title, a role before it or a possessive ending
    role: str | None  # a title or descriptor written before it ('Governor', 'Bay Area resident')
    kind: SpeakerType  # person (a candidate), organization, document or other
    described: bool  # a title, a descriptor, an appositive or an age marks it as a person
    words: tuple[str, ...]  # the name's words


class NameIndex:
    """The names of one article in text order, but those it is told to skip (page furniture).

    Built on first use: most articles' claims name their speakers in full, and need no index at all."""

    def __init__(self, text: str, skip: Callable[[int, int], bool] | None = None) -> None:
        self.text = text
        self._skip = skip  # whether a span is to be left out (the layout's page furniture)
        self._genders: dict[str, str | None] = {}

    @cached_property
    def mentions(self) -> list[NameMention]:
        skip = self._skip
        return [m for m in _scan(self.text) if skip is None or not skip(*m.span)]

    @cached_property
    def _starts(self) -> list[int]:
        return [m.span[0] for m in self.mentions]

    @cached_property
    def _fuller(self) -> dict[str, list[NameMention]]:
        """Names of two words or more by their last word and by their first (casefolded), in text order."""
        by_word: dict[str, list[NameMention]] = {}
        for m in self.mentions:
            if len(m.words) >= 2 and m.kind != "document":
                for key in {f"last:{m.words[-1].casefold()}", f"first:{m.words[0].casefold()}"}:
                    by_word.setdefault(key, []).append(m)
        return by_word

    def before(self, position: int, not_before: int = 0) -> Iterator[NameMention]:
        """Names ending before `position` (and starting at or after `not_before`), nearest first."""
        i = bisect.bisect_left(self._starts, position)
        for mention in reversed(self.mentions[:i]):
            if mention.span[0] < not_before:
                return
            if mention.span[1] <= position:
                yield mention

    def kind_of(self, mention: NameMention) -> SpeakerType:
        """The mention's kind, a lone word judged by how the article uses it ('Hamas spokesman': an organization)."""
        if mention.kind == "other" and len(mention.words) == 1:
            return classify(mention.name, None, self.text)
        return mention.kind

    def opens_sentence(self, mention: NameMention) -> bool:
        """Whether a name opens its sentence, perhaps after a connective or a short opening phrase ('On Monday, ')."""
        start = mention.span[0]
        window = self.text[max(0, start - 80) : start]
        breaks = list(_SENTENCE_BREAK.finditer(window))
        lead = window[breaks[-1].end() :] if breaks else (window if start <= 80 else None)
        if lead is None:
            return False
        lead = lead.strip(' “"‘(')
        return not lead or lead in CONNECTIVES or (lead.endswith(",") and len(lead.split()) <= 6)

    @cached_property
    def _by_last_word(self) -> dict[str, list[Span]]:
        """Where each name's last word is written (the surname of a person), every mention of it."""
        spans: dict[str, list[Span]] = {}
        for m in self.mentions:
            spans.setdefault(m.words[-1], []).append(m.span)
        return spans

    @cached_property
    def _pronoun_marks(self) -> tuple[list[int], list[int]]:
        """Positions of 'he/him/his' (+1) and 'she/her/hers' (-1), and the running sum up to each one."""
        positions: list[int] = []
        running: list[int] = [0]
        for m in _GENDERED.finditer(self.text):
            positions.append(m.start())
            running.append(running[-1] + (1 if m.group().lower() in _MALE_WORDS else -1))
        return positions, running

    def _next_person(self, position: int, surname: str, limit: int) -> int:
        """Where the next other person is named after `position` (their pronouns are theirs), at most `limit`."""
        i = bisect.bisect_left(self._starts, position)
        for mention in self.mentions[i:]:
            if mention.span[0] >= limit:
                break
            if mention.kind == "person" and mention.words[-1] != surname:
                return mention.span[0]
        return limit

    def gender(self, name: str) -> str | None:
        """'m' or 'f' when the article refers to the person so: by 'Mr.' / 'Ms.' before the surname, or by the
        pronouns in the words right after it, up to the next person named ('… Becky Blackburn is one of 32 left.
        She …'); None when unclear."""
        if name in self._genders:
            return self._genders[name]
        positions, running = self._pronoun_marks
        score = 0
        surname = name.split()[-1]
        for start, end in self._by_last_word.get(surname, ()):
            before = self.text[max(0, start - 5) : start]
            score += 3 if before.endswith("Mr. ") else -3 if before.endswith(("Ms. ", "Mrs. ")) else 0
            lo = bisect.bisect_left(positions, end)
            hi = bisect.bisect_left(positions, self._next_person(end, surname, end + _GENDER_WINDOW))
            score += running[hi] - running[lo]
        gender = "m" if score >= 1 else "f" if score <= -1 else None
        self._genders[name] = gender
        return gender

    def expansion(self, acronym: str, position: int) -> NameMention | None:
        """The organization an acronym stands for ('ICRI' -> 'International Coral Reef Initiative', 'HUD' -> 'U.S.
        Department of Housing and Urban Development'): the nearest name before `position` whose words' initials
        hold the acronym's letters in order (see _in_order)."""
        for mention in self.before(position):
            initials = "".join(w[0] for w in mention.words if w[0].isupper())
            if len(mention.words) >= len(acronym) and _in_order(acronym, initials):
                return mention
        return None

    def full_name(self, short: str, position: int) -> NameMention | None:
        """The fuller name a lone word stands for ('Kahlia' -> 'Kipp Kahlia', 'Ayesha' -> 'Ayesha Curry'): among
        the names written before `position` ending with it (else beginning with it), the one written most often,
        the first introduced of those; else the first such name after."""
        key = short.casefold()
        for which in ("last", "first"):
            earlier = [m for m in self._fuller.get(f"{which}:{key}", []) if m.span[0] < position]
            if earlier:
                # Written most often, then introduced first: a relative or a namesake comes later ('His wife,
                # Ayesha Curry'), and is told apart by a first name of her own.
                counts = Counter(m.name for m in earlier)
                top = max(counts.values())
                return next(m for m in earlier if counts[m.name] == top)
        return next((m for m in self._fuller.get(f"last:{key}", []) if m.span[0] >= position), None)


def _in_order(letters: str, initials: str) -> bool:
    """Whether `letters` occur in `initials` in order, the first among the first three initials and the last
    last ('HUD' in 'U.S. Department of Housing and Urban Development')."""
    start = initials.find(letters[0])
    if start < 0 or start > 2 or initials[-1] != letters[-1]:
        return False
    rest = iter(initials[start + 1 :])
    return all(ch in rest for ch in letters[1:])


def _scan(text: str) -> Iterator[NameMention]:
    for run in _name_run().finditer(text):
        word = run.group()
        if " " not in word and "\t" not in word:
            # One word, most runs: 'The', 'But', 'Hamas'. No title to split, no sentence inside it.
            single = None if word in _OPENING else _single(text, run.start(), run.end())
            if single is not None:
                yield single
            continue
        if "." not in word and "’s" not in word and "'s" not in word and " and " not in word:
            # No sentence end, possessive or 'and' inside: the run is one name, once its opening words are off.
            words, start = word.split(), run.start()
            while len(words) > 1 and _opening_word(words[0]):
                start = text.index(words[1], start + len(words[0]))
                words = words[1:]
            mention = None if words[0] in _OPENING else _mention(text, start, run.end())
            if mention is not None:
                yield mention
            continue
        tokens = word_spans(text, run.start(), run.end())
        for piece in _and_pieces(text, _sentence_pieces(text, tokens)):
            # A sentence's first word is capitalised whatever it is ('But', 'The', 'In', 'Mispronouncing'): no name.
            while len(piece) > 1 and _opening_word(text[piece[0][0] : piece[0][1]]):
                piece = piece[1:]
            if piece and text[piece[0][0] : piece[0][1]] in _OPENING:
                continue
            while piece and text[piece[-1][0] : piece[-1][1]] in _JOINERS:
                piece = piece[:-1]
            mention = _mention(text, piece[0][0], piece[-1][1]) if piece else None
            if mention is not None:
                yield mention


def _sentence_pieces(text: str, tokens: list[Span]) -> Iterator[list[Span]]:
    """A run of capitalised words cut where a sentence ends inside it ('… Alameda County. Love said …')."""
    piece: list[Span] = []
    for start, end in tokens:
        piece.append((start, end))
        word = text[start:end]
        sentence_end = word.endswith(".") and len(word) > 2 and "." not in word[:-1]
        # A possessive ends its own name too: 'L.A. County’s Breathe program' holds 'L.A. County'.
        if (sentence_end and word[:-1].lower() not in _ABBREVIATED) or word.endswith(("’s", "'s")):
            yield piece
            piece = []
    if piece:
        yield piece


def _and_pieces(text: str, pieces: Iterator[list[Span]]) -> Iterator[list[Span]]:
    """'and' joins the words of an organization's name ('Department of Housing and Urban Development') but two
    names otherwise ('Stephen Curry and Ayesha Curry')."""
    for piece in pieces:
        words = [text[s:e] for s, e in piece]
        cut = next((i for i, w in enumerate(words) if w == "and"), None)
        if cut is None or any(w.lower() in ORG_WORDS for w in words[:cut]):
            yield piece
        else:
            yield piece[:cut]
            yield from _and_pieces(text, iter([piece[cut + 1 :]]))


def _opening_word(word: str) -> bool:
    """A capitalised word that opens sentences rather than names: 'The', 'But', or a gerund or adverb."""
    return word in _OPENING or (len(word) > 5 and word.endswith(("ing", "ly")) and word[1:].islower())


def _name_end(text: str, start: int, end: int) -> int:
    """Where a run of name words ends as a name: before a full stop that ends the sentence (not an initial's or an
    abbreviation's) and before a possessive ending."""
    last = text[start:end].rsplit(None, 1)[-1]
    if text[end - 1] == "." and len(last) > 2 and last[:-1].lower() not in SENTENCE_ABBREVIATIONS:
        end -= 1
    if text.endswith(("’s", "'s"), start, end):
        end -= 2
    return end


def _mention(text: str, start: int, end: int) -> NameMention | None:
    end = _name_end(text, start, end)
    written = text[start:end]
    # Only a title of office or an honorific can split a run of capitalised words ('Puerto Rico Governor
    # Jenniffer Colón'); a run with neither is a name as it stands.
    lowered = written.lower().split()
    role: str | None = None
    if not _TITLE_WORDS.isdisjoint(lowered):
        role, written = split_role_name(written)
        lowered = written.lower().split()
    name_words = written.split()
    while name_words and lowered[0] in HONORIFIC_TOKENS:
        name_words, lowered = name_words[1:], lowered[1:]
    if not name_words or is_place(" ".join(name_words)) or ROLE_WORDS.issuperset(lowered):
        return None
    kind = _kind(name_words, lowered, text, start)
    described = kind == "person" and (role is not None or bool(_APPOSITIVE_AFTER.match(text, end)))
    return NameMention((start, end), " ".join(name_words), role, kind, described, tuple(name_words))


def _single(text: str, start: int, end: int) -> NameMention | None:
    """A one-word name: a surname, an organization ('Hamas', 'NATO') or a capitalised common word."""
    end = _name_end(text, start, end)
    word = text[start:end]
    low = word.lower()
    if not word or low in HONORIFIC_TOKENS or low in ROLE_WORDS or is_place(word):
        return None
    if low in ORG_WORDS or (len(word) > 1 and word.isupper()):
        kind: SpeakerType = "organization"
    else:
        kind = "document" if low in DOCUMENT_WORDS else "anonymous" if low in ANONYMOUS_HEADS else "other"
    return NameMention((start, end), word, None, kind, False, (word,))


def _kind(words: list[str], lowered: list[str], text: str, start: int) -> SpeakerType:
    lowered = [w.strip(".,") for w in lowered]
    if lowered[-1] in DOCUMENT_WORDS:
        return "document"
    if not ORG_WORDS.isdisjoint(lowered) or (len(words) == 1 and words[0].isupper() and len(words[0]) > 1):
        return "organization"
    if lowered[-1] in ANONYMOUS_HEADS:
        return "anonymous"  # "Niobrara County’s Democrats": a group
    if _ARTICLE_BEFORE.search(text, max(0, start - 4), start):
        return "other"  # "the Apple Watch", "a Guitar Hero record": a thing, not a person
    if len(words[-1]) > 1 and words[-1].isupper():
        return "organization"  # "Gazetteer SF", "Chabad UW": an acronym ends no person's name
    return "person" if 2 <= len(words) <= 5 else "other"


__all__ = ["NameIndex", "NameMention"]
