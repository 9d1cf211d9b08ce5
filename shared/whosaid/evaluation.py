"""Score an extractor against annotated articles in the development-set format (PolNeAR converted to JSON).

What is measured (see the README's "What to know when scoring"):

- **Precision** over ALL gold attributions: a predicted claim is correct when it matches any gold attribution
  (annotators also marked beliefs and evidence, so a belief a claim matches is not a false positive).
- **Recall** over the speech-act subset only (`derived.speech_cue_heuristic` true): the product extracts claims
  made by speakers, so a missed "X thinks" is not counted against it.
- **Matching** is one-to-one and greedy per article: every (prediction, gold) pair that qualifies is ranked by
  the Jaccard overlap of their content spans (ties prefer a speech-act gold), and pairs are taken best first
  while neither side is used yet.
  - *overlap*: the content spans share at least one character.
  - *strict*: the content spans are equal after trimming, at both ends, whitespace and the punctuation
    `. , ; : ! ? ( ) — –` (quotation marks are kept: a direct quote's content includes them).
- **Speaker accuracy** on overlap-matched speech-act pairs: correct when the predicted speaker mention overlaps
  the gold mention, or the gold mention (or its last word, for a surname) is part of the predicted speaker's name
  (a gold "he" is satisfied by the speaker it refers to, which the rules resolve at the same mention).
- **Furniture**: predicted claims overlapping `meta.discard_spans` (page furniture) are counted and are false
  positives like any other unmatched claim.
- **Grounding**: every span of every predicted claim must slice the text to its field; failures are counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from whosaid.errors import InvalidInputError
from whosaid.models import Article, Claim

_TRIM = " \t\r\n\u00a0.,;:!?()—–"


@dataclass
class MatchCounts:
    predicted: int = 0
    predicted_correct: int = 0
    gold_speech: int = 0
    gold_speech_found: int = 0

    @property
    def precision(self) -> float:
        return self.predicted_correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.gold_speech_found / self.gold_speech if self.gold_speech else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            **asdict(self),
        }


@dataclass
class EvalReport:
    articles: int = 0
    gold_attributions: int = 0
    gold_speech_acts: int = 0
    predicted_claims: int = 0
    overlap: MatchCounts = field(default_factory=MatchCounts)
    strict: MatchCounts = field(default_factory=MatchCounts)
    speaker_checked: int = 0
    speaker_correct: int = 0
    furniture_claims: int = 0
    grounding_failures: int = 0
    failed_articles: int = 0
    seconds: float = 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_correct / self.speaker_checked if self.speaker_checked else 0.0

    @property
    def grounding_precision(self) -> float:
        return 1.0 - self.grounding_failures / self.predicted_claims if self.predicted_claims else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "failed_articles": self.failed_articles,
            "gold_attributions": self.gold_attributions,
            "gold_speech_acts": self.gold_speech_acts,
            "predicted_claims": self.predicted_claims,
            "overlap": self.overlap.to_dict(),
            "strict": self.strict.to_dict(),
            "speaker_accuracy": round(self.speaker_accuracy, 4),
            "speaker_checked": self.speaker_checked,
            "furniture_claims": self.furniture_claims,
            "grounding_precision": round(self.grounding_precision, 4),
            "grounding_failures": self.grounding_failures,
            "seconds": round(self.seconds, 2),
        }


def _trimmed(text: str, span: tuple[int, int]) -> tuple[int, int]:
    start, end = span
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def match(
    text: str, predicted: list[tuple[int, int]], gold: list[tuple[tuple[int, int], bool]], strict: bool
) -> list[tuple[int, int]]:
    """One-to-one greedy matching of predicted content spans to gold (span, is_speech_act); returns index pairs."""
    pairs = []
    for i, p in enumerate(predicted):
        for j, (g, speech) in enumerate(gold):
            if strict:
                if _trimmed(text, p) == _trimmed(text, g):
                    pairs.append((1.0, speech, i, j))
            else:
                score = _jaccard(p, g)
                if score > 0:
                    pairs.append((score, speech, i, j))
    pairs.sort(key=lambda x: (-x[0], not x[1], x[2], x[3]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    matched = []
    for _, _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            matched.append((i, j))
    return matched


def grounding_errors(text: str, claim: Claim) -> int:
    """Spans of the claim that do not slice the text to their field (0 when all are exact)."""
    errors = 0
    s, e = claim.content_span
    errors += text[s:e] != claim.content
    if claim.cue_span is not None:
        errors += text[claim.cue_span[0] : claim.cue_span[1]] != claim.cue
    if claim.speaker_span is not None:
        errors += not (0 <= claim.speaker_span[0] < claim.speaker_span[1] <= len(text))
    return int(errors > 0)


def _speaker_ok(text: str, claim: Claim, gold: dict[str, Any]) -> bool:
    gold_span = gold.get("speaker_span")
    mention = (gold.get("speaker") or "").strip()
    if not mention:
        return True  # the text names no speaker: nothing to check
    if gold_span and claim.speaker_span and _jaccard(tuple(gold_span), tuple(claim.speaker_span)) > 0:
        return True
    name = claim.speaker.name.lower()
    mention_l = mention.lower()
    return mention_l in name or name in mention_l or mention_l.split()[-1].strip(",.’'") in name.split()


def read_gold(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the annotated articles of a JSON-lines file; a bad line is an input error naming its line."""
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, streamed line by line
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                raise InvalidInputError(f"{path}:{number}: expected an object with a 'text' string")
            yield doc


def evaluate(
    docs: Iterable[dict[str, Any]],
    extract: Callable[[Article], list[Claim]],
    limit: int | None = None,
    progress: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] | None = None,
) -> EvalReport:
    """Run `extract` over annotated articles and score it (see the module docstring for the definitions)."""
    report = EvalReport()
    started = time.perf_counter()
    items: Iterable[dict[str, Any]] = docs
    if limit is not None:
        items = (d for i, d in enumerate(docs) if i < limit)
    if progress is not None:
        items = progress(items)
    for doc in items:
        text = doc["text"]
        golds = [a for a in doc.get("attributions", []) if a.get("content_span")]
        gold_spans = [
            (tuple(a["content_span"]), bool((a.get("derived") or {}).get("speech_cue_heuristic"))) for a in golds
        ]
        report.articles += 1
        report.gold_attributions += len(golds)
        n_speech = sum(speech for _, speech in gold_spans)
        report.gold_speech_acts += n_speech
        try:
            meta = doc.get("meta") or {}
            article = Article(text=text, title=meta.get("title") or None)
            claims = extract(article)
        except Exception:
            report.failed_articles += 1
            for counts in (report.overlap, report.strict):
                counts.gold_speech += n_speech
            continue
        report.predicted_claims += len(claims)
        report.grounding_failures += sum(grounding_errors(text, c) for c in claims)
        discard = [tuple(s) for s in (doc.get("meta") or {}).get("discard_spans") or []]
        report.furniture_claims += sum(
            any(_jaccard(c.content_span, d) > 0 for d in discard)
            for c in claims  # type: ignore[arg-type]
        )
        predicted = [tuple(c.content_span) for c in claims]
        for strict, counts in ((False, report.overlap), (True, report.strict)):
            pairs = match(text, predicted, gold_spans, strict)  # type: ignore[arg-type]
            counts.predicted += len(claims)
            counts.predicted_correct += len(pairs)
            counts.gold_speech += n_speech
            counts.gold_speech_found += sum(gold_spans[j][1] for _, j in pairs)
            if not strict:
                for i, j in pairs:
                    if gold_spans[j][1]:
                        report.speaker_checked += 1
                        report.speaker_correct += _speaker_ok(text, claims[i], golds[j])
    report.seconds = time.perf_counter() - started
    return report


def format_report(report: EvalReport) -> str:
    """A short human-readable summary."""
    lines = [
        f"articles {report.articles} (failed {report.failed_articles})  gold attributions {report.gold_attributions}"
        f"  speech-act gold {report.gold_speech_acts}  predicted claims {report.predicted_claims}",
        f"{'matching':<10}{'precision':>10}{'recall':>10}{'F1':>10}{'correct':>10}{'found':>10}",
    ]
    for name, c in (("overlap", report.overlap), ("strict", report.strict)):
        lines.append(
            f"{name:<10}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>10.3f}{c.predicted_correct:>10}{c.gold_speech_found:>10}"
        )
    lines.append(
        f"speaker accuracy (overlap-matched speech acts) {report.speaker_accuracy:.3f} of {report.speaker_checked}"
        f"  furniture claims {report.furniture_claims}  grounding precision {report.grounding_precision:.3f}"
        f"  time {report.seconds:.1f}s"
    )
    return "\n".join(lines)


__all__ = ["EvalReport", "MatchCounts", "evaluate", "format_report", "grounding_errors", "match", "read_gold"]
