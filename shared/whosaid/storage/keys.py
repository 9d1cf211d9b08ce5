"""Single-table key design: how articles, claims and speakers are addressed in DynamoDB and S3.

    item     pk               sk            gsi1pk (by_speaker)  gsi1sk                 gsi2pk     gsi3pk
    article  ARTICLE#<id>     META          -                    -                      ARTICLES   -
    claim    ARTICLE#<id>     CLAIM#000123  <speaker partition>  <date>#<id>#<inv. idx> -          -
    speaker  SPEAKERID#<sid>  SPEAKER       -                    -                      -          SPEAKERS
    upload   UPLOAD#<uid>     UPLOAD        -                    -                      UPLOADS    -

    gsi2 (by_recency): the article's gsi2sk is <created_at>#<id>, an upload's <created_at>#<upload id> (its own
    partition, UPLOADS, of the same index: the projected attributes an article listing needs carry an upload too).
    gsi3 (by_claims): the speaker's gsi3sk is <claim count, 10 digits>#<latest article date>#<sid>.

A claim's speaker partition is SPEAKER#<name key> for a named speaker, one entity across articles, and
ARTICLE_SPEAKER#<article id>#<name key> for an article-scoped one (`models.is_article_scoped`: anonymous or unnamed,
"Palestinian sources", "a senior official"), which is never merged with a namesake in another article. A speaker's
id (`spk_` + 20 hex digits of sha256 of its partition) is stable and URL-safe; its directory entry is keyed by it.

One query reads an article with all its claims (pk), one reads a speaker's claims across articles newest first
(by_speaker, descending), one lists articles newest first (by_recency, descending), one lists the speaker directory
most claims first (by_claims, descending; storage/directory.py), one lists processed S3 uploads newest first
(by_recency, descending; storage/uploads.py).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime

from whosaid.models import Speaker, is_article_scoped

ARTICLE_PREFIX = "ARTICLE#"
CLAIM_PREFIX = "CLAIM#"
SPEAKER_PREFIX = "SPEAKER#"
SCOPED_SPEAKER_PREFIX = "ARTICLE_SPEAKER#"
SPEAKER_ENTRY_PREFIX = "SPEAKERID#"
META_SK = "META"
SPEAKER_ENTRY_SK = "SPEAKER"
ARTICLES_PARTITION = "ARTICLES"
UPLOAD_PREFIX = "UPLOAD#"
UPLOAD_SK = "UPLOAD"
UPLOADS_PARTITION = "UPLOADS"
DIRECTORY_PARTITION = "SPEAKERS"
SPEAKER_INDEX = "by_speaker"
RECENCY_INDEX = "by_recency"
DIRECTORY_INDEX = "by_claims"

ARTICLE_ID_HEX_CHARS = 20  # 80 bits of sha256: collisions are out of reach for any realistic archive
ARTICLE_ID_PATTERN = re.compile(rf"^[0-9a-f]{{{ARTICLE_ID_HEX_CHARS}}}$")
CLAIM_INDEX_DIGITS = 6
MAX_CLAIM_INDEX = 10**CLAIM_INDEX_DIGITS - 1
SPEAKER_ID_PREFIX = "spk_"
SPEAKER_ID_HEX_CHARS = 20
SPEAKER_ID_PATTERN = re.compile(rf"^{SPEAKER_ID_PREFIX}[0-9a-f]{{{SPEAKER_ID_HEX_CHARS}}}$")
CLAIM_COUNT_DIGITS = 10
UPLOAD_ID_PREFIX = "upl_"
UPLOAD_ID_HEX_CHARS = 20
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
    """The claims partition of a named speaker: one across articles."""
    return f"{SPEAKER_PREFIX}{speaker_key(name)}"


def claims_partition(article_id: str, speaker: Speaker) -> str:
    """Where a claim is indexed by speaker: the named speaker's partition, or one of the article's own for an
    anonymous or unnamed speaker (never merged across articles)."""
    if is_article_scoped(speaker):
        return f"{SCOPED_SPEAKER_PREFIX}{article_id}#{speaker_key(speaker.name)}"
    return speaker_pk(speaker.name)


def is_scoped_partition(partition: str) -> bool:
    return partition.startswith(SCOPED_SPEAKER_PREFIX)


def speaker_id(partition: str) -> str:
    """The stable, URL-safe id of the speaker whose claims live in `partition`."""
    digest = hashlib.sha256(partition.encode("utf-8")).hexdigest()[:SPEAKER_ID_HEX_CHARS]
    return f"{SPEAKER_ID_PREFIX}{digest}"


def is_speaker_id(value: str) -> bool:
    return bool(SPEAKER_ID_PATTERN.fullmatch(value))


def speaker_entry_pk(speaker_id: str) -> str:
    return f"{SPEAKER_ENTRY_PREFIX}{speaker_id}"


def directory_sort_key(claim_count: int, latest_date: str, speaker_id: str) -> str:
    """Most claims first (read descending); among equals, the most recently quoted."""
    return f"{max(claim_count, 0):0{CLAIM_COUNT_DIGITS}d}#{latest_date}#{speaker_id}"


def speaker_sort_key(date: str, article_id: str, index: int) -> str:
    # Read newest first (descending), so the claim index is inverted to keep an article's claims in text order.
    return f"{date}#{article_id}#{MAX_CLAIM_INDEX - index:0{CLAIM_INDEX_DIGITS}d}"


def recency_sort_key(created_at: str, article_id: str) -> str:
    return f"{created_at}#{article_id}"


def upload_id(bucket: str, key: str, etag: str, version_id: str | None, sequencer: str) -> str:
    """The stable id of one upload notification: the same fields as the ingest's idempotency key, so a redelivery
    is the same upload and a new upload of the same key (a new sequencer) is another."""
    identity = "\0".join((bucket, key, etag, version_id or "", sequencer))
    return f"{UPLOAD_ID_PREFIX}{hashlib.sha256(identity.encode('utf-8')).hexdigest()[:UPLOAD_ID_HEX_CHARS]}"


def upload_pk(upload_id: str) -> str:
    return f"{UPLOAD_PREFIX}{upload_id}"


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
