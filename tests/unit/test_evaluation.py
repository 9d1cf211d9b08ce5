"""Scoring against gold in the development-set format, on tiny synthetic gold written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from whosaid.errors import InvalidInputError
from whosaid.evaluation import evaluate, format_report, match, read_gold
from whosaid.models import Article, Claim, Speaker

TEXT = 'Smith said the tax would rise. Jones thinks the vote will fail. "We won," Lee said. Footer: share this.'


def span(sub: str) -> list[int]:
    start = TEXT.index(sub)
    return [start, start + len(sub)]


def gold(sub: str, speaker: str, speech: bool) -> dict:
    return {
        "speaker": speaker,
        "speaker_span": span(speaker),
        "content": sub,
        "content_span": span(sub),
        "derived": {"speech_cue_heuristic": speech},
    }


DOC = {
    "doc_id": "d1",
    "text": TEXT,
    "meta": {"discard_spans": [span("Footer: share this.")]},
    "attributions": [
        gold("the tax would rise", "Smith", True),
        gold("the vote will fail", "Jones", False),  # a belief: counts for precision, not for recall
        gold('"We won,"', "Lee", True),
    ],
}


def predicted(sub: str, speaker: str = "Smith", speaker_sub: str | None = None) -> Claim:
    start, end = span(sub)
    sp = span(speaker_sub) if speaker_sub else None
    return Claim(
        speaker=Speaker(name=speaker, type="person"),
        cue="said",
        content=sub,
        quote_type="indirect",
        stance="asserts",
        content_span=(start, end),
        speaker_span=tuple(sp) if sp else None,  # type: ignore[arg-type]
        extractor="rules",
    )


def run(claims: list[Claim]):
    return evaluate([DOC], lambda article: claims)


def test_perfect_prediction() -> None:
    report = run(
        [
            predicted("the tax would rise", "Smith", "Smith"),
            predicted("the vote will fail", "Jones"),
            predicted('"We won,"', "Lee"),
        ]
    )
    assert report.overlap.precision == 1.0 and report.overlap.recall == 1.0 and report.overlap.f1 == 1.0
    assert report.strict.f1 == 1.0
    assert report.gold_attributions == 3 and report.gold_speech_acts == 2
    assert report.speaker_accuracy == 1.0 and report.grounding_precision == 1.0


def test_overlap_counts_partial_spans_but_strict_does_not() -> None:
    # "tax would rise" overlaps the gold "the tax would rise"; "We won" differs from '"We won,"' only by its
    # quotation marks, which strict matching keeps.
    report = run([predicted("tax would rise"), predicted("We won", "Lee")])
    assert (report.overlap.precision, report.overlap.recall) == (1.0, 1.0)
    assert report.strict.predicted_correct == 0 and report.strict.recall == 0.0


def test_strict_trims_whitespace_and_punctuation() -> None:
    report = run([predicted("the tax would rise.")])
    assert report.strict.predicted_correct == 1


def test_belief_match_counts_for_precision_only() -> None:
    report = run([predicted("the vote will fail", "Jones")])
    assert report.overlap.precision == 1.0 and report.overlap.recall == 0.0 and report.overlap.f1 == 0.0


def test_one_to_one_matching() -> None:
    # Two predictions inside one gold: one matches, the other is a false positive.
    report = run([predicted("the tax"), predicted("would rise")])
    assert report.overlap.predicted_correct == 1 and report.overlap.precision == 0.5
    assert report.overlap.recall == 0.5
    assert match(TEXT, [(0, 5), (1, 4)], [((0, 5), True)], strict=False) == [(0, 0)]


def test_speaker_accuracy_and_furniture() -> None:
    report = run([predicted("the tax would rise", "Jones"), predicted("share this")])
    assert report.speaker_checked == 1 and report.speaker_correct == 0
    assert report.furniture_claims == 1 and report.overlap.precision == 0.5


def test_grounding_failure_is_counted() -> None:
    bad = predicted("the tax would rise").model_copy(update={"content": "the tax will rise"})
    report = run([bad])
    assert report.grounding_failures == 1 and report.grounding_precision == 0.0


def test_failed_article_counts_as_all_missed() -> None:
    def boom(article: Article) -> list[Claim]:
        raise RuntimeError("extractor down")

    report = evaluate([DOC, DOC], boom, limit=1)
    assert report.articles == 1 and report.failed_articles == 1
    assert report.overlap.gold == 2 and report.overlap.recall == 0.0
    assert "failed 1" in format_report(report)


def test_read_gold(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(DOC) + "\n\n" + json.dumps(DOC) + "\n", encoding="utf-8")
    assert [d["doc_id"] for d in read_gold(path)] == ["d1", "d1"]
    path.write_text(json.dumps(DOC) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"gold.jsonl:2: not valid JSON"):
        list(read_gold(path))
    with pytest.raises(InvalidInputError, match="cannot read"):
        list(read_gold(tmp_path / "missing.jsonl"))


def test_report_serialises() -> None:
    data = run([predicted("the tax would rise")]).to_dict()
    assert data["overlap"]["precision"] == 1.0 and data["overlap"]["recall"] == 0.5
    assert set(data) >= {"strict", "speaker_accuracy", "furniture_claims", "grounding_precision", "articles"}
