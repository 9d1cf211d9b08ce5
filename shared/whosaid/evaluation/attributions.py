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

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from whosaid.evaluation.common import (
    ErrorSink,
    MatchCounts,
    RunCounts,
    claim_record,
    context,
    grounding_errors,
    jaccard,
    limited,
    one_to_one,
)
from whosaid.models import Article, Claim

_TRIM = " \t\r\n\u00a0.,;:!?()—–"


@dataclass
class EvalReport(RunCounts):
    gold_attributions: int = 0
    gold_speech_acts: int = 0
    overlap: MatchCounts = field(default_factory=MatchCounts)
    strict: MatchCounts = field(default_factory=MatchCounts)
    speaker_checked: int = 0
    speaker_correct: int = 0
    furniture_claims: int = 0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_correct / self.speaker_checked if self.speaker_checked else 0.0

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


def match(
    text: str, predicted: list[tuple[int, int]], gold: list[tuple[tuple[int, int], bool]], strict: bool
) -> list[tuple[int, int]]:
    """One-to-one greedy matching of predicted content spans to gold (span, is_speech_act); returns index pairs:
    the best overlap first, a speech-act gold first among equals."""
    scored = []
    for i, p in enumerate(predicted):
        for j, (g, speech) in enumerate(gold):
            score = (1.0 if _trimmed(text, p) == _trimmed(text, g) else 0.0) if strict else jaccard(p, g)
            if score > 0:
                scored.append(((-score, not speech, i, j), i, j))
    return one_to_one(scored)


def _speaker_ok(text: str, claim: Claim, gold: dict[str, Any]) -> bool:
    gold_span = gold.get("speaker_span")
    mention = (gold.get("speaker") or "").strip()
    if not mention:
        return True  # the text names no speaker: nothing to check
    if gold_span and claim.speaker_span and jaccard((gold_span[0], gold_span[1]), claim.speaker_span) > 0:
        return True
    name = claim.speaker.name.lower()
    mention_l = mention.lower()
    return mention_l in name or name in mention_l or mention_l.split()[-1].strip(",.’'") in name.split()


def evaluate(
    docs: Iterable[dict[str, Any]],
    extract: Callable[[Article], list[Claim]],
    limit: int | None = None,
    progress: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] | None = None,
    errors: ErrorSink | None = None,
) -> EvalReport:
    """Run `extract` over annotated articles and score it (see the module docstring for the definitions).

    `errors`, when given, receives a record for every missed speech act, false positive and wrong speaker."""
    report = EvalReport()
    started = time.perf_counter()
    for doc in limited(docs, limit, progress):
        _score_article(report, doc, extract, errors)
    report.seconds = time.perf_counter() - started
    return report


def _score_article(
    report: EvalReport, doc: dict[str, Any], extract: Callable[[Article], list[Claim]], errors: ErrorSink | None
) -> None:
    text = doc["text"]
    meta = doc.get("meta") or {}
    golds = [a for a in doc.get("attributions", []) if a.get("content_span")]
    gold_spans = [(tuple(a["content_span"]), bool((a.get("derived") or {}).get("speech_cue_heuristic"))) for a in golds]
    n_speech = sum(speech for _, speech in gold_spans)
    report.articles += 1
    report.gold_attributions += len(golds)
    report.gold_speech_acts += n_speech
    try:
        claims = extract(Article(text=text, title=meta.get("title") or None))
    except Exception:
        report.failed_articles += 1
        for counts in (report.overlap, report.strict):
            counts.gold += n_speech
        return
    report.predicted_claims += len(claims)
    report.grounding_failures += sum(grounding_errors(text, c) for c in claims)
    discard = [tuple(s) for s in meta.get("discard_spans") or []]
    report.furniture_claims += sum(any(jaccard(c.content_span, d) > 0 for d in discard) for c in claims)
    predicted = [tuple(c.content_span) for c in claims]
    overlap_pairs = match(text, predicted, gold_spans, strict=False)  # type: ignore[arg-type]
    strict_pairs = match(text, predicted, gold_spans, strict=True)  # type: ignore[arg-type]
    for counts, pairs in ((report.overlap, overlap_pairs), (report.strict, strict_pairs)):
        counts.predicted += len(claims)
        counts.predicted_correct += len(pairs)
        counts.gold += n_speech
        counts.gold_found += sum(gold_spans[j][1] for _, j in pairs)
    wrong_speaker = []
    for i, j in overlap_pairs:
        if gold_spans[j][1]:
            report.speaker_checked += 1
            ok = _speaker_ok(text, claims[i], golds[j])
            report.speaker_correct += ok
            if not ok:
                wrong_speaker.append((i, j))
    if errors is not None:
        _report_errors(errors, doc, claims, golds, overlap_pairs, wrong_speaker)


def _report_errors(
    errors: ErrorSink,
    doc: dict[str, Any],
    claims: list[Claim],
    golds: list[dict[str, Any]],
    pairs: list[tuple[int, int]],
    wrong_speaker: list[tuple[int, int]],
) -> None:
    """One record per missed speech act, false positive (overlap matching) and wrong speaker."""
    text, doc_id = doc["text"], doc.get("doc_id")
    matched_claims = {i for i, _ in pairs}
    matched_golds = {j for _, j in pairs}
    for j, gold in enumerate(golds):
        if j not in matched_golds and (gold.get("derived") or {}).get("speech_cue_heuristic"):
            span = tuple(gold["content_span"])
            errors({"doc_id": doc_id, "kind": "miss", "gold": _gold_record(gold), "context": context(text, span)})
    for i, claim in enumerate(claims):
        if i not in matched_claims:
            record = {"doc_id": doc_id, "kind": "false_positive", "claim": claim_record(claim)}
            errors(record | {"context": context(text, claim.content_span)})
    for i, j in wrong_speaker:
        record = {
            "doc_id": doc_id,
            "kind": "wrong_speaker",
            "gold": _gold_record(golds[j]),
            "claim": claim_record(claims[i]),
        }
        errors(record | {"context": context(text, claims[i].content_span)})


def _gold_record(gold: dict[str, Any]) -> dict[str, Any]:
    return {k: gold.get(k) for k in ("speaker", "cue", "content", "content_span")}


def format_report(report: EvalReport) -> str:
    """A short human-readable summary."""
    lines = [
        f"articles {report.articles} (failed {report.failed_articles})  gold attributions {report.gold_attributions}"
        f"  speech-act gold {report.gold_speech_acts}  predicted claims {report.predicted_claims}",
        f"{'matching':<10}{'precision':>10}{'recall':>10}{'F1':>10}{'correct':>10}{'found':>10}",
    ]
    for name, c in (("overlap", report.overlap), ("strict", report.strict)):
        lines.append(
            f"{name:<10}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>10.3f}{c.predicted_correct:>10}{c.gold_found:>10}"
        )
    lines.append(
        f"speaker accuracy (overlap-matched speech acts) {report.speaker_accuracy:.3f} of {report.speaker_checked}"
        f"  furniture claims {report.furniture_claims}  grounding precision {report.grounding_precision:.3f}"
        f"  time {report.seconds:.1f}s"
    )
    return "\n".join(lines)


__all__ = ["EvalReport", "evaluate", "format_report", "match"]
