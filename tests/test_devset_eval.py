"""The rules extractor over the whole development set (`make eval`; not part of `make test`).

Reads the dev set from WHOSAID_EVAL_DATA (skipped when unset or missing): the data stays outside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from whosaid.evaluation import evaluate, format_report, read_gold
from whosaid.extraction.rules import RulesExtractor

pytestmark = pytest.mark.eval


@pytest.fixture(scope="module")
def dev_set() -> Path:
    value = os.environ.get("WHOSAID_EVAL_DATA")
    if not value or not Path(value).is_file():
        pytest.skip("set WHOSAID_EVAL_DATA to the development set (polnear-train.jsonl)")
    return Path(value)


def test_rules_extractor_on_the_development_set(dev_set: Path) -> None:
    extractor = RulesExtractor()
    report = evaluate(read_gold(dev_set), lambda article: extractor.extract(article).claims)
    print(format_report(report))
    assert report.articles >= 800 and report.failed_articles == 0
    # Grounding precision 1.0: every span of every returned claim slices exactly to its evidence.
    assert report.grounding_failures == 0 and report.grounding_precision == 1.0
    assert report.overlap.f1 >= 0.65, format_report(report)
    assert report.seconds < 60
