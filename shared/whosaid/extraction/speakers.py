"""Speakers as entities: the public face of speaker parsing and merging, shared by both extractors.

Within one article "Qassem", "Mr. Qassem" and "Hamas spokesman Hazem Qassem" are one speaker named "Hazem Qassem"
with role "Hamas spokesman"; "the sources" is the "Palestinian sources" named before. The work is in two stages of
their own: mention parsing (`whosaid.extraction.mentions`: role and name, type) and coreference
(`whosaid.extraction.coreference`: pronouns, and merging an article's mentions into entities, which the LLM
extractor also runs across its chunks with `unify_speakers`). The word lists are in `whosaid.extraction.lexicon`.
"""

from __future__ import annotations

from whosaid.extraction.coreference import unify_speakers
from whosaid.extraction.lexicon import PLACES, PRONOUNS
from whosaid.extraction.mentions import ParsedMention, classify, is_place, parse_mention, split_role_name

__all__ = [
    "PLACES",
    "PRONOUNS",
    "ParsedMention",
    "classify",
    "is_place",
    "parse_mention",
    "split_role_name",
    "unify_speakers",
]
