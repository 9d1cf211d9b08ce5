"""Score an extractor against *sourced statements* with resolved speakers (the format of `scu-dev.jsonl`).

Each gold article holds `statements`: a sentence or run of sentences including its attribution, with the source as
an entity (`source_type`, full `name`, `title`, `description`). What is measured:

- **Statements** (precision / recall / F1): a claim stands for the sentence(s) holding its content and its speaker
  mention (its *evidence*). It matches a statement when evidence and statement overlap by at least 30 % of the
  shorter of the two; matching is one-to-one, greedy by that share (ties: the larger overlap). Precision is over
  every predicted claim, recall over every statement.
- On matched pairs:
  - **entity-name accuracy**: the speaker names the whole entity. With a gold name: every token of it is in the
    predicted name, and the predicted name adds nothing but light words or initials — a surname alone, a pronoun,
    another entity or a name with a role glued on is wrong. Case, accents and punctuation never count; articles,
    possessives, quantifiers ("some") and honorifics ("Mr.", "Sen.") are light; words of the gold title, a title
    the annotator glued on after a comma and an alias in brackets ("(HUD)") are not required. A document is named
    by its author as much as by its kind: its kind and year are light, its author given as role counts, and words
    describing it glue no role on ("Reuters/Ipsos poll" and "a new Reuters/Ipsos survey" name "Reuters/Ipsos").
    With no gold name (an unnamed or anonymous source): right when the predicted speaker is unnamed too
    (`whosaid.models.is_article_scoped`) and not a bare pronoun.
  - **source-type agreement**, by this mapping of the benchmark's types to ours: named_person → person,
    named_organization → organization, document → document, and unnamed_person / unnamed_group /
    anonymous_source → anonymous (a statement typed otherwise is not counted).
  - **title/role agreement**, on pairs whose gold has a title: the predicted role and the title share at least
    half of their words (token F1 ≥ 0.5, light words aside).
- **Speaker-right F1**: the statement F1 counting only the matches whose entity name is right.
- **Grounding**: every span of every predicted claim must slice the text to its field; failures are counted.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from whosaid.evaluation.common import (
    ErrorSink,
    MatchCounts,
    RunCounts,
    Span,
    claim_record,
    context,
    grounding_errors,
    intersection,
    limited,
    one_to_one,
)
from whosaid.models import Article, Claim, Speaker, SpeakerType, is_article_scoped

# A claim's evidence overlaps a statement by at least this share of the shorter of the two.
MIN_OVERLAP = 0.30
TYPE_MAP: dict[str, SpeakerType] = {
    "named_person": "person",
    "named_organization": "organization",
    "document": "document",
    "unnamed_person": "anonymous",
    "unnamed_group": "anonymous",
    "anonymous_source": "anonymous",
}
# Words that never decide whether a name is right: articles, possessives and titles of courtesy or office.
_LIGHT = frozenset(
    """the a an some many several most all both few other his her their its our my s mr mrs ms miss mx dr sen rep
    gov gen lt col sgt capt prof rev st jr sr sir dame""".split()  # noqa: SIM905 - a word list reads better as words
)
# What a document is, rather than whose it is: not needed in its name ("Reuters/Ipsos poll" names "Reuters/Ipsos").
_DOCUMENT_KINDS = frozenset(
    """report reports study studies poll polls survey surveys analysis data records record filing filings document
    documents database tally letter memo lawsuit complaint petition audit review census estimates figures""".split()  # noqa: SIM905
)
_PRONOUNS = frozenset("he she they it we i you who him her them us me".split())  # noqa: SIM905
_TOKEN = re.compile(r"\w+")
_ALIAS = re.compile(r"\s*\([^()]*\)")
# A sentence ends at . ! ? (and any closing quotes or brackets) before whitespace, or at a line break after one, or
# at a blank line. A single line break inside a sentence (hard-wrapped text) does not end it.
_SENTENCE_END = re.compile(r"[.!?…][”\"’')\]]*(?=\s)|\n\s*\n")


def tokens(value: str | None) -> list[str]:
    """Words of a name or role: accents stripped, casefolded, split on anything that is not a letter or digit."""
    if not value:
        return []
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _TOKEN.findall(plain)


@dataclass
class SourcingReport(RunCounts):
    statements: int = 0
    statement: MatchCounts = field(default_factory=MatchCounts)
    speaker_right: MatchCounts = field(default_factory=MatchCounts)
    name_checked: int = 0
    name_correct: int = 0
    type_checked: int = 0
    type_correct: int = 0
    title_checked: int = 0
    title_correct: int = 0

    @property
    def name_accuracy(self) -> float:
        return self.name_correct / self.name_checked if self.name_checked else 0.0

    @property
    def type_agreement(self) -> float:
        return self.type_correct / self.type_checked if self.type_checked else 0.0

    @property
    def title_agreement(self) -> float:
        return self.title_correct / self.title_checked if self.title_checked else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "sourcing",
            "articles": self.articles,
            "failed_articles": self.failed_articles,
            "statements": self.statements,
            "predicted_claims": self.predicted_claims,
            "statement": self.statement.to_dict(),
            "speaker_right": self.speaker_right.to_dict(),
            "entity_name_accuracy": round(self.name_accuracy, 4),
            "name_checked": self.name_checked,
            "source_type_agreement": round(self.type_agreement, 4),
            "type_checked": self.type_checked,
            "title_agreement": round(self.title_agreement, 4),
            "title_checked": self.title_checked,
            "grounding_precision": round(self.grounding_precision, 4),
            "grounding_failures": self.grounding_failures,
            "seconds": round(self.seconds, 2),
        }


def sentence_bounds(text: str, span: Span) -> Span:
    """The sentence(s) holding `span`: from the start of the first sentence it touches to the end of the last."""
    start, end = span
    boundary = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 2000), start):
        if m.end() <= start:
            boundary = m.end()
    # From a little before the end: a content ending '… accept it.”' ends its sentence at the full stop it holds.
    last = _SENTENCE_END.search(text, max(end - 3, start))
    stop = last.end() if last else len(text)
    while boundary < stop and text[boundary].isspace():
        boundary += 1
    return boundary, max(stop, end)


def evidence(text: str, claim: Claim) -> Span:
    """The sentence(s) holding the claim's content and its speaker mention."""
    spans = [claim.content_span, *([claim.speaker_span] if claim.speaker_span else [])]
    return sentence_bounds(text, (min(s for s, _ in spans), max(e for _, e in spans)))


def match_statements(evidences: list[Span], statements: list[Span]) -> list[tuple[int, int]]:
    """One-to-one greedy pairs (claim index, statement index), best share of the shorter span first."""
    scored = []
    for i, ev in enumerate(evidences):
        for j, st in enumerate(statements):
            inter = intersection(ev, st)
            shorter = min(ev[1] - ev[0], st[1] - st[0])
            if inter and shorter and inter >= MIN_OVERLAP * shorter:
                scored.append(((-inter / shorter, -inter, i, j), i, j))
    return one_to_one(scored)


def name_verdict(gold: dict[str, Any], speaker: Speaker) -> str | None:
    """None when the speaker names the gold entity (see the module docstring), else why not."""
    predicted = tokens(speaker.name)
    if not predicted or " ".join(predicted) in _PRONOUNS:
        return "pronoun"
    if not gold.get("name"):
        return None if is_article_scoped(speaker) else "unnamed source given a name"
    # Annotators sometimes glue the title on after a comma ("Sharon Sandow, spokesperson, L.A. Housing Department"):
    # the name is what precedes it.
    name = gold["name"].split(",")[0] if "," in gold["name"].strip(" ,") else gold["name"]
    name = _ALIAS.sub("", name)  # "U.S. Department of Housing and Urban Development (HUD)": the acronym is an alias
    title = set(tokens(gold.get("title")))
    gold_tokens = set(tokens(name))
    light = _LIGHT
    have = set(predicted)
    if "document" in (gold.get("source_type"), speaker.type):
        # A document is named by its author as much as by its kind and date: "Reuters/Ipsos poll", "2021 report" by
        # the Economic Roundtable (its role) both name it, and its kind and year need not be repeated.
        light = _LIGHT | _DOCUMENT_KINDS
        gold_tokens = {t for t in gold_tokens if not t.isdigit()}
        have = {t for t in have | set(tokens(speaker.role)) if not t.isdigit()}
    required = gold_tokens - light - title or gold_tokens
    if not required <= have:
        return "partial name" if set(predicted) - light <= gold_tokens else "another entity"
    if "document" in (gold.get("source_type"), speaker.type):
        return None  # a document is described as much as named ('a detailed investigation'): no words glued on
    extra = {t for t in set(predicted) - gold_tokens - light if len(t) > 1 and not t.isdigit()}
    return f"words glued on: {' '.join(sorted(extra))}" if extra else None


def _role_agrees(title: str, role: str | None) -> bool:
    want, got = set(tokens(title)) - _LIGHT, set(tokens(role)) - _LIGHT
    if not want or not got:
        return False
    shared = len(want & got)
    return 2 * shared / (len(want) + len(got)) >= 0.5


def evaluate_sourcing(
    docs: Iterable[dict[str, Any]],
    extract: Callable[[Article], list[Claim]],
    limit: int | None = None,
    progress: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] | None = None,
    errors: ErrorSink | None = None,
) -> SourcingReport:
    """Run `extract` over sourcing-format articles and score it (see the module docstring)."""
    report = SourcingReport()
    started = time.perf_counter()
    for doc in limited(docs, limit, progress):
        _score_article(report, doc, extract, errors)
    report.seconds = time.perf_counter() - started
    return report


def _score_article(
    report: SourcingReport, doc: dict[str, Any], extract: Callable[[Article], list[Claim]], errors: ErrorSink | None
) -> None:
    text = doc["text"]
    golds = [s for s in doc.get("statements") or [] if s.get("span")]
    report.articles += 1
    report.statements += len(golds)
    for counts in (report.statement, report.speaker_right):
        counts.gold += len(golds)
    try:
        claims = extract(Article(text=text))
    except Exception:
        report.failed_articles += 1
        return
    report.predicted_claims += len(claims)
    report.grounding_failures += sum(grounding_errors(text, c) for c in claims)
    evidences = [evidence(text, c) for c in claims]
    pairs = match_statements(evidences, [(s["span"][0], s["span"][1]) for s in golds])
    right = 0
    verdicts: dict[tuple[int, int], str] = {}
    for i, j in pairs:
        gold, speaker = golds[j], claims[i].speaker
        verdict = name_verdict(gold, speaker)
        report.name_checked += 1
        report.name_correct += verdict is None
        right += verdict is None
        if verdict is not None:
            verdicts[(i, j)] = verdict
        if gold.get("source_type") in TYPE_MAP:
            report.type_checked += 1
            report.type_correct += TYPE_MAP[gold["source_type"]] == speaker.type
        if gold.get("title"):
            report.title_checked += 1
            report.title_correct += _role_agrees(gold["title"], speaker.role)
    for counts, found in ((report.statement, len(pairs)), (report.speaker_right, right)):
        counts.predicted += len(claims)
        counts.predicted_correct += found
        counts.gold_found += found
    if errors is not None:
        _report_errors(errors, doc, claims, golds, pairs, verdicts)


def _report_errors(
    errors: ErrorSink,
    doc: dict[str, Any],
    claims: list[Claim],
    golds: list[dict[str, Any]],
    pairs: list[tuple[int, int]],
    verdicts: dict[tuple[int, int], str],
) -> None:
    """One record per missed statement, false positive and wrong speaker, with its context."""
    text, doc_id = doc["text"], doc.get("doc_id")
    matched_claims = {i for i, _ in pairs}
    matched_golds = {j for _, j in pairs}
    for j, gold in enumerate(golds):
        if j not in matched_golds:
            errors({"doc_id": doc_id, "kind": "miss", "gold": gold, "context": context(text, tuple(gold["span"]))})
    for i, claim in enumerate(claims):
        if i not in matched_claims:
            record = {"doc_id": doc_id, "kind": "false_positive", "claim": claim_record(claim)}
            errors(record | {"context": context(text, evidence(text, claim))})
    for (i, j), why in verdicts.items():
        record = {
            "doc_id": doc_id,
            "kind": "wrong_speaker",
            "why": why,
            "gold": golds[j],
            "claim": claim_record(claims[i]),
        }
        errors(record | {"context": context(text, tuple(golds[j]["span"]))})


def format_sourcing_report(report: SourcingReport) -> str:
    """A short human-readable summary."""
    lines = [
        f"articles {report.articles} (failed {report.failed_articles})  statements {report.statements}"
        f"  predicted claims {report.predicted_claims}",
        f"{'matching':<14}{'precision':>10}{'recall':>10}{'F1':>10}{'matched':>10}",
    ]
    for name, c in (("statements", report.statement), ("speaker right", report.speaker_right)):
        lines.append(f"{name:<14}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>10.3f}{c.predicted_correct:>10}")
    lines.append(
        f"on matched statements: entity-name accuracy {report.name_accuracy:.3f} of {report.name_checked}"
        f"  source-type agreement {report.type_agreement:.3f} of {report.type_checked}"
        f"  title/role agreement {report.title_agreement:.3f} of {report.title_checked}"
    )
    lines.append(f"grounding precision {report.grounding_precision:.3f}  time {report.seconds:.1f}s")
    return "\n".join(lines)


__all__ = [
    "MIN_OVERLAP",
    "TYPE_MAP",
    "SourcingReport",
    "evaluate_sourcing",
    "evidence",
    "format_sourcing_report",
    "match_statements",
    "name_verdict",
    "sentence_bounds",
    "tokens",
]
