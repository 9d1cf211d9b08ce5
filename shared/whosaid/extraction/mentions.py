"""Speaker mentions: split a mention into the entity it names, its role, and its type.

'Hamas spokesman Hazem Qassem' is the name 'Hazem Qassem' with the role 'Hamas spokesman'; 'a United Airlines
spokesperson' is the organization 'United Airlines' speaking through its 'spokesperson'; 'Palestinian sources
familiar with the discussions' is the anonymous 'Palestinian sources', 'familiar with the discussions'; 'a 2021
report by the Economic Roundtable' is the document '2021 report' by the 'Economic Roundtable'. Shared by both
extractors: the rules parse the mentions they find, and entity merging (`whosaid.extraction.coreference`) compares
the parsed names.

Names are recognised in any script: a name token starts with a capital letter as Unicode defines it ('Çavuşoğlu',
'Кулеба'). Roles are written without a leading article ('a spokeswoman for Acme' -> 'spokeswoman for Acme').
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from whosaid.extraction.lexicon import (
    ANONYMOUS_HEADS,
    ANONYMOUS_PRONOUNS,
    ARTICLES,
    COURTESY_TOKENS,
    DETERMINERS,
    DOCUMENT_WORDS,
    HONORIFIC_TOKENS,
    NAME_PARTICLES,
    NATIONALITY_ENDINGS,
    ORG_MODIFIERS,
    ORG_WORDS,
    PERSON_PRONOUNS,
    PLACES,
    PRONOUNS,
    REPRESENTATIVES,
    ROLE_OPENERS,
    ROLE_WORDS,
)
from whosaid.models import SpeakerType

# Characters a name token may hold after its capital: letters, digits, apostrophes, hyphens, dots, '&' and '/'
# ('O’Brien', 'Johnson-Trammell', 'U.S.', 'AT&T', 'Reuters/Ipsos').
_NAME_TAIL = frozenset("’'-.&/")
_GROUP_PRONOUNS = frozenset({"those", "others", "some", "many", "several", "both", "all", "most", "few"})
_PREPOSITIONS = frozenset({"for", "of", "at", "with", "from", "to", "by", "in", "on", "and", "or", "&"})
_ROLE_DETERMINERS = ARTICLES | frozenset({"his", "her", "their", "its", "our", "my"})


def is_name_token(token: str) -> bool:
    """Whether a token is written as part of a proper name: a capital first (in any script), then letters, digits
    or the punctuation names hold."""
    token = token.lstrip('(“"‘')
    return bool(token) and token[0].isupper() and all(ch.isalnum() or ch in _NAME_TAIL for ch in token[1:])


# Lowercase words inside a name: particles ('bin', 'von') and the joiners of an organization's name.
_INSIDE_NAMES = frozenset(NAME_PARTICLES) | {"of", "for", "the", "and", "&", "on"}


def is_name(words: Sequence[str]) -> bool:
    """Whether the words are a proper name: name tokens first and last, and between them name tokens, particles
    ('Mohammed bin Salman') or the joiners of an organization ('Department of the Interior')."""
    return (
        bool(words)
        and is_name_token(words[0])
        and is_name_token(words[-1])
        and all(is_name_token(w) or w in _INSIDE_NAMES for w in words)
    )


@dataclass(frozen=True)
class ParsedMention:
    """A mention as parsed: the name it gives, its role (a title, an appositive, a descriptor) and its type."""

    name: str
    role: str | None
    type: SpeakerType


def role_text(words: Sequence[str]) -> str | None:
    """A role as stored: without a leading article or possessive pronoun ('a spokeswoman' -> 'spokeswoman') and
    without the punctuation around it."""
    words = list(words)
    while len(words) > 1 and words[0].lower() in _ROLE_DETERMINERS:
        words = words[1:]
    role = " ".join(words).strip(" ,;:")
    return role or None


def split_role_name(mention: str) -> tuple[str | None, str]:
    """(role, name) of a mention: 'Hamas spokesman Hazem Qassem' -> ('Hamas spokesman', 'Hazem Qassem');
    'Ismail Haniyeh, head of the bureau' -> ('head of the bureau', 'Ismail Haniyeh'); 'Bay Area resident Katelin
    Tharp' -> ('Bay Area resident', 'Katelin Tharp'); 'Mrs. Clinton' -> (None, 'Clinton')."""
    mention = " ".join(mention.split()).strip(" ,;:")
    if "," in mention:
        appositive = _appositive(mention)
        if appositive is not None:
            return appositive
    tokens = mention.split()
    # Strip honorifics: "Mr. Trump" is Trump; a title ("Sen.", "Gov.") is kept as the role.
    title: str | None = None
    while len(tokens) > 1 and tokens[0].lower() in HONORIFIC_TOKENS:
        if tokens[0].lower() not in COURTESY_TOKENS:
            title = tokens[0]
        tokens = tokens[1:]
    trailing = _trailing_name(tokens)
    if trailing and len(trailing) < len(tokens):
        before = tokens[: len(tokens) - len(trailing)]
        if _is_title_or_descriptor(before, trailing):
            # A title stays in the role ("former Gov."); a courtesy title ("Mr.") does not.
            role_tokens = [t for t in before if t.lower() not in COURTESY_TOKENS] or before
            return role_text(role_tokens), " ".join(trailing)
    return title, " ".join(tokens)


def _appositive(mention: str) -> tuple[str | None, str] | None:
    """'Name, role …' or 'role, Name': the name on one side of the comma, what it is on the other."""
    head, _, rest = mention.partition(",")
    rest = rest.strip(" ,")
    head_tokens, rest_words = head.split(), rest.split()
    if len(head_tokens) > 1 and head_tokens[0].lower() == "the" and is_name(head_tokens[1:]):
        head_tokens = head_tokens[1:]  # "the ICRI, a mix of governments": the name without its article
        head = " ".join(head_tokens)
    if head_tokens and is_name(head_tokens) and rest_words:
        role, name = split_role_name(head)
        first = rest_words[0].lower()
        # "the editor of X" / "a spokesman" / "Meta’s chief financial officer" / "Federal Policy Manager at X" is a
        # role; "who spoke on condition …", "meanwhile" and another name ("Smith, Jones and Roe") are not.
        is_role = first in ROLE_OPENERS or first in ROLE_WORDS
        if not is_role and rest[0].isupper():
            is_role = not is_name([w for w in rest_words if w not in ("and", "or", "&")]) and (
                any(w.lower().strip(",") in ROLE_WORDS for w in rest_words) or rest_words[0].endswith(("’s", "'s"))
            )
        if rest[0].islower() or is_role:
            return (role or (role_text(rest_words) if is_role else None)), name
    # "A spokesman for the regional government, Erik Voss" / "Xi Jinping's spokesman, Wang Wenbin".
    name_words = _head(rest.split(",")[0].strip()).split()
    described = bool(head_tokens) and any(w[:1].islower() for w in head_tokens) and not is_name(head_tokens)
    if described and head_tokens[-1].lower() not in _PREPOSITIONS and len(name_words) >= 2 and is_name(name_words):
        return role_text(head_tokens), " ".join(name_words)
    return None


def _trailing_name(tokens: list[str]) -> list[str]:
    """The run of name tokens that ends a mention, a role word or honorific stopping it ('… Minister Ana Ruiz')."""
    trailing: list[str] = []
    for token in reversed(tokens):
        low = token.lower()
        if (is_name_token(token) and low not in ROLE_WORDS and low not in HONORIFIC_TOKENS) or (
            low in NAME_PARTICLES and trailing
        ):
            trailing.insert(0, token)
        else:
            break
    while trailing and trailing[0] in NAME_PARTICLES:
        trailing = trailing[1:]
    # "Secretary of State John Kerry": the word after "of" completes the role, the rest is the name.
    while 2 < len(trailing) < len(tokens) and tokens[len(tokens) - len(trailing) - 1] in {"of", "for"}:
        trailing = trailing[1:]
    return trailing


def _is_title_or_descriptor(before: list[str], name: list[str]) -> bool:
    """Whether the words before a name say what the person is: a title ('Foreign Minister', 'Gov.') or a
    descriptor ('Bay Area resident', 'friend', '36-year-old'), not a phrase the name completes ('Lawyers for')."""
    if any(t.lower().strip("()") in ROLE_WORDS for t in before):
        return True
    last = before[-1].lower()
    if last in _PREPOSITIONS or last.endswith(("’s", "'s")) or last in DETERMINERS:
        return False
    if len(last) > 4 and last.endswith(("ing", "ed")):
        return False  # "the lawyer representing Love": the name is what the verb acts on, not who is described
    descriptor = [t for t in before if t.lower() not in _ROLE_DETERMINERS]
    # A lowercase word ('resident', 'friend') or an age ('36-year-old') right before the name describes its person.
    return bool(descriptor) and (descriptor[-1][:1].islower() or descriptor[-1][:1].isdigit())


_ORG_MODIFIER_AFTER = re.compile(rf"(?:’s|'s)?\s+(?:{ORG_MODIFIERS})\b")


@lru_cache(maxsize=256)
def _named_as_organisation(name: str, context: str) -> bool:
    """'Hamas spokesman', 'Hamas leadership', 'Hamas statement' in the article: Hamas is an organisation."""
    # str.find and one precompiled pattern: compiling a pattern per name cost more than the rest of the extractor.
    at = context.find(name)
    while at >= 0:
        if (at == 0 or not context[at - 1].isalnum()) and _ORG_MODIFIER_AFTER.match(context, at + len(name)):
            return True
        at = context.find(name, at + 1)
    return False


def classify(name: str, role: str | None = None, context: str = "") -> SpeakerType:
    """person | organization | anonymous | document | other, from the words of the mention (and the article)."""
    lowered = name.lower()
    words = [w.strip("(),.’'\"“”") for w in lowered.split()]
    if not words:
        return "other"
    if lowered in PERSON_PRONOUNS:
        return "person"
    if lowered == "it":
        return "organization"
    if lowered in ANONYMOUS_PRONOUNS or lowered in _GROUP_PRONOUNS:
        return "anonymous"  # "they", "those who spoke", "others"
    if is_place(name) or (words[0] == "the" and is_place(" ".join(name.split()[1:]))):
        return "organization"  # "Texas asked a federal judge …": the state's government speaks
    if words[-1] in DOCUMENT_WORDS:
        return "document"
    capitalised = [t for t in name.split() if is_name_token(t)]
    content = [w for w in words if w not in _JOINING]  # 'Department of Education' is capitalised throughout
    # 'Department of Education' is an organization whichever of its words names the kind; one word ('Court')
    # alone may still be a person's name.
    org_word = any(w in ORG_WORDS for w in (words if len(content) > 1 else words[1:]))
    if words[-1] in ORG_WORDS or (org_word and len(capitalised) == len(content)):
        return "organization"
    if words[-1] in ANONYMOUS_HEADS and (len(capitalised) < len(words) or len(words) == 1):
        return "anonymous"
    if name.isupper() and len(name) > 1:
        return "organization"
    if len(capitalised) == len(name.split()):
        if context and len(words) == 1 and _named_as_organisation(name, context):
            return "organization"
        return "person"
    if role:
        return "person"
    if lowered.startswith(("a ", "an ", "the ", "some ", "many ", "several ", "one ", "two ", "three ")):
        if words[-1] in ANONYMOUS_HEADS:
            return "anonymous"
        return "person" if words[-1] in ROLE_WORDS else "other"  # "the mayor", "a former senator"
    return "other"


# A possessive or contracted ending ('Trump’s', 'He’s', 'the Times’').
POSSESSIVE_END = re.compile(r"(?:’s|'s|’|')$")


def is_place(name: str) -> bool:
    """Whether a name is a place (a state, a country, a city): no speaker of its own, and no antecedent."""
    return name.lower().strip(" .,") in PLACES


# --- the mention shapes, tried in order ---------------------------------------------------------------------
def _owner_person(cleaned: str, context: str) -> ParsedMention | None:
    """ "Fox News’ Bret Baier" / "the Times's Jane Roe": the outlet is the role, the person the name."""
    owner = re.match(r"^(?:the\s+)?(?P<org>(?:\S+\s+){0,3}?\S+)(?:’s|'s|’|')\s+(?P<rest>\S.*)$", cleaned)
    rest = owner.group("rest") if owner else ""
    if owner and is_name(owner.group("org").split()) and is_name(rest.split()):
        kind = classify(rest)
        if kind == "person":
            return ParsedMention(name=rest, role=owner.group("org"), type="person")
        if kind == "organization":
            # "SF’s Department of Homelessness", "Japan’s Ministry of Health": the organization itself.
            return ParsedMention(name=_drop_article(rest), role=None, type="organization")
    return None


_REP = "|".join(sorted(REPRESENTATIVES, key=len, reverse=True))
# "a spokesperson for the Department of Transportation", "an official at the Treasury Department".
_REP_FOR = re.compile(
    rf"^(?:an?|the|one|two|three|several|some)\s+(?:(?:senior|top|former|chief|lead)\s+)?(?P<rep>{_REP})\s+"
    r"(?:for|at|of|with|from)\s+(?:the\s+)?(?P<org>\S.*)$",
    re.I,
)
# "a United Airlines spokesperson", "Southern California Edison officials", "Hamas spokesman".
_ORG_REP = re.compile(rf"^(?:(?:an?|the)\s+)?(?P<org>.+?)(?:’s|'s)?\s+(?P<rep>{_REP})$", re.I)


# "district leaders", "the company’s officials": the representatives of an organization described, not named.
_DESCRIBED_ORG_REP = re.compile(
    rf"^(?:the\s+)?(?P<noun>{'|'.join(sorted(ORG_WORDS - {'news', 'times', 'post', 'journal', 'press'}))})"
    rf"(?:’s|'s)?\s+(?P<rep>{_REP}|leaders|leadership)$",
    re.I,
)


def _representative(cleaned: str, context: str) -> ParsedMention | None:
    """An unnamed representative speaks for its organization: the organization is the speaker, the
    representative's function its role ('district leaders' speak for 'the district', which coreference resolves
    to the district named before)."""
    described = _DESCRIBED_ORG_REP.match(_head(cleaned))
    if described:
        return ParsedMention(f"the {described.group('noun').lower()}", described.group("rep").lower(), "organization")
    m = _REP_FOR.match(cleaned)
    if m:
        org = _head(m.group("org"))
        org_words = org.split()
        named = is_name(org_words) or (org_words and org_words[-1].lower() in ORG_WORDS)
        if named and not is_place(org):
            return ParsedMention(name=_drop_article(org), role=m.group("rep").lower(), type="organization")
        return None
    m = _ORG_REP.match(cleaned)
    if m:
        org_words = m.group("org").split()
        if is_name(org_words) and not _is_nationality(org_words) and not is_place(m.group("org")):
            return ParsedMention(name=m.group("org"), role=m.group("rep").lower(), type="organization")
    return None


def _is_nationality(words: list[str]) -> bool:
    """'Palestinian officials', 'Israeli sources', 'Republican aides': an adjective, not an organization."""
    return len(words) == 1 and words[0].lower().endswith(NATIONALITY_ENDINGS) and words[0].lower() not in ORG_WORDS


# "… by the Economic Roundtable", "… obtained by the Ledger", "… from Bernstein Research".
_AUTHOR = re.compile(
    r"\s+(?P<how>(?:(?:obtained|reviewed|seen|released|published|compiled|conducted|commissioned|filed|issued)\s+)?"
    r"(?:by|from))\s+(?P<author>\S.*)$"
)


def _document(cleaned: str, context: str) -> ParsedMention | None:
    """Reports, polls, studies, records and filings speak as documents: named as the article names them, their
    author (or who obtained them) as role."""
    # The document is the head of the mention's first phrase: "Daniel Flaming, a co-author of the report" is no report.
    phrase = cleaned.partition(",")[0]
    author = _AUTHOR.search(phrase)
    body = phrase[: author.start()] if author else _head(phrase)
    words = body.split()
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    if not words or words[-1].lower().strip(".,") not in DOCUMENT_WORDS:
        return None
    role = None
    if author:
        by = author.group("how") in {"by", "from"}
        role = _drop_article(author.group("author")) if by else f"{author.group('how')} {author.group('author')}"
    else:
        role = _author_before(body.split(), words)
    return ParsedMention(name=" ".join(words), role=role, type="document")


def _author_before(written: list[str], words: list[str]) -> str | None:
    """'a Reuters/Ipsos poll', 'the 2024 UC Berkeley Labor Center study', 'Humboldt’s letter': the author written
    before the document's kind. A lone capitalised word opening the mention may only be the sentence's capital
    ('Court filings show'), so it names an author only after a determiner."""
    possessive = [POSSESSIVE_END.sub("", w) for w in words[:-1] if POSSESSIVE_END.search(w)]
    if possessive:
        return " ".join(possessive)
    named = [w for w in words[:-1] if is_name_token(w)]
    if not named or len(named) != len([w for w in words[:-1] if not w.isdigit()]):
        return None
    determined = len(written) > len(words)
    return " ".join(named) if determined or len(named) > 1 or not named[0][1:].islower() else None


_UTTERANCE_FROM = re.compile(
    r"^(?:an?|the)\s+(?:(?:joint|written|brief)\s+)?(?:statement|release|news release|press release|post|tweet|"
    r"announcement|email|letter)\s+(?:from|by)\s+(?:the\s+)?(?P<org>\S.*)$"
)


def _issued(cleaned: str, context: str) -> ParsedMention | None:
    """'a Hamas statement', 'the White House release': the speaker is whoever issued it."""
    issued = re.match(
        r"^(?:an?|the)\s+(?P<org>.+?)(?:’s|'s)?\s+(?:statement|release|tweet|post|announcement)$", cleaned
    )
    if issued and is_name(issued.group("org").split()):
        return ParsedMention(name=issued.group("org"), role=None, type="organization")
    # "a statement from UW", "the release by the ministry": its issuer speaks.
    issued = _UTTERANCE_FROM.match(cleaned)
    if issued and is_name(issued.group("org").split()):
        return ParsedMention(name=issued.group("org"), role=None, type=classify(issued.group("org"), None, context))
    return None


_SHAPES: tuple[Callable[[str, str], ParsedMention | None], ...] = (_owner_person, _representative, _document, _issued)


@lru_cache(maxsize=1024)
def parse_mention(mention: str, context: str = "") -> ParsedMention:
    """Role, name and type of a speaker mention as written (cached: an article repeats its mentions, 'he' and
    'Trump' many times, and the result is immutable)."""
    cleaned = " ".join(mention.split()).strip(" ,;:")
    # A possessive or contracted mention ("Trump’s", "He’s") names the same speaker as without its "’s".
    bare = POSSESSIVE_END.sub("", cleaned)
    if bare and bare != cleaned and (" " not in bare or is_name(bare.split())):
        cleaned = bare
    for shape in _SHAPES:
        parsed = shape(cleaned, context)
        if parsed is not None:
            return parsed
    return _named_or_described(cleaned, context)


def _named_or_described(cleaned: str, context: str) -> ParsedMention:
    """A name with its title or appositive, or a description ('the sources') with what characterises it."""
    head_words = cleaned.partition(",")[0].split()
    appositive = "," in cleaned and bool(cleaned.partition(",")[2].strip()) and is_name(head_words)
    # "Name, the editor in chief of X," keeps its whole appositive as the role; otherwise the head noun phrase.
    head = cleaned if appositive or "," in cleaned else _head(cleaned)
    role, name = split_role_name(head)
    type_ = classify(name, role, context)
    if name.lower() in PRONOUNS:
        return ParsedMention(name=name, role=role, type=type_)
    if role and type_ in ("other", "anonymous") and is_name(name.split()):
        type_ = "person"
    described = cleaned[len(head) :].strip(" ,") if not appositive and cleaned.startswith(head) else ""
    described = _TIME_TAIL.sub("", described).strip(" ,")
    if described and role is None and type_ == "anonymous":
        # "Palestinian sources familiar with the discussions": what characterises them is their role (a time
        # after the mention, "officials on Wednesday", is when they spoke, not who they are; a relative clause
        # after it, "… the discussions that took place in Cairo", is about the discussions).
        role = _RELATIVE_TAIL.sub("", described) or described
    return ParsedMention(name=_drop_article(name), role=role, type=type_)


def _drop_article(name: str) -> str:
    """'The Hamas leadership delegation' -> 'Hamas leadership delegation', 'the State Department' -> 'State
    Department': a name built on a proper name needs no article, and the article varies with where the mention
    stands in its sentence ('The New York Times reported' / 'according to the New York Times'), so dropping it
    gives one entity one name. A plain definite description ('the sources') keeps it: it is resolved to a fuller
    name instead."""
    first, _, rest = name.partition(" ")
    words = rest.split()
    if first.lower() not in ARTICLES or not words:
        return name
    return rest if any(is_name_token(w) for w in words) else name


_POSTMODIFIER = re.compile(
    r"\s+(?:familiar|close|who|whom|whose|which|that|with|from|in|at|on|for|between|during|under|among|involved|"
    r"speaking|briefed|knowledgeable)\b.*$|\s*\(.*$"
)


_TIME_TAIL = re.compile(
    r"^(?:on|in|at|during|this|last)\s+(?:(?:the|a|an)\s+)?(?:\w+day|morning|afternoon|evening|night|week|weekend|"
    r"month|year|interview|statement|email|e-mail|call|briefing|news conference|press conference)\b.*$|"
    r"^(?:on|in)\s+(?:\w+day|\w+ \d{1,2})\b.*$"
)
_RELATIVE_TAIL = re.compile(r"(?<=\w)\s+(?:that|which)\s.*$")
_ROLE_OR_HONORIFIC = ROLE_WORDS | HONORIFIC_TOKENS
# "Jim Walsh of Ohio", "Jane Roe of the Brookings Institution": a full name, then where the person is from.
_NAME_OF = re.compile(r"^(?P<name>.*?\S+\s+\S+?)\s+of\s+(?:the\s+)?(?P<after>\S+)")


# An organization's name holds 'of' and 'for': 'the California Department of Education', 'Center for Democracy'.
_ORG_NAME = re.compile(
    r"^(?:the\s+)?(?P<name>(?:[^\W\d_][\w’'.&-]*\s+)*?(?:"
    + "|".join(sorted({w.capitalize() for w in ORG_WORDS if w.isalpha()}))
    + r")(?:\s+(?:of|for|on)(?:\s+the)?(?:\s+(?:and\s+)?[^\W\d_][\w’'.&-]*)+)?)"
)


_JOINING = frozenset({"of", "for", "on", "the", "and"})
# What may follow an organization's name in the same mention: nothing, a comma, or a postmodifier ('… who said').
_ENDS_PHRASE = re.compile(r"$|\s*[,(]|\s+(?:familiar|close|who|whom|whose|which|that|with|from|in|at|on|for)\b")


def _head(mention: str) -> str:
    """The head noun phrase of a long mention: 'Palestinian sources familiar with …' -> 'Palestinian sources'."""
    if len(mention.split()) <= 2:
        return mention
    org = _ORG_NAME.match(mention)
    rest = mention[org.end() :] if org else ""
    if org and is_name([w for w in org.group("name").split() if w not in _JOINING]) and _ENDS_PHRASE.match(rest):
        return org.group("name")
    head = _POSTMODIFIER.sub("", mention).strip(" ,")
    of = _NAME_OF.match(head)
    if of and is_name_token(of.group("after")):
        last_two = of.group("name").split()[-2:]
        if is_name(last_two) and last_two[0].lower() not in _ROLE_OR_HONORIFIC:
            head = of.group("name")
    return head or mention


__all__ = [
    "POSSESSIVE_END",
    "ParsedMention",
    "classify",
    "is_name",
    "is_name_token",
    "is_place",
    "parse_mention",
    "role_text",
    "split_role_name",
]
