"""Speakers as entities: split a mention into role and name, classify it, and merge one article's mentions.

Works on claims from any extractor (the LLM extractor merges speakers across chunks with `unify_speakers`).
Within one article "Qassem", "Mr. Qassem" and "Hamas spokesman Hazem Qassem" are one speaker named
"Hazem Qassem" with role "Hamas spokesman"; "the sources" is the "Palestinian sources" named before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from whosaid.models import Claim, Speaker, SpeakerType


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as one string (long word lists stay readable)."""
    return frozenset(words.split())


# Words that make a mention a role or title rather than part of a name.
ROLE_WORDS = _wordset(
    """spokesman spokeswoman spokesperson spokespeople president vice senator sen. rep. representative
    congressman congresswoman gov. governor minister secretary director chairman chairwoman chair leader
    official officials chief ceo head ambassador candidate nominee adviser advisor aide manager mayor judge
    justice attorney general commissioner commander colonel col. gen. lt. sgt. captain capt. professor prof.
    dr. analyst strategist lawyer founder executive coordinator representative envoy deputy speaker premier
    prime king queen prince sheikh chancellor treasurer counsel consultant pollster economist researcher
    reporter editor columnist anchor host correspondent member members lawmaker lawmakers activist organizer
    operative donor"""
)
HONORIFICS = _wordset("""mr. mrs. ms. miss dr. sen. rep. gov. gen. lt. col. sgt. capt. prof. rev. mr mrs ms dr""")
ANONYMOUS_HEADS = _wordset(
    """source sources official officials people person someone somebody aide aides insider insiders diplomat
    diplomats observer observers analyst analysts expert experts witness witnesses critic critics supporter
    supporters resident residents spokesman spokeswoman spokesperson senators lawmakers legislators voters
    leaders advisers advisors strategists economists activists protesters delegates donors republicans
    democrats conservatives liberals members staffers"""
)
ORG_WORDS = _wordset(
    """party committee campaign ministry government agency department company corporation inc. inc corp. corp
    association union council movement group network news times post journal press reuters ap cnn fox msnbc
    nbc abc cbs bbc police court congress senate house administration office bureau commission institute
    foundation university center centre organization organisation coalition alliance army military navy
    embassy parliament cabinet board team club federation authority authorities delegation leadership
    statement report study poll survey website newspaper magazine channel station tv radio"""
)
_ROLE_OPENERS = frozenset({"the", "a", "an", "his", "her", "their", "its", "former", "senior", "then", "chief"})
_ARTICLES = frozenset({"the", "a", "an"})
_COURTESY = frozenset({"mr.", "mrs.", "ms.", "miss", "mr", "mrs", "ms"})
PRONOUNS = frozenset(["he", "she", "they", "it", "i", "we", "you", "who", "him", "her", "them", "me", "us", "one"])
# A proper name that is followed by one of these is an organisation ("Hamas spokesman", "Hamas leadership").
_ORG_MODIFIED = (
    r"spokes(?:man|woman|person)|leader(?:ship|s)?|officials?|statement|movement|delegation|members?|"
    r"campaign|government|party|headquarters|website|representatives?"
)


_NAME_TOKEN = re.compile(r"^(?:[A-Z][\w’'\-\.]*|[A-Z]\.)$")


@dataclass(frozen=True)
class ParsedMention:
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
            is_role = first in _ROLE_OPENERS or first in ROLE_WORDS
            return (role or (rest.rstrip(" ,") if is_role else None)), name
    tokens = mention.split()
    # Strip honorifics: "Mr. Trump" is Trump; a title ("Sen.", "Gov.") is kept as the role.
    title: str | None = None
    while len(tokens) > 1 and tokens[0].lower() in HONORIFICS:
        if tokens[0].lower() not in _COURTESY:
            title = tokens[0]
        tokens = tokens[1:]
    # A trailing run of capitalised tokens after a role word is the name.
    trailing: list[str] = []
    for token in reversed(tokens):
        if _NAME_TOKEN.match(token) and token.lower() not in ROLE_WORDS and token.lower() not in HONORIFICS:
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
            role_tokens = [t for t in before if t.lower() not in _COURTESY] or before
            return " ".join(role_tokens), " ".join(trailing)
    return title, " ".join(tokens)


_ORG_MODIFIER_AFTER = re.compile(rf"(?:’s|'s)?\s+(?:{_ORG_MODIFIED})\b")


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
    if lowered in {"he", "she", "i", "him", "her"}:
        return "person"
    if lowered in {"it"}:
        return "organization"
    if lowered in {"they", "we", "you", "who", "them", "one", "us"}:
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


# Places are not speakers and not antecedents of 'he' / 'she' ("New Hampshire’s voters …").
PLACES = frozenset(
    _wordset(
        """alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
        illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
        missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia
        washington wisconsin wyoming america europe asia africa china russia israel iran iraq syria egypt mexico
        canada germany france britain england japan india pakistan afghanistan ukraine turkey cuba gaza cairo
        beijing moscow london paris jerusalem baghdad tehran brussels manhattan brooklyn chicago boston"""
    )
    | {
        "new hampshire",
        "new jersey",
        "new mexico",
        "new york",
        "north carolina",
        "north dakota",
        "rhode island",
        "south carolina",
        "south dakota",
        "west virginia",
        "united states",
        "united kingdom",
        "saudi arabia",
        "north korea",
        "south korea",
        "new york city",
        "los angeles",
        "san francisco",
        "las vegas",
        "des moines",
        "washington d.c",
        "the united states",
        "islamic state",
        "wall street",
        "silicon valley",
        "capitol hill",
    }
)
_POSSESSIVE = re.compile(r"(?:’s|'s|’|')$")


def is_place(name: str) -> bool:
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
    bare = _POSSESSIVE.sub("", cleaned)
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
    if first.lower() not in _ARTICLES or not words:
        return name
    return rest if any(_NAME_TOKEN.match(w) for w in words) else name


_POSTMODIFIER = re.compile(
    r"\s+(?:familiar|close|who|whom|whose|which|that|with|from|in|at|on|for|between|during|under|among|involved|"
    r"speaking|briefed|knowledgeable)\b.*$|\s*\(.*$"
)


# "Jim Walsh of Ohio", "Jane Roe of the Brookings Institution": a full name, then where the person is from.
_NAME_OF = re.compile(r"^(?P<name>.*?[A-Z][\w’'\-.]*\s+[A-Z][\w’'\-.]*)\s+of\s+(?:the\s+)?[A-Z].*$")


def _head(mention: str) -> str:
    """The head noun phrase of a long mention: 'Palestinian sources familiar with …' -> 'Palestinian sources'."""
    if len(mention.split()) <= 2:
        return mention
    head = _POSTMODIFIER.sub("", mention).strip(" ,")
    of = _NAME_OF.match(head)
    if of and of.group("name").split()[-2].lower() not in ROLE_WORDS | HONORIFICS:
        head = of.group("name")
    return head or mention


def _name_key(name: str) -> list[str]:
    return [t.strip(".,’'\"").lower() for t in name.split() if t.lower() not in HONORIFICS]


def _is_short_form(short: str, full: str) -> bool:
    """'Qassem' is a short form of 'Hazem Qassem'; 'the sources' of 'Palestinian sources'."""
    s, f = _name_key(short), _name_key(full)
    if not s or not f or s == f:
        return False
    if s[0] in _ARTICLES and len(s) <= 3:
        # A definite description: its head noun ends the fuller name ("the delegation", "the sources").
        if s[-1] != f[-1]:
            return False
        return f[0] not in _ARTICLES or len(f) > len(s)
    return len(s) < len(f) and f[-len(s) :] == s


def _joins(short: Speaker, other: Speaker) -> bool:
    """Whether mention `short` names the same entity as `other` under a fuller name (or by its role)."""
    if other.name.lower() in PRONOUNS:
        return False
    if _is_short_form(short.name, other.name):
        return True
    # "the spokesman" is the speaker whose role is spokesman.
    role_head = (other.role or "").lower().split()
    words = short.name.lower().split()
    return words[0] == "the" and bool(role_head) and words[-1] == role_head[-1]


def unify_speakers(claims: list[Claim]) -> list[Claim]:
    """Merge one article's speaker mentions into entities: fullest name wins, role and type kept.

    Works on claims from any extractor. Pronoun speakers are left as they are (their resolution needs the text);
    a definite description ("the sources", "the spokesman") or a bare surname joins the speaker it shortens,
    preferring the one named most recently before it, else the first named after it.
    """
    if not claims:
        return claims
    order = sorted(range(len(claims)), key=lambda i: claims[i].content_span[0])
    # Distinct mentions in order of first appearance (work grows with distinct names, not with claims).
    first: dict[str, Speaker] = {}
    for i in order:
        first.setdefault(claims[i].speaker.name.lower(), claims[i].speaker)
    keys = list(first)
    target: dict[str, str] = {}
    for pos, key in enumerate(keys):
        if key in PRONOUNS:
            continue
        candidates = list(reversed(keys[:pos])) + keys[pos + 1 :]
        match = next((other for other in candidates if _joins(first[key], first[other])), None)
        if match is not None:
            target[key] = match

    # Follow chains ("the spokesman" -> "Qassem" -> "Hazem Qassem"), guarding against cycles.
    def resolve(key: str) -> str:
        seen = {key}
        while key in target and target[key] not in seen:
            key = target[key]
            seen.add(key)
        return key

    # One entity per canonical name: its fullest name, the first role seen, the most specific type.
    entities: dict[str, Speaker] = {}
    for key in keys:
        canonical = resolve(key)
        base = entities.get(canonical, first[canonical])
        mention = first[key]
        entities[canonical] = Speaker(
            name=base.name,
            role=base.role or mention.role,
            type=base.type if base.type != "other" else mention.type,
        )
    return [c.model_copy(update={"speaker": entities[resolve(c.speaker.name.lower())]}) for c in claims]


__all__ = ["PLACES", "ParsedMention", "classify", "is_place", "parse_mention", "split_role_name", "unify_speakers"]
