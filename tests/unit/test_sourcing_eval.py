"""Scoring against sourced statements with resolved speakers (the scu-dev format), on gold written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from whosaid.cli import main
from whosaid.errors import InvalidInputError
from whosaid.evaluation import detect_format, evaluate_sourcing, format_sourcing_report
from whosaid.evaluation.sourcing import evidence, match_statements, name_verdict, sentence_bounds
from whosaid.models import Claim, Speaker, SpeakerType

TEXT = (
    "Headline: Bridge to reopen\n\n"
    "The bridge will reopen in May, Mayor Ann Lee said. “We are ready,” she added. "
    "A 2021 report by the Roundtable found that rents rose. The weather was fine."
)


def span(sub: str) -> list[int]:
    start = TEXT.index(sub)
    return [start, start + len(sub)]


def statement(sub: str, source_type: str, name: str | None, title: str | None = None) -> dict[str, Any]:
    return {"statement": sub, "span": span(sub), "source_type": source_type, "name": name, "title": title}


DOC = {
    "doc_id": "s1",
    "text": TEXT,
    "statements": [
        statement("The bridge will reopen in May, Mayor Ann Lee said.", "named_person", "Ann Lee", "Mayor"),
        statement("“We are ready,” she added.", "named_person", "Ann Lee", "Mayor"),
        statement("A 2021 report by the Roundtable found that rents rose.", "document", "Roundtable"),
    ],
}


def claim(content: str, name: str, type_: SpeakerType = "person", role: str | None = None, mention: str = "") -> Claim:
    start, end = span(content)
    sp = span(mention) if mention else None
    return Claim(
        speaker=Speaker(name=name, type=type_, role=role),
        cue="said",
        content=content,
        quote_type="indirect",
        stance="asserts",
        content_span=(start, end),
        speaker_span=tuple(sp) if sp else None,  # type: ignore[arg-type]
        extractor="rules",
    )


def run(claims: list[Claim]):
    return evaluate_sourcing([DOC], lambda article: claims)


def test_perfect_sourcing() -> None:
    report = run(
        [
            claim("The bridge will reopen in May", "Ann Lee", role="Mayor", mention="Mayor Ann Lee"),
            claim("“We are ready,”", "Ann Lee", role="Mayor", mention="she"),
            claim("that rents rose", "2021 report", "document", "Roundtable", mention="A 2021 report"),
        ]
    )
    assert (report.statement.precision, report.statement.recall, report.statement.f1) == (1.0, 1.0, 1.0)
    assert report.name_accuracy == 1.0 and report.speaker_right.f1 == 1.0
    assert report.type_agreement == 1.0 and report.title_checked == 2 and report.title_agreement == 1.0


def test_a_surname_a_pronoun_or_a_glued_role_is_the_wrong_name() -> None:
    gold = {"name": "Ann Lee", "title": "Mayor", "source_type": "named_person"}
    assert name_verdict(gold, Speaker(name="Lee", type="person")) == "partial name"
    assert name_verdict(gold, Speaker(name="she", type="person")) == "pronoun"
    assert name_verdict(gold, Speaker(name="Mayor Ann Lee", type="person")) == "words glued on: mayor"
    assert name_verdict(gold, Speaker(name="Ann Lee", type="person")) is None
    assert name_verdict(gold, Speaker(name="Mrs. Ann Lee", type="person")) is None  # honorifics are light
    assert name_verdict(gold, Speaker(name="Anne Lee", type="person")) == "another entity"
    friend = name_verdict(
        {"name": "Roger Clark", "source_type": "named_person"}, Speaker(name="friend Roger Clark", type="person")
    )
    assert friend == "words glued on: friend"


def test_names_ignore_accents_case_and_glued_titles_in_gold() -> None:
    assert name_verdict({"name": "Mevlüt Çavuşoğlu"}, Speaker(name="MEVLUT CAVUSOGLU", type="person")) is None
    gold = {"name": "Sharon Sandow, spokesperson, L.A. Housing Department", "source_type": "named_person"}
    assert name_verdict(gold, Speaker(name="Sharon Sandow", type="person")) is None


def test_documents_are_named_by_author_kind_or_year() -> None:
    gold = {"name": "Reuters/Ipsos", "source_type": "document"}
    assert name_verdict(gold, Speaker(name="Reuters/Ipsos poll", type="document")) is None
    assert name_verdict(gold, Speaker(name="2024 Reuters/Ipsos poll", type="document")) is None
    assert name_verdict(gold, Speaker(name="poll", type="document")) == "partial name"
    # A document's author, given as its role, names it too; a dated kind names a document named by its kind.
    assert name_verdict(gold, Speaker(name="poll", type="document", role="Reuters/Ipsos")) is None
    assert (
        name_verdict({"name": "2021 report", "source_type": "document"}, Speaker(name="report", type="document"))
        is None
    )


def test_unnamed_gold_wants_an_unnamed_speaker() -> None:
    gold = {"name": None, "source_type": "anonymous_source"}
    assert name_verdict(gold, Speaker(name="three people", type="anonymous")) is None
    assert name_verdict(gold, Speaker(name="Tim Cook", type="person")) == "unnamed source given a name"


def test_wrong_speakers_cost_speaker_right_f1_not_statement_f1() -> None:
    report = run(
        [
            claim("The bridge will reopen in May", "Lee", mention="Mayor Ann Lee"),
            claim("“We are ready,”", "Ann Lee", role="Mayor", mention="she"),
        ]
    )
    assert report.statement.precision == 1.0 and report.statement.recall == pytest.approx(2 / 3)
    assert report.name_checked == 2 and report.name_correct == 1
    assert report.speaker_right.predicted_correct == 1 and report.speaker_right.recall == pytest.approx(1 / 3)
    assert report.title_checked == 2 and report.title_correct == 1  # the surname claim has no role


def test_evidence_is_the_sentence_of_content_and_speaker() -> None:
    c = claim("“We are ready,”", "Ann Lee", mention="she")
    start, end = evidence(TEXT, c)
    assert TEXT[start:end] == "“We are ready,” she added."
    # A content that ends with the sentence's full stop inside its quotation ends the evidence there.
    quoted = "“We are ready to go.”\nThe next sentence is not hers."
    assert quoted[slice(*sentence_bounds(quoted, (0, 21)))] == "“We are ready to go.”"
    # A hard-wrapped line does not end a sentence; a blank line does.
    wrapped = "Smith said the plan\nwould fail. Next one."
    assert wrapped[slice(*sentence_bounds(wrapped, (0, 5)))] == "Smith said the plan\nwould fail."


def test_matching_needs_30_percent_of_the_shorter_span_and_is_one_to_one() -> None:
    # [0, 100) against [80, 110): 20 shared of the shorter 30 (67 %) matches; [95, 200) shares 5 of 100 (5 %).
    assert match_statements([(0, 100)], [(80, 110)]) == [(0, 0)]
    assert match_statements([(95, 200)], [(0, 100)]) == []
    assert match_statements([(0, 50), (10, 50)], [(0, 50)]) == [(0, 0)]


def test_false_positive_and_miss_are_written_to_the_error_sink() -> None:
    records: list[dict[str, Any]] = []
    evaluate_sourcing([DOC], lambda article: [claim("The weather was fine", "Ann Lee")], errors=records.append)
    kinds = [r["kind"] for r in records]
    assert kinds.count("miss") == 3 and kinds.count("false_positive") == 1
    fp = next(r for r in records if r["kind"] == "false_positive")
    assert fp["doc_id"] == "s1" and "⟦The weather was fine.⟧" in fp["context"]


def test_format_is_detected_from_the_fields() -> None:
    assert detect_format(DOC) == "sourcing"
    assert detect_format({"text": "x", "attributions": []}) == "attributions"
    with pytest.raises(InvalidInputError, match="cannot tell the gold format"):
        detect_format({"text": "x"})
    assert "entity-name accuracy" in format_sourcing_report(run([]))


def test_cli_eval_reads_the_sourcing_format_and_writes_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = tmp_path / "scu.jsonl"
    gold.write_text(json.dumps(DOC) + "\n", encoding="utf-8")
    errors = tmp_path / "errors.jsonl"
    assert main(["eval", str(gold), "--extractor", "rules", "--json", "--errors", str(errors)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "sourcing" and report["statements"] == 3
    assert {"statement", "speaker_right", "entity_name_accuracy", "source_type_agreement"} <= set(report)
    lines = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert all(line["kind"] in {"miss", "false_positive", "wrong_speaker"} for line in lines)
    assert report["statement"]["gold_found"] + sum(line["kind"] == "miss" for line in lines) == 3
