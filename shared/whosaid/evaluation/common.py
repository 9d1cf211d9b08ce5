"""What both evaluation formats share: reading gold files, span arithmetic, grounding checks, error records."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from whosaid.errors import InvalidInputError
from whosaid.jsonl import json_lines
from whosaid.models import Claim

Span = tuple[int, int]
# Receives one JSON-ready record per miss, false positive or wrong speaker (`whosaid eval --errors FILE`).
ErrorSink = Callable[[dict[str, Any]], None]
# Characters of text either side of an error's evidence written to its record.
CONTEXT_CHARS = 160


@dataclass
class MatchCounts:
    """Precision over every predicted claim, recall over the gold items that count for recall."""

    predicted: int = 0
    predicted_correct: int = 0
    gold: int = 0
    gold_found: int = 0

    @property
    def precision(self) -> float:
        return self.predicted_correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.gold_found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)} | (
            asdict(self)
        )


@dataclass
class RunCounts:
    """What every evaluation counts, whatever its gold: articles read and failed, claims predicted, claims whose
    spans do not slice the text to their fields, and the time it took."""

    articles: int = 0
    failed_articles: int = 0
    predicted_claims: int = 0
    grounding_failures: int = 0
    seconds: float = 0.0

    @property
    def grounding_precision(self) -> float:
        return 1.0 - self.grounding_failures / self.predicted_claims if self.predicted_claims else 1.0


def one_to_one(scored: Sequence[tuple[tuple[float, ...], int, int]]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching: (rank, prediction, gold) triples taken lowest rank first while neither side is
    used yet; returns (prediction, gold) index pairs."""
    used_predicted: set[int] = set()
    used_gold: set[int] = set()
    matched = []
    for _, i, j in sorted(scored):
        if i not in used_predicted and j not in used_gold:
            used_predicted.add(i)
            used_gold.add(j)
            matched.append((i, j))
    return matched


def limited(
    docs: Iterable[dict[str, Any]],
    limit: int | None,
    progress: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] | None,
) -> Iterable[dict[str, Any]]:
    """The articles an evaluation reads: at most `limit` of them, through a progress display when given."""
    items: Iterable[dict[str, Any]] = docs
    if limit is not None:
        items = (d for i, d in enumerate(docs) if i < limit)
    return progress(items) if progress is not None else items


def read_gold(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the annotated articles of a JSON-lines file; a bad line is an input error naming its line."""
    for line in json_lines(path):
        doc = line.parsed(f"{path}:{line.number}")
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            raise InvalidInputError(f"{path}:{line.number}: expected an object with a 'text' string")
        yield doc


def intersection(a: Span, b: Span) -> int:
    """Characters two spans share (0 when they are disjoint)."""
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def jaccard(a: Span, b: Span) -> float:
    inter = intersection(a, b)
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter else 0.0


def grounding_errors(text: str, claim: Claim) -> int:
    """1 when a span of the claim does not slice the text to its field, else 0."""
    errors = 0
    s, e = claim.content_span
    errors += text[s:e] != claim.content
    if claim.cue_span is not None:
        errors += text[claim.cue_span[0] : claim.cue_span[1]] != claim.cue
    if claim.speaker_span is not None:
        errors += not (0 <= claim.speaker_span[0] < claim.speaker_span[1] <= len(text))
    return int(errors > 0)


def context(text: str, span: Span, chars: int = CONTEXT_CHARS) -> str:
    """The evidence with up to `chars` characters either side, on one line, the evidence marked with ⟦ ⟧."""
    start, end = span
    before = text[max(0, start - chars) : start]
    after = text[end : end + chars]
    return " ".join(f"{before}⟦{text[start:end]}⟧{after}".split())


def claim_record(claim: Claim) -> dict[str, Any]:
    """The parts of a predicted claim an error record needs."""
    return {
        "speaker": claim.speaker.model_dump(mode="json"),
        "cue": claim.cue,
        "content": claim.content,
        "content_span": list(claim.content_span),
    }


__all__ = [
    "ErrorSink",
    "MatchCounts",
    "RunCounts",
    "Span",
    "claim_record",
    "context",
    "grounding_errors",
    "intersection",
    "jaccard",
    "limited",
    "one_to_one",
    "read_gold",
]
