"""`make bench`: performance as ratios against a baseline measured in the same run.

Absolute times depend on the machine and its load; a ratio against a baseline timed alongside it does not (much).
Each row times one thing and a baseline doing comparable trivial work on the same input:
- cold imports: a fresh interpreter importing a code path, against a fresh interpreter doing nothing;
- rules extraction: extracting an article, against tokenising the same text with one regex;
- grounding: each tier (exact, normalised, fuzzy) against `str.find` of the same evidence.
Optional: `--data PATH` (a development-set JSONL) adds rules extraction over its articles.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "events" / "seed-article.txt"
_WORDS = re.compile(r"\w+")


@dataclass
class Row:
    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")


def _median_time(fn: Callable[[], object], repeat: int, number: int = 1) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def _cold(code: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def bench_imports(repeat: int) -> list[Row]:
    baseline = _median_time(_cold("pass"), repeat)
    paths = {
        "import: rules extractor": "from whosaid.extraction import get_extractor; get_extractor('rules')",
        "import: LLM extractor (openai)": "import whosaid.extraction.llm",
    }
    return [Row(name, _median_time(_cold(code), repeat), "python -c pass", baseline) for name, code in paths.items()]


def bench_rules(text: str, repeat: int) -> list[Row]:
    from whosaid.extraction.rules import RulesExtractor
    from whosaid.models import Article

    article = Article(text=text)
    extractor = RulesExtractor()
    extractor.extract(article)  # warm caches, as a running Lambda would be
    baseline = _median_time(lambda: _WORDS.findall(text), repeat, number=20)
    seconds = _median_time(lambda: extractor.extract(article), repeat, number=5)
    return [Row(f"rules: extract seed article ({len(text):,} chars)", seconds, "regex tokenise", baseline)]


def bench_grounding(text: str, repeat: int) -> list[Row]:
    from whosaid.extraction.grounding import ground

    sentence = next(s for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 80)
    straight = sentence.replace("“", '"').replace("”", '"').replace("’", "'")
    normalised_case = straight if straight != sentence else sentence.upper()
    words = sentence.split()
    words[len(words) // 2] = "zzzz"
    fuzzy = " ".join(words)
    baseline = _median_time(lambda: text.find(sentence), repeat, number=200)
    cases = {"exact": sentence, "normalized": normalised_case, "fuzzy": fuzzy}
    rows = []
    for method, evidence in cases.items():
        found = ground(text, evidence, threshold=0.85)
        label = f"grounding: {method} (found by {found.method if found else 'nothing'})"
        seconds = _median_time(lambda e=evidence: ground(text, e, threshold=0.85), repeat, number=20)
        rows.append(Row(label, seconds, "str.find", baseline))
    return rows


def bench_devset(path: Path, limit: int) -> list[Row]:
    from whosaid.extraction.rules import RulesExtractor
    from whosaid.models import Article

    texts = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            texts.append(json.loads(line)["text"])
            if len(texts) >= limit:
                break
    extractor = RulesExtractor()
    start = time.perf_counter()
    for text in texts:
        _WORDS.findall(text)
    baseline = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        extractor.extract(Article(text=text))
    seconds = time.perf_counter() - start
    chars = sum(map(len, texts))
    return [Row(f"rules: {len(texts)} dev-set articles ({chars:,} chars)", seconds, "regex tokenise", baseline)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="samples per measurement (median reported)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "polnear-train.jsonl")
    parser.add_argument("--limit", type=int, default=200, help="dev-set articles to extract")
    args = parser.parse_args(argv)

    text = SEED.read_text(encoding="utf-8")
    rows = bench_imports(args.repeat) + bench_rules(text, args.repeat) + bench_grounding(text, args.repeat)
    if args.data.is_file():
        rows += bench_devset(args.data, args.limit)

    width = max(len(r.name) for r in rows)
    print(f"{'benchmark':<{width}}  {'time':>10}  {'baseline':<16} {'baseline time':>13}  {'ratio':>8}")
    for r in rows:
        print(
            f"{r.name:<{width}}  {r.seconds * 1e3:>8.2f}ms  {r.baseline_name:<16} "
            f"{r.baseline_seconds * 1e3:>11.3f}ms  {r.ratio:>7.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
