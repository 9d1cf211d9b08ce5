"""The speaker directory (GET /speakers): one entry item per speaker, counting the claims of complete articles.

Entry item (keys.py has the table of every item):
    pk SPEAKERID#<speaker id>, sk SPEAKER, gsi3pk SPEAKERS, gsi3sk <claim count, 10 digits>#<latest date>#<speaker id>:
    the by_claims index lists entries most claims first, then the most recently quoted. It holds the display name
    (as the most recent article spells it), the type most of its claims give it, claim and article counts, its
    roles with the number of articles giving each (at most 25 kept, 10 shown), its 5 most recent articles by date
    (the first is latest_article), the claims partition (GET /speakers/{speaker_id}/claims reads it), the folded
    words of the name (`search`, for q) and a version.

Who is one speaker: a named speaker is one entry across articles (names matched by keys.speaker_key); an anonymous
or unnamed one (models.is_article_scoped) gets an entry of its own per article, because its claims are indexed in
a partition of that article's (keys.claims_partition).

How entries follow the articles (storage/articles.py): an article's contribution (per speaker: its claims, types,
roles, and the article) is added when the article completes and removed when it is deleted, read-modify-write
under optimistic concurrency: the entries of its named speakers are read with one BatchGetItem, the new entries
computed here, and each is written conditionally on the version read (attribute_not_exists for a new one) in the
same TransactWriteItems as the article's own change; a transaction that loses to a concurrent writer of the same
entry is re-read and retried. An article-scoped entry belongs to one article only, so it is created without being
read (attribute_not_exists) and deleted with its article. The transaction is the one that flips the article to
complete (or deletes it) when claims, flip and entries fit in 100 actions; otherwise the entries go right after, in
chunks of 99, each with a conditional step of a counter on the article item (dir_done of dir_total), so every chunk
is applied once, a deletion removes exactly the chunks that were applied, and the next submission of the same text
finishes a completion that was interrupted between chunks.

Search: `q` is folded like names (case, accents, and the letters NFKD leaves alone: ø ł đ ı æ œ ...) and split
into words at anything but letters and digits; an entry matches when every word of q begins a word of its name
("qassem" and "qas" find "Hazem Qassem"; "assem" does not). The filter runs on the by_claims index (contains on
`search`, " word word "), so a request examines a bounded slice of the directory.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args

from whosaid.models import Claim, SpeakerType
from whosaid.storage import keys
from whosaid.storage.records import ArticleReference, SpeakerEntry

MAX_ROLES_KEPT = 25
MAX_ROLES_SHOWN = 10
RECENT_ARTICLES = 5
CHUNK_SPEAKERS = 99  # entries written with one article action in a transaction of at most 100
_TYPE_ORDER: tuple[str, ...] = get_args(SpeakerType)  # ties between types go to the first listed
# Letters NFKD does not decompose, folded to what a reader without them would type.
_FOLD = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe", "þ": "th"}
)
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> list[str]:
    """The words of a name or a query as they are matched: folded, in order, without repeats."""
    return list(dict.fromkeys(_WORD.findall(keys.speaker_key(text).translate(_FOLD))))


def _search_text(name: str) -> str:
    return " " + " ".join(search_words(name)) + " "


def search_filter(words: list[str], speaker_type: str | None) -> tuple[str, dict[str, str], dict[str, Any]] | None:
    """The FilterExpression (with its names and values) of a directory query, or None for the whole directory."""
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    if speaker_type:
        parts.append("#type = :type")
        names["#type"] = "type"
        values[":type"] = speaker_type
    for i, word in enumerate(words):
        parts.append(f"contains(#search, :word{i})")
        names["#search"] = "search"
        values[f":word{i}"] = f" {word}"  # a word boundary, then the word: prefix of any word
    return (" AND ".join(parts), names, values) if parts else None


def matches(entry: dict[str, Any], words: list[str], speaker_type: str | None) -> bool:
    """Whether an entry (plain attributes) passes search_filter(words, speaker_type): the same test in Python, for a
    store that keeps entries itself (the in-memory store of the tests)."""
    if speaker_type and entry["type"] != speaker_type:
        return False
    return all(f" {word}" in entry["search"] for word in words)


def query_scope(words: list[str], speaker_type: str | None) -> str:
    """What a directory next_token is bound to besides its partition: a page token of one query is refused by any
    other (it would skip entries the other query lists)."""
    return json.dumps({"q": words, "type": speaker_type}, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Contribution:
    """What one article adds to one speaker's entry."""

    speaker_id: str
    partition: str
    claim_count: int
    types: dict[str, int]
    roles: dict[str, str]  # role key (speaker_key) -> the role as written, distinct within the article
    mention: dict[str, Any]  # the article: article_id, title, date, and the name as it spells it

    @property
    def name(self) -> str:
        return str(self.mention["name"])

    @property
    def scoped(self) -> bool:
        return keys.is_scoped_partition(self.partition)

    @property
    def article_id(self) -> str:
        return str(self.mention["article_id"])


def contributions(
    article_id: str, title: str | None, date: str, claims: Iterable[tuple[str, Claim]]
) -> list[Contribution]:
    """Per speaker (by the partition each claim is indexed in), what the article's claims add, by speaker id."""
    grouped: dict[str, list[Claim]] = {}
    for partition, claim in claims:
        grouped.setdefault(partition, []).append(claim)
    speaker_contributions = []
    for partition, group in grouped.items():
        name = Counter(c.speaker.name for c in group).most_common(1)[0][0]  # the article's usual spelling
        roles: dict[str, str] = {}
        for claim in group:
            role = (claim.speaker.role or "").strip()
            if role and len(roles) < MAX_ROLES_KEPT:
                roles.setdefault(keys.speaker_key(role), role)
        speaker_contributions.append(
            Contribution(
                speaker_id=keys.speaker_id(partition),
                partition=partition,
                claim_count=len(group),
                types=dict(Counter(c.speaker.type for c in group)),
                roles=roles,
                mention=mention(article_id, title, date, name),
            )
        )
    return sorted(speaker_contributions, key=lambda c: c.speaker_id)


def chunks(speakers: list[Contribution]) -> list[list[Contribution]]:
    """The speakers in the groups they are written in (deterministic: completion and deletion agree)."""
    return [speakers[i : i + CHUNK_SPEAKERS] for i in range(0, len(speakers), CHUNK_SPEAKERS)]


def _new_entry(speaker: Contribution) -> dict[str, Any]:
    return {
        "pk": keys.speaker_entry_pk(speaker.speaker_id),
        "sk": keys.SPEAKER_ENTRY_SK,
        "entity": "speaker",
        "speaker_id": speaker.speaker_id,
        "name": speaker.name,
        "type": next(iter(speaker.types), "other"),
        "article_scoped": speaker.scoped,
        "claims_partition": speaker.partition,
        "search": _search_text(speaker.name),
        "claim_count": 0,
        "article_count": 0,
        "types": {},
        "roles": {},
        "recent": [],
        "version": 0,
        "gsi3pk": keys.DIRECTORY_PARTITION,
    }


def added(entry: dict[str, Any] | None, speaker: Contribution) -> dict[str, Any]:
    """The entry (plain attributes, as items.from_item gives them) with the article's contribution added."""
    updated = copy.deepcopy(entry) if entry else _new_entry(speaker)
    updated["claim_count"] += speaker.claim_count
    updated["article_count"] += 1
    for type_, count in speaker.types.items():
        updated["types"][type_] = updated["types"].get(type_, 0) + count
    roles = updated["roles"]
    for key, role in speaker.roles.items():
        if key in roles:
            roles[key]["articles"] += 1
        elif len(roles) < MAX_ROLES_KEPT:
            roles[key] = {"role": role, "articles": 1}
    others = [m for m in updated["recent"] if m["article_id"] != speaker.article_id]
    return with_recent(updated, [*others, speaker.mention])


def removed(entry: dict[str, Any], speaker: Contribution) -> dict[str, Any] | None:
    """The entry without the article's contribution; None when nothing is left of it (the entry goes).

    An empty `recent` means the latest articles are all gone: the caller reads older ones back (with_recent).
    """
    updated = copy.deepcopy(entry)
    updated["claim_count"] -= speaker.claim_count
    updated["article_count"] -= 1
    if updated["claim_count"] <= 0 or updated["article_count"] <= 0:
        return None
    updated["types"] = _minus(updated["types"], speaker.types)
    roles = updated["roles"]
    for key in speaker.roles:
        if key in roles:
            roles[key]["articles"] -= 1
            if roles[key]["articles"] <= 0:
                del roles[key]
    return with_recent(updated, [m for m in updated["recent"] if m["article_id"] != speaker.article_id])


def _minus(counts: dict[str, int], taken: dict[str, int]) -> dict[str, int]:
    left = {name: count - taken.get(name, 0) for name, count in counts.items()}
    return {name: count for name, count in left.items() if count > 0}


def with_recent(entry: dict[str, Any], mentions: list[dict[str, Any]]) -> dict[str, Any]:
    """The entry with its most recent articles set, and what follows from them and the counts."""
    recent = sorted(mentions, key=lambda m: (m["date"], m["article_id"]), reverse=True)[:RECENT_ARTICLES]
    types = entry["types"]
    latest = recent[0] if recent else None
    return {
        **entry,
        "recent": recent,
        "name": latest["name"] if latest else entry["name"],
        "type": max(types, key=lambda t: (types[t], -_TYPE_ORDER.index(t))) if types else entry["type"],
        "gsi3sk": keys.directory_sort_key(entry["claim_count"], latest["date"] if latest else "", entry["speaker_id"]),
    }


def mention(article_id: str, title: str | None, date: str, name: str) -> dict[str, Any]:
    return {"article_id": article_id, "title": title, "date": date, "name": name}


def entry_record(entry: dict[str, Any]) -> SpeakerEntry:
    roles = sorted(entry["roles"].values(), key=lambda r: (-r["articles"], r["role"].casefold()))
    latest = entry["recent"][0] if entry["recent"] else None
    return SpeakerEntry(
        speaker_id=entry["speaker_id"],
        name=entry["name"],
        type=entry["type"],
        article_scoped=entry["article_scoped"],
        roles=[r["role"] for r in roles[:MAX_ROLES_SHOWN]],
        claim_count=entry["claim_count"],
        article_count=entry["article_count"],
        latest_article=ArticleReference(article_id=latest["article_id"], title=latest["title"], date=latest["date"])
        if latest
        else None,
    )
