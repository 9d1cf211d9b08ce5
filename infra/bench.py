r"""`make bench`: performance as ratios against a baseline measured in the same run.

Absolute times depend on the machine and its load; a ratio against a baseline timed alongside it does not (much).
Each row times one thing and a baseline doing comparable trivial work on the same input:
- cold imports: a fresh interpreter importing a code path, against a fresh interpreter doing nothing;
- handler cold imports: a fresh interpreter importing each Lambda handler as Lambda does (from its directory, the
  rules extractor, the environment the template sets), against the floor of the libraries it is built on, imported
  and set up the same way in fresh interpreters (powertools Logger, Tracer, Metrics and the REST resolver with
  validation, or the batch processor and idempotency; boto3; pydantic), runs alternating; goal <= 1.15x for the API;
- rules extraction: extracting an article, against tokenising the same text with one regex;
- grounding: each tier (exact, normalised, fuzzy) against `str.find` of the same evidence;
- llm: the LLM pipeline against a fake model of fixed latency (1 s): one chunk against a bare SDK request (its
  ratio less one is the pipeline's own overhead; goal ≤ 2 %), and a 10-chunk article against one chunk (goal ≤ 1.5x);
- rules throughput: articles per second of the rules extractor over the development set (`--data`, default
  ../shared/data/polnear-train.jsonl, `make bench DATA=...`) and over scu-dev (`--scu`), against articles per
  second of `re.findall(r"\w+", text)` over the same articles, and the ratio (rules time per article / regex time per
  article). A warm-up of 20 articles spread over the set, then the whole set (`--limit N`: N evenly spaced ones)
  timed `--passes` times (default 3), rules and regex passes alternating; the median is reported. A missing file
  skips its row.

`--compare REV` (`make bench COMPARE=REV`) shows whether throughput is no lower than at REV: it checks REV out into a
temporary git worktree under /tmp and times the dev-set throughput row in fresh interpreters, `--rounds` (default 3)
of each, alternating REV's and this working tree's (PYTHONPATH pointing at each tree's shared/, the benchmark code
of this tree), then prints both articles/s and new/old, and removes the worktree. One round takes two passes over
the set (about 25 s for polnear-train); a noisy machine wants more rounds.

Built layers: when a `sam build` directory exists (`--build-dir`, default .aws-sam/build), each layer's unzipped size
(what Lambda's 250 MB limit counts), of which bytecode, and its largest packages.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "events" / "seed-article.txt"
DEV_SET = ROOT.parent / "shared" / "data" / "polnear-train.jsonl"
SCU_DEV = ROOT.parent / "shared" / "data" / "scu-dev.jsonl"
WARM_UP = 20  # articles extracted before a throughput is timed
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


def _seconds(fn: Callable[[], object], number: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def _median_time(fn: Callable[[], object], repeat: int, number: int = 1) -> float:
    return statistics.median(_seconds(fn, number) for _ in range(repeat))


def _cold(code: str) -> Callable[[], object]:
    return lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def bench_imports(repeat: int) -> list[Row]:
    baseline = _median_time(_cold("pass"), repeat)
    paths = {
        "import: rules extractor": "from whosaid.extraction import get_extractor; get_extractor('rules')",
        "import: LLM extractor (openai)": "import whosaid.extraction.llm",
    }
    return [Row(name, _median_time(_cold(code), repeat), "python -c pass", baseline) for name, code in paths.items()]


# The libraries each handler is built on, imported and set up as the handler sets them up (its floor).
_OBSERVABILITY = (
    "from aws_lambda_powertools import Logger, Metrics, Tracer; import boto3, pydantic; "
    "Logger(service='f'); Tracer(service='f'); Metrics(service='f', namespace='f'); "
)
HANDLER_FLOORS = {
    "api": _OBSERVABILITY + "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "APIGatewayRestResolver(enable_validation=True)",
    "ingest": _OBSERVABILITY + "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType; "
    "from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function; "
    "BatchProcessor(event_type=EventType.SQS)",
}
# What the template sets (no LLM configured: the rules extractor), plus a region for boto3.
HANDLER_ENV = {
    "WHOSAID_EXTRACTOR": "rules",
    "POWERTOOLS_SERVICE_NAME": "whosaid",
    "POWERTOOLS_METRICS_NAMESPACE": "Whosaid",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def bench_handlers(repeat: int) -> list[Row]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "WHOSAID_"))} | HANDLER_ENV
    rows = []
    for name, floor in HANDLER_FLOORS.items():
        directory = ROOT / "functions" / name

        def run(code: str, cwd: Path = directory) -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=cwd, env=env)
            return time.perf_counter() - start

        handler, libraries = [], []
        for _ in range(repeat):  # alternating, so a change in the machine's load falls on both alike
            handler.append(run(f"import {name}_handler"))
            libraries.append(run(floor))
        rows.append(
            Row(
                f"cold import: {name}_handler (rules)",
                statistics.median(handler),
                "its libraries",
                statistics.median(libraries),
            )
        )
    return rows


def layer_sizes(build_dir: Path) -> list[tuple[str, int, int, list[tuple[str, int]]]]:
    """(layer, unzipped bytes, of which .pyc, the 5 largest top-level entries) for each layer in a sam build dir."""
    layers = []
    for site in sorted(build_dir.glob("*/python")):
        sizes: dict[str, int] = {}
        total = compiled = 0
        for path in site.rglob("*"):
            if path.is_file():
                size = path.stat().st_size
                total += size
                compiled += size if path.suffix == ".pyc" else 0
                top = path.relative_to(site).parts[0]
                sizes[top] = sizes.get(top, 0) + size
        largest = sorted(sizes.items(), key=lambda item: -item[1])[:5]
        layers.append((site.parent.name, total, compiled, largest))
    return layers


def print_layer_sizes(build_dir: Path) -> None:
    mib = 1024 * 1024
    print(f"\nbuilt layers ({build_dir}; unzipped, of which bytecode; largest packages):")
    for name, total, compiled, largest in layer_sizes(build_dir):
        packages = ", ".join(f"{top} {size / mib:.1f}" for top, size in largest)
        print(f"  {name:<14} {total / mib:6.1f} MiB  ({compiled / mib:.1f} MiB .pyc)  {packages}")


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
        seconds = _median_time(partial(ground, text, evidence, threshold=0.85), repeat, number=20)
        rows.append(Row(label, seconds, "str.find", baseline))
    return rows


@dataclass
class Throughput:
    label: str
    articles: int
    chars: int
    rules: list[float]  # seconds per timed pass over the set
    baseline: list[float]

    @property
    def rules_per_second(self) -> float:
        return self.articles / statistics.median(self.rules)

    @property
    def baseline_per_second(self) -> float:
        return self.articles / statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        """Rules time per article over regex time per article."""
        return statistics.median(self.rules) / statistics.median(self.baseline)

    @property
    def spread(self) -> float:
        """How far apart the rules passes were: (slowest - fastest) / median."""
        return (max(self.rules) - min(self.rules)) / statistics.median(self.rules)


LLM_LATENCY = 1.0  # seconds the fake model takes to answer every request


def bench_llm(repeat: int) -> list[Row]:
    """The LLM pipeline against a fake model that answers every request in LLM_LATENCY seconds (infra/fake_openai.py):
    - one chunk: `extract()` of the seed article, against one bare SDK request to the same fake (the model's own
      time and the HTTP round trip): the ratio less one is the pipeline's overhead (prompt, parsing, grounding);
    - ten chunks: a 10-chunk article (WHOSAID_CHUNK_CHARS=1000, chunks asked concurrently up to
      WHOSAID_MAX_CONCURRENCY, default 10), against the one-chunk article."""
    import openai

    from infra.fake_openai import Behaviour, FakeOpenAI, Recorded, model_claim, ok
    from whosaid.config import Settings
    from whosaid.extraction.llm import LLMExtractor
    from whosaid.models import Article

    seed = SEED.read_text(encoding="utf-8")
    said = [m for m in re.finditer(r"(?m)^(?P<content>[^\n]{40,300}?), (?P<who>[^,\n]{3,40}) said", seed)]
    claims = [model_claim(m["content"], m["who"], cue="said") for m in said][:10] or [model_claim(seed[:60], "Hamas")]
    fake = FakeOpenAI().start()
    try:

        def answer(request: Recorded) -> Behaviour:
            article = request.message("user")
            return ok([c for c in claims if c["content"] in article], delay=LLM_LATENCY)

        fake.responder = answer
        one = LLMExtractor(Settings(openai_base_url=fake.base_url, extractor="llm"))
        client = openai.OpenAI(api_key="x", base_url=fake.base_url, max_retries=0)
        messages = [{"role": "user", "content": seed}]
        bare = _median_time(lambda: client.chat.completions.create(model="m", messages=messages), repeat)  # type: ignore[arg-type]
        single = _median_time(lambda: one.extract(Article(text=seed)), repeat)
        # Ten paragraphs of about 900 characters (the seed's sentences, in order): one chunk each.
        flowing = " ".join(seed.split()) + " "
        pieces: list[str] = []
        at = 0
        while len(pieces) < 10:
            cut = (flowing * 3).rfind(" ", 0, at + 900)
            pieces.append((flowing * 3)[at:cut].strip())
            at = cut + 1 if cut + 1 < len(flowing) * 2 else 0
        long_text = "\n\n".join(pieces)
        ten = LLMExtractor(Settings(openai_base_url=fake.base_url, extractor="llm", chunk_chars=1000))
        chunks = ten.extract(Article(text=long_text)).usage.chunks
        many = _median_time(lambda: ten.extract(Article(text=long_text)), repeat)
    finally:
        fake.stop()
    return [
        Row(f"llm: one chunk ({LLM_LATENCY:g}s model)", single, "bare SDK request", bare),
        Row(f"llm: {chunks} chunks", many, "one chunk", single),
    ]


def load_texts(path: Path, limit: int | None = None) -> tuple[list[str], str]:
    """Each line's `text`; with `limit`, that many spread evenly over the file (the same ones every run)."""
    from whosaid.jsonl import json_lines

    texts = [line.parsed(f"{path} line {line.number}")["text"] for line in json_lines(path)]
    if limit is None or limit >= len(texts):
        return texts, "whole set"
    return [texts[i * len(texts) // limit] for i in range(limit)], f"{limit} of {len(texts)}, evenly spaced"


def measure_throughput(texts: list[str], passes: int) -> tuple[list[float], list[float]]:
    """Seconds per pass over `texts` of the rules extractor and of the regex baseline, in alternating passes."""
    from whosaid.extraction.rules import RulesExtractor
    from whosaid.models import Article

    articles = [Article(text=text) for text in texts]
    extractor = RulesExtractor()
    for article in articles[:: max(1, len(articles) // WARM_UP)][:WARM_UP]:
        extractor.extract(article)  # compiled patterns and tables, as in a running Lambda

    def tokenise() -> None:
        for text in texts:
            _WORDS.findall(text)

    def extract() -> None:
        for article in articles:
            extractor.extract(article)

    rules, baseline = [], []
    for _ in range(passes):
        baseline.append(_seconds(tokenise))
        rules.append(_seconds(extract))
    return rules, baseline


def bench_throughput(path: Path, passes: int, limit: int | None = None) -> Throughput | None:
    if not path.is_file():
        print(f"skipped: throughput on {path} (no such file)", file=sys.stderr)
        return None
    texts, which = load_texts(path, limit)
    rules, baseline = measure_throughput(texts, passes)
    return Throughput(f"{path.name} ({which})", len(texts), sum(map(len, texts)), rules, baseline)


def print_throughput(rows: list[Throughput], title: str) -> None:
    width = max(len("set"), *(len(r.label) for r in rows))
    print(title)
    print(
        f"{'set':<{width}}  {'articles':>8}  {'chars':>10}  {'rules articles/s':>16}  {'spread':>6}  "
        f"{'regex tokenise articles/s':>25}  {'ratio':>6}"
    )
    for r in rows:
        print(
            f"{r.label:<{width}}  {r.articles:>8}  {r.chars:>10,}  {r.rules_per_second:>16.1f}  {r.spread:>6.1%}  "
            f"{r.baseline_per_second:>25,.1f}  {r.ratio:>5.1f}x"
        )


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def _worktree(commit: str) -> Iterator[Path]:
    """`commit` checked out in a temporary git worktree (under /tmp), removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="whosaid-bench-"))
    tree = scratch / "tree"
    _git("worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
        _git("worktree", "prune")


def _run_worker(shared: Path, data: Path, limit: int | None) -> dict[str, Any]:
    """One fresh interpreter importing whosaid from `shared`: a warm-up, then one timed pass of each."""
    command = [sys.executable, "-m", "infra.bench", "--worker", str(data), "--passes", "1"]
    command += ["--limit", str(limit)] if limit else []
    env = {**os.environ, "PYTHONPATH": str(shared)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"benchmark worker for {shared} failed:\n{done.stderr}")
    result = json.loads(done.stdout.splitlines()[-1])
    if not Path(result["whosaid"]).resolve().is_relative_to(shared.resolve()):
        raise RuntimeError(f"the worker for {shared} imported whosaid from {result['whosaid']}")
    return result


def compare(rev: str, data: Path, limit: int | None, rounds: int) -> int:
    """Dev-set rules throughput of `rev` against this working tree, in alternating fresh interpreters."""
    if not data.is_file():
        print(f"--compare needs the development set: {data} (no such file)", file=sys.stderr)
        return 2
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except subprocess.CalledProcessError:
        print(f"--compare: {rev} is not a commit of this repository", file=sys.stderr)
        return 2
    texts, which = load_texts(data, limit)
    dirty = " + uncommitted changes" if _git("status", "--porcelain", "--", "shared") else ""
    labels = (f"{rev} ({commit[:10]})", f"working tree (HEAD {_git('rev-parse', '--short', 'HEAD')}{dirty})")
    results: dict[str, list[dict[str, Any]]] = {label: [] for label in labels}
    with _worktree(commit) as tree:
        shared = dict(zip(labels, (tree / "shared", ROOT / "shared"), strict=True))
        for n in range(rounds):
            for label in labels if n % 2 == 0 else labels[::-1]:
                print(f"round {n + 1}/{rounds}: {label}", file=sys.stderr, flush=True)
                results[label].append(_run_worker(shared[label], data, limit))
    old, new = (
        Throughput(
            label,
            len(texts),
            sum(map(len, texts)),
            [s for r in results[label] for s in r["rules"]],
            [s for r in results[label] for s in r["baseline"]],
        )
        for label in labels
    )
    print_throughput(
        [old, new],
        f"rules throughput on {data.name} ({which}): median of {rounds} alternating runs per tree, "
        f"each a fresh interpreter, {WARM_UP}-article warm-up",
    )
    print(
        f"new/old articles/s: {new.rules_per_second / old.rules_per_second:.3f}x "
        f"(against each run's regex baseline: {old.ratio / new.ratio:.3f}x)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="samples per measurement (median reported)")
    parser.add_argument("--data", type=Path, default=DEV_SET, help="development set JSONL for the throughput row")
    parser.add_argument("--scu", type=Path, default=SCU_DEV, help="scu-dev JSONL for a second throughput row")
    parser.add_argument("--limit", type=int, help="time only this many dev-set articles, evenly spaced (default: all)")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over a set (median reported)")
    parser.add_argument("--compare", metavar="REV", help="only dev-set throughput of REV against this tree")
    parser.add_argument("--rounds", type=int, default=3, help="with --compare: alternating runs per tree")
    parser.add_argument(
        "--build-dir", type=Path, default=ROOT / ".aws-sam" / "build", help="a sam build directory: layer sizes"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        import whosaid

        rules, baseline = measure_throughput(load_texts(args.worker, args.limit)[0], args.passes)
        print(json.dumps({"whosaid": whosaid.__file__, "rules": rules, "baseline": baseline}))
        return 0
    if args.compare:
        return compare(args.compare, args.data, args.limit, args.rounds)

    text = SEED.read_text(encoding="utf-8")
    rows = bench_imports(args.repeat) + bench_handlers(max(args.repeat, 7))
    rows += bench_rules(text, args.repeat) + bench_grounding(text, args.repeat)
    rows += bench_llm(max(3, args.repeat // 2))
    throughput = [bench_throughput(args.data, args.passes, args.limit), bench_throughput(args.scu, args.passes)]

    width = max(len(r.name) for r in rows)
    print(f"{'benchmark':<{width}}  {'time':>10}  {'baseline':<16} {'baseline time':>13}  {'ratio':>8}")
    for r in rows:
        print(
            f"{r.name:<{width}}  {r.seconds * 1e3:>8.2f}ms  {r.baseline_name:<16} "
            f"{r.baseline_seconds * 1e3:>11.3f}ms  {r.ratio:>7.2f}x"
        )
    if measured := [t for t in throughput if t]:
        print()
        print_throughput(
            measured,
            f"rules throughput (median of {args.passes} passes after a {WARM_UP}-article warm-up; "
            "ratio: rules time / regex time per article)",
        )
    if any(args.build_dir.glob("*/python")):
        print_layer_sizes(args.build_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
