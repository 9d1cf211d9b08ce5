"""Single-table key design: how articles and claims are addressed in DynamoDB and S3.

    item     pk            sk            gsi1pk (by_speaker)  gsi1sk                        gsi2pk (by_recency)
    article  ARTICLE#<id>  META          -                    -                             ARTICLES
    claim    ARTICLE#<id>  CLAIM#000123  SPEAKER#<name key>   <date>#<id>#<inverted index>  -

    (the article's gsi2sk is <created_at>#<id>)

One query reads an article with all its claims (pk), one reads a speaker's claims across articles newest first
(by_speaker, descending), one lists articles newest first (by_recency, descending).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime

ARTICLE_PREFIX = "ARTICLE#"
CLAIM_PREFIX = "CLAIM#"
SPEAKER_PREFIX = "SPEAKER#"
META_SK = "META"
ARTICLES_PARTITION = "ARTICLES"
SPEAKER_INDEX = "by_speaker"
RECENCY_INDEX = "by_recency"

ARTICLE_ID_HEX_CHARS = 20  # 80 bits of sha256: collisions are out of reach for any realistic archive
ARTICLE_ID_PATTERN = re.compile(rf"^[0-9a-f]{{{ARTICLE_ID_HEX_CHARS}}}$")
CLAIM_INDEX_DIGITS = 6
MAX_CLAIM_INDEX = 10**CLAIM_INDEX_DIGITS - 1
_WHITESPACE = re.compile(r"\s+")


def article_id_for_text(text: str) -> str:
    """Content address of an article: the same text is the same article, however and how often it is submitted."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ARTICLE_ID_HEX_CHARS]


def is_article_id(value: str) -> bool:
    return bool(ARTICLE_ID_PATTERN.fullmatch(value))


def speaker_key(name: str) -> str:
    """Speaker name as matched: accents stripped (NFKD, combining marks dropped), casefolded, whitespace collapsed.

    "Hazem  Qassem", "hazem qassem" and "Házem Qāssem" are the same key.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", stripped.casefold()).strip()


def article_pk(article_id: str) -> str:
    return f"{ARTICLE_PREFIX}{article_id}"


def claim_sk(index: int) -> str:
    return f"{CLAIM_PREFIX}{index:0{CLAIM_INDEX_DIGITS}d}"


def speaker_pk(name: str) -> str:
    return f"{SPEAKER_PREFIX}{speaker_key(name)}"


def speaker_sort_key(date: str, article_id: str, index: int) -> str:
    # Read newest first (descending), so the claim index is inverted to keep an article's claims in text order.
    return f"{date}#{article_id}#{MAX_CLAIM_INDEX - index:0{CLAIM_INDEX_DIGITS}d}"


def recency_sort_key(created_at: str, article_id: str) -> str:
    return f"{created_at}#{article_id}"


def body_key(article_id: str) -> str:
    """Where an article body too large for its DynamoDB item lives in the bucket."""
    return f"articles/{article_id}.txt"


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with microseconds and a Z: sorts lexicographically in time order."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # isoformat, not strftime("%Y"): the year must have four digits (0347-...) to sort with every other date.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
