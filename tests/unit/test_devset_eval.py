"""The rules extractor over both development sets (`make eval`; not part of `make test`).

Reads the sets from WHOSAID_EVAL_DATA (PolNeAR attributions) and WHOSAID_EVAL_SOURCING_DATA (scu-dev sourced
statements); each test is skipped when its variable is unset or the file is missing: the data stays outside the
repository. The floors are the quality the product promises (README, "How extraction works").
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from whosaid.evaluation import evaluate, evaluate_sourcing, format_report, format_sourcing_report, read_gold
from whosaid.extraction.rules import RulesExtractor

pytestmark = pytest.mark.eval


def _data(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value or not Path(value).is_file():
        pytest.skip(f"set {variable} to a development set")
    return Path(value)


def test_rules_extractor_on_the_attribution_set() -> None:
    extractor = RulesExtractor()
    report = evaluate(read_gold(_data("WHOSAID_EVAL_DATA")), lambda article: extractor.extract(article).claims)
    print(format_report(report))
    assert report.articles >= 800 and report.failed_articles == 0
    # Grounding precision 1.0: every span of every returned claim slices exactly to its evidence.
    assert report.grounding_failures == 0 and report.grounding_precision == 1.0
    assert report.overlap.f1 >= 0.87 and report.strict.f1 >= 0.68, format_report(report)
    assert report.seconds < 60


def test_rules_extractor_on_the_sourcing_set() -> None:
    extractor = RulesExtractor()
    path = _data("WHOSAID_EVAL_SOURCING_DATA")
    report = evaluate_sourcing(read_gold(path), lambda article: extractor.extract(article).claims)
    print(format_sourcing_report(report))
    assert report.articles >= 30 and report.failed_articles == 0 and report.grounding_failures == 0
    # The right *who*: the whole entity named on at least 85 % of matched statements, and statement F1 >= 0.80.
    assert report.name_accuracy >= 0.85, format_sourcing_report(report)
    assert report.statement.f1 >= 0.80, format_sourcing_report(report)
