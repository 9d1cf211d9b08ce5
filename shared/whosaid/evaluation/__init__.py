"""Scoring an extractor against annotated articles, in either of the development sets' formats.

- `attributions` (PolNeAR, `polnear-train.jsonl`): attributions as mentions with content spans; see
  `whosaid.evaluation.attributions`.
- `sourcing` (`scu-dev.jsonl`): sourced statements with their source resolved to an entity; see
  `whosaid.evaluation.sourcing`.

`detect_format` tells them apart by their fields, so `whosaid eval FILE` needs no flag.
"""

from __future__ import annotations

from typing import Any, Literal

from whosaid.errors import InvalidInputError
from whosaid.evaluation.attributions import EvalReport, evaluate, format_report, match
from whosaid.evaluation.common import ErrorSink, MatchCounts, grounding_errors, read_gold
from whosaid.evaluation.sourcing import SourcingReport, evaluate_sourcing, format_sourcing_report

GoldFormat = Literal["attributions", "sourcing"]


def detect_format(doc: dict[str, Any]) -> GoldFormat:
    """'sourcing' for an article with `statements`, 'attributions' for one with `attributions`."""
    if isinstance(doc.get("statements"), list):
        return "sourcing"
    if isinstance(doc.get("attributions"), list):
        return "attributions"
    raise InvalidInputError(
        "cannot tell the gold format: an article needs 'attributions' (PolNeAR format) or 'statements' "
        "(sourcing format, as in scu-dev.jsonl)"
    )


__all__ = [
    "ErrorSink",
    "EvalReport",
    "GoldFormat",
    "MatchCounts",
    "SourcingReport",
    "detect_format",
    "evaluate",
    "evaluate_sourcing",
    "format_report",
    "format_sourcing_report",
    "grounding_errors",
    "match",
    "read_gold",
]
