"""The `whosaid` command line: extract an article's claims, a JSON-lines batch, or score against gold.

Exit codes: 0 ok; 2 usage or input error (a message on stderr, no traceback); 1 extraction failure (for a batch:
at least one article failed, each reported on its own output line) or an unexpected error, reported as
`error: internal_error: …` (`--debug` adds the traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import partial
from typing import IO, Any

from whosaid import exports
from whosaid.article_input import article_from_json, article_from_text
from whosaid.errors import ConfigurationError, InvalidInputError, WhosaidError
from whosaid.jsonl import json_lines
from whosaid.models import Article, Claim, ExtractionResult, Usage

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_BATCH_ID_FIELDS = ("doc_id", "id")
_CONTENT_WIDTH = 60
_ROLE_WIDTH = 60
OUTPUT_FORMATS = ("table", "json", "csv", "html")
_BATCH_FORMATS = ("json", "csv")  # json: JSON Lines, one result or error per input line


class _UsageError(Exception):
    """Bad arguments or unreadable input: exit 2."""


def article_from_input(raw: str) -> Article:
    """A JSON object (the POST /articles body: whosaid.article_input's rules), else plain text."""
    if raw.strip().startswith("{"):
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError):
            obj = None  # text that happens to start with a brace
        if obj is not None:
            return article_from_json(obj)
    return article_from_text(raw)


def _batch_id(obj: Any) -> Any:
    """A JSON-lines record's own `doc_id` or `id` (None without one): it names the output line."""
    return obj.get("doc_id", obj.get("id")) if isinstance(obj, dict) else None


def _batch_article(obj: Any) -> Article:
    """A JSON-lines record's article: the POST /articles body, its `doc_id` or `id` set aside (not article fields)."""
    if isinstance(obj, dict):
        obj = {name: value for name, value in obj.items() if name not in _BATCH_ID_FIELDS}
    return article_from_json(obj)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc


def _truncate(value: str, width: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1] + "…"


def _columns(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns, each as wide as its widest cell, under a header and a rule."""
    widths = [max(len(h), *(len(r[k]) for r in rows)) if rows else len(h) for k, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines


def format_speakers(result: ExtractionResult) -> str:
    """The distinct speakers: name, type, role and how many claims each made, most claims first."""
    rows = [
        (s.name, s.type, _truncate(s.role or "", _ROLE_WIDTH), str(s.claim_count))
        for s in result.speakers  # already most claims first
    ]
    return "\n".join(_columns(("speaker", "type", "role", "claims"), rows))


def format_table(result: ExtractionResult) -> str:
    """A readable table of the claims, then the speakers."""
    headers = ("#", "speaker", "type", "role", "stance", "quote", "cue", "content", "span")
    rows = [
        (
            str(i),
            _truncate(c.speaker.name, 30),
            c.speaker.type,
            _truncate(c.speaker.role or "", 24),
            c.stance,
            c.quote_type,
            _truncate(c.cue, 20),
            _truncate(c.content, _CONTENT_WIDTH),
            f"{c.content_span[0]}-{c.content_span[1]}",
        )
        for i, c in enumerate(result.claims, 1)
    ]
    lines = _columns(headers, rows)
    lines.append("")
    lines.append(f"{len(result.claims)} claims, {len(result.speakers)} speakers (extractor: {result.usage.extractor})")
    lines.append(format_speakers(result))
    return "\n".join(lines)


def _extractor(choice: str | None):  # -> Extractor; typed loosely to keep the import lazy
    from whosaid.extraction import get_extractor

    try:
        return get_extractor(choice)  # type: ignore[arg-type]
    except ConfigurationError as exc:
        raise _UsageError(f"{exc.code}: {exc.message}") from exc


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path in (None, "-"):
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def _write_json_line(out: IO[str], record: dict[str, Any]) -> None:
    """One JSON Lines record, non-ASCII text kept as written."""
    out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _progress(iterable: Any, total: int | None, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="article", file=sys.stderr, dynamic_ncols=True)


def _cmd_extract(args: argparse.Namespace) -> int:
    if args.jsonl:
        if args.path:
            raise _UsageError("give either PATH or --jsonl, not both")
        return _extract_batch(args)
    if not args.path:
        raise _UsageError("give a PATH (or - for stdin), or --jsonl IN.jsonl")
    try:
        article = article_from_input(_read(args.path))
    except InvalidInputError as exc:
        raise _UsageError(f"{exc.code}: {exc.message}") from exc
    extractor = _extractor(args.extractor)
    try:
        result = extractor.extract(article)
    except InvalidInputError as exc:
        raise _UsageError(f"{exc.code}: {exc.message}") from exc
    except WhosaidError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    with _output(args.output) as out:
        out.write(_formatted(article, result, _output_format(args)))
    return EXIT_OK


def _output_format(args: argparse.Namespace, default: str = "table") -> str:
    """--format (else `default`), with --json and --speakers as the shorthands they were before it (they must
    agree with it)."""
    shorthand = "json" if args.json else "speakers" if args.speakers else None
    if args.json and args.speakers:
        raise _UsageError("give --json or --speakers, not both")
    if shorthand and args.format not in (None, "json" if args.json else "table"):
        raise _UsageError(f"--{'json' if args.json else 'speakers'} and --format {args.format} disagree")
    return shorthand or args.format or default


def _formatted(article: Article, result: ExtractionResult, output_format: str) -> str:
    if output_format == "json":
        return result.model_dump_json(indent=2) + "\n"
    if output_format == "csv":
        return exports.claims_csv(((), index, claim) for index, claim in enumerate(result.claims))
    if output_format == "html":
        return exports.article_html(*exports.extraction_view(article, result))
    return (format_speakers(result) if output_format == "speakers" else format_table(result)) + "\n"


def _extract_batch(args: argparse.Namespace) -> int:
    try:
        numbered = list(json_lines(args.jsonl))  # read before any work: an unreadable file is a usage error
    except InvalidInputError as exc:
        raise _UsageError(exc.message) from exc
    output_format = _output_format(args, default="json")
    if output_format not in _BATCH_FORMATS:
        raise _UsageError(f"--jsonl writes {' or '.join(_BATCH_FORMATS)}, not {output_format}")
    extractor = _extractor(args.extractor)
    failures = 0
    with _output(args.output) as out:
        # The header even when no article yields a claim: the columns are known.
        csv_rows = exports.ClaimCsvWriter(out, leading=("id",)) if output_format == "csv" else None
        for line in _progress(numbered, len(numbered), "extract"):
            doc_id: Any = f"line-{line.number}"
            result: ExtractionResult | None = None
            error: dict[str, str]
            try:
                obj = line.parsed(f"line {line.number}")
                own_id = _batch_id(obj)
                doc_id = doc_id if own_id is None else own_id
                result = extractor.extract(_batch_article(obj))
            except WhosaidError as exc:
                error = {"code": exc.code, "message": exc.message}
            except Exception as exc:
                error = {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
            if result is None:
                failures += 1
                if csv_rows is None:
                    _write_json_line(out, {"id": doc_id, "error": error})
                else:  # a CSV row is a claim: a failed article is told on stderr, by its id
                    print(f"error: {doc_id}: {error['code']}: {error['message']}", file=sys.stderr)
            elif csv_rows is None:
                _write_json_line(out, {"id": doc_id, **result.model_dump(mode="json")})
            else:
                csv_rows.write(((str(doc_id),), index, claim) for index, claim in enumerate(result.claims))
            out.flush()
    if failures:
        where = "see their 'error' lines" if csv_rows is None else "each reported above"
        print(f"error: {failures} of {len(numbered)} articles failed ({where})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _cmd_eval(args: argparse.Namespace) -> int:
    from whosaid.evaluation import (
        detect_format,
        evaluate,
        evaluate_sourcing,
        format_report,
        format_sourcing_report,
        read_gold,
    )

    if args.limit is not None and args.limit < 1:
        raise _UsageError("--limit must be at least 1")
    extractor = _extractor(args.extractor)
    try:
        docs = list(read_gold(args.gold))
        gold_format = detect_format(docs[0]) if docs else None
    except InvalidInputError as exc:
        raise _UsageError(f"{exc.code}: {exc.message}") from exc
    if gold_format is None:
        raise _UsageError(f"{args.gold} holds no articles")
    total = min(len(docs), args.limit) if args.limit else len(docs)
    score, show = (
        (evaluate_sourcing, format_sourcing_report) if gold_format == "sourcing" else (evaluate, format_report)
    )
    costs: list[Usage] = []  # one per extracted article, in order

    def claims_of(article: Article) -> list[Claim]:
        result = extractor.extract(article)
        costs.append(result.usage)
        return result.claims

    with _output(args.errors) if args.errors else nullcontext() as errors_out:
        sink = partial(_write_json_line, errors_out) if errors_out else None
        report = score(
            docs,
            claims_of,
            limit=args.limit,
            progress=lambda items: _progress(items, total, "eval"),
            errors=sink,
        )
    llm_costs = [usage for usage in costs if usage.extractor == "llm"]
    if args.json:
        figures = report.to_dict()
        if llm_costs:
            figures["usage_per_article"] = [usage.model_dump(mode="json") for usage in llm_costs]
        print(json.dumps(figures, indent=2))
    else:
        print(show(report))  # type: ignore[arg-type]
        if llm_costs:
            print(format_costs(llm_costs))
    return EXIT_FAILED if report.failed_articles == report.articles else EXIT_OK


def format_costs(usages: Sequence[Usage]) -> str:
    """Tokens and estimated cost per article (LLM extractor), then the total."""
    headers = ("article", "requests", "prompt", "cached", "completion", "cost USD")

    def row(label: str, items: Sequence[Usage]) -> tuple[str, ...]:
        cost = sum(u.estimated_cost_usd or 0.0 for u in items)
        counts = (sum(u.requests for u in items), sum(u.prompt_tokens for u in items))
        cached, completion = sum(u.cached_prompt_tokens for u in items), sum(u.completion_tokens for u in items)
        return (label, str(counts[0]), str(counts[1]), str(cached), str(completion), f"{cost:.6f}")

    rows = [row(str(i), [usage]) for i, usage in enumerate(usages, 1)]
    rows.append(row("total", usages))
    return "\n".join(["", "LLM usage (articles extracted without failure):", *_columns(headers, rows)])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="whosaid", description="Who said what: attributed claims in news articles.")
    sub = parser.add_subparsers(dest="command", required=True)
    extractors = ("rules", "llm", "auto")

    ex = sub.add_parser("extract", help="extract the claims of an article (or a JSON-lines batch)")
    ex.add_argument("path", nargs="?", help="plain text or a JSON object with a 'text' field; - reads stdin")
    ex.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default=None,
        help="table (default), json (the result object; JSON Lines with --jsonl), csv (one row per claim; with "
        "--jsonl a leading id column), html (one self-contained page with the claims highlighted, as in /ui)",
    )
    ex.add_argument("--json", action="store_true", help="the same as --format json")
    ex.add_argument("--speakers", action="store_true", help="print only the speakers table (name, type, role, claims)")
    ex.add_argument("--extractor", choices=extractors, default=None, help="default: WHOSAID_EXTRACTOR (auto)")
    ex.add_argument("--jsonl", metavar="IN.jsonl", help="one article object per line (doc_id or id, text, metadata)")
    ex.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    ex.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
    ex.set_defaults(func=_cmd_extract)

    ev = sub.add_parser(
        "eval", help="score an extractor on annotated articles (PolNeAR or sourcing format, told from the fields)"
    )
    ev.add_argument("gold", metavar="GOLD.jsonl")
    ev.add_argument("--extractor", choices=extractors, default="rules")
    ev.add_argument("--limit", type=int, default=None, help="score only the first N articles")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    ev.add_argument(
        "--errors", metavar="FILE", help="write every miss, false positive and wrong speaker to FILE (JSON lines)"
    )
    ev.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
    ev.set_defaults(func=_cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WhosaidError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not the user's input: one line, the traceback only when asked for
        if args.debug:
            traceback.print_exc()
        print(
            f"error: internal_error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr
        )
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
