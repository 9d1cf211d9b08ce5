"""What every finder returns: a claim's spans as `ClaimSpans` (offsets), which `whosaid.extraction.rules` turns into
a claim.

Offsets only, no strings: the claim slices the text at the end, so every span is exact by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from whosaid.extraction.spans import Span


@dataclass
class ClaimSpans:
    content: Span
    speaker: Span | None  # None: a question whose asker the text never names (dropped, but it reserves its span)
    cue: Span
    lemma: str
    kind: str  # "direct" | "reported" | "according" | "transcript"
