"""Speaker mentions: split a mention into role and name, and classify it (person, organisation, anonymous).

'Hamas spokesman Hazem Qassem' is the name 'Hazem Qassem' with the role 'Hamas spokesman'; 'the sources' is an
anonymous speaker; 'Texas' (the state's government) an organisation. Shared by both extractors: the rules parse
the mentions they find, and entity merging (`whosaid.extraction.coreference`) compares the parsed names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from whosaid.extraction.lexicon import (
    ANONYMOUS_HEADS,
    ANONYMOUS_PRONOUNS,
    ARTICLES,
    COURTESY_TOKENS,
    HONORIFIC_TOKENS,
    ORG_MODIFIERS,
    ORG_WORDS,
    PERSON_PRONOUNS,
    PLACES,
    PRONOUNS,
    ROLE_OPENERS,
    ROLE_WORDS,
)
from whosaid.models import SpeakerType

_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w’'\-\.]*|[A-Z]\.)$")


@dataclass(frozen=True)
class ParsedMention:
    """A mention as parsed: the name it gives, its role (a title, an appositive) and its speaker type."""

    name: str
    role: str | None
    type: SpeakerType


def split_role_name(mention: str) -> tuple[str | None, str]:
    """(role, name) of a mention: 'Hamas spokesman Hazem Qassem' -> ('Hamas spokesman', 'Hazem Qassem');
    'Ismail Haniyeh, head of the bureau' -> ('head of the bureau', 'Ismail Haniyeh');
    'Mrs. Clinton' -> (None, 'Clinton')."""
    mention = " ".join(mention.split()).strip(" ,;:")
    # Appositive: "Name, role ..." (the name comes first and is capitalised).
    if "," in mention:
        head, _, rest = mention.partition(",")
        rest = rest.strip(" ,")
        head_tokens = head.split()
        if head_tokens and all(_NAME_TOKEN.match(t) for t in head_tokens) and rest and rest[0].islower():
            role, name = split_role_name(head)
            first = rest.split()[0].lower()
            # "the editor of X" / "a spokesman" is a role; "who spoke on condition …" / "meanwhile" is not.
            is_role = first in ROLE_OPENERS or first in ROLE_WORDS
            return (role or (rest.rstrip(" ,") if is_role else None)), name
    tokens = mention.split()
    # Strip honorifics: "Mr. Trump" is Trump; a title ("Sen.", "Gov.") is kept as the role.
    title: str | None = None
    while len(tokens) > 1 and tokens[0].lower() in HONORIFIC_TOKENS:
        if tokens[0].lower() not in COURTESY_TOKENS:
            title = tokens[0]
        tokens = tokens[1:]
    # A trailing run of capitalised tokens after a role word is the name.
    trailing: list[str] = []
    for token in reversed(tokens):
        if _NAME_TOKEN.match(token) and token.lower() not in ROLE_WORDS and token.lower() not in HONORIFIC_TOKENS:
            trailing.insert(0, token)
        else:
            break
    # "Secretary of State John Kerry": the word after "of" completes the role, the rest is the name.
    while (
        len(trailing) > 2 and len(trailing) < len(tokens) and tokens[len(tokens) - len(trailing) - 1] in {"of", "for"}
    ):
        trailing = trailing[1:]
    if trailing and len(trailing) < len(tokens):
        before = tokens[: len(tokens) - len(trailing)]
        if any(t.lower().strip("()") in ROLE_WORDS for t in before):
            # A title stays in the role ("former Gov."); a courtesy title ("Mr.") does not.
            role_tokens = [t for t in before if t.lower() not in COURTESY_TOKENS] or before
            return " ".join(role_tokens), " ".join(trailing)
    return title, " ".join(tokens)


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
    """person | organization | anonymous | other, from the words of the mention (and the article, when given)."""
    lowered = name.lower()
    words = [w.strip("(),.’'\"“”") for w in lowered.split()]
    if not words:
        return "other"
    if lowered in PERSON_PRONOUNS:
        return "person"
    if lowered == "it":
        return "organization"
    if lowered in ANONYMOUS_PRONOUNS:
        return "anonymous"
    if is_place(name) or (words[0] == "the" and is_place(" ".join(name.split()[1:]))):
        return "organization"  # "Texas asked a federal judge …": the state's government speaks
    capitalised = [t for t in name.split() if _NAME_TOKEN.match(t)]
    if words[-1] in ORG_WORDS or (any(w in ORG_WORDS for w in words[1:]) and len(capitalised) == len(words)):
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


def parse_mention(mention: str, context: str = "") -> ParsedMention:
    """Role, name and type of a speaker mention as written."""
    cleaned = " ".join(mention.split()).strip(" ,;:")
    # "Fox News’ Bret Baier" / "the Times's Jane Roe": the outlet is the role, the person the name.
    owner = re.match(
        r"^(?:the\s+)?(?P<org>(?:[A-Z][\w.&-]*\s+){0,3}[A-Z][\w.&-]*)(?:’s|'s|’|')\s+(?P<rest>\S.*)$", cleaned
    )
    if owner and all(_NAME_TOKEN.match(t) for t in owner.group("rest").split()):
        return ParsedMention(name=owner.group("rest"), role=owner.group("org"), type="person")
    # A possessive or contracted mention ("Trump’s", "He’s") names the same speaker as without its "’s".
    bare = POSSESSIVE_END.sub("", cleaned)
    if bare and bare != cleaned and (" " not in bare or all(_NAME_TOKEN.match(t) for t in bare.split())):
        cleaned = bare
    # "a Hamas statement" / "the White House report": the speaker is whoever issued it.
    issued = re.match(
        r"^(?:an?|the)\s+(?P<org>(?:[A-Z][\w’'\-\.]*\s+)*[A-Z][\w’'\-\.]*)(?:’s|'s)?\s+(?:statement|report|release|tweet|post|"
        r"announcement|spokesman|spokeswoman|spokesperson)$",
        cleaned,
    )
    if issued and not cleaned.endswith(("spokesman", "spokeswoman", "spokesperson")):
        return ParsedMention(name=issued.group("org"), role=None, type="organization")
    head, _, rest = cleaned.partition(",")
    appositive = bool(rest.strip()) and all(_NAME_TOKEN.match(t) for t in head.split())
    # "Name, the editor in chief of X," keeps its whole appositive as the role; otherwise the head noun phrase.
    role, name = split_role_name(cleaned if appositive else _head(cleaned))
    if name.lower() in PRONOUNS:
        return ParsedMention(name=name, role=role, type=classify(name, role, context))
    type_ = classify(name, role, context)
    if role and type_ != "person" and all(_NAME_TOKEN.match(t) for t in name.split()):
        type_ = "person"
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
    return rest if any(_NAME_TOKEN.match(w) for w in words) else name


_POSTMODIFIER = re.compile(
    r"\s+(?:familiar|close|who|whom|whose|which|that|with|from|in|at|on|for|between|during|under|among|involved|"
    r"speaking|briefed|knowledgeable)\b.*$|\s*\(.*$"
)


_ROLE_OR_HONORIFIC = ROLE_WORDS | HONORIFIC_TOKENS
# "Jim Walsh of Ohio", "Jane Roe of the Brookings Institution": a full name, then where the person is from.
_NAME_OF = re.compile(r"^(?P<name>.*?[A-Z][\w’'\-.]*\s+[A-Z][\w’'\-.]*)\s+of\s+(?:the\s+)?[A-Z].*$")


def _head(mention: str) -> str:
    """The head noun phrase of a long mention: 'Palestinian sources familiar with …' -> 'Palestinian sources'."""
    if len(mention.split()) <= 2:
        return mention
    head = _POSTMODIFIER.sub("", mention).strip(" ,")
    of = _NAME_OF.match(head)
    if of and of.group("name").split()[-2].lower() not in _ROLE_OR_HONORIFIC:
        head = of.group("name")
    return head or mention


__all__ = ["ParsedMention", "classify", "is_place", "parse_mention", "split_role_name"]
