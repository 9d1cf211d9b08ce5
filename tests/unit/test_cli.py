"""The `whosaid` command line, run in-process with the rules extractor (and once as the installed script)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.fake_openai import Behaviour, FakeOpenAI, ok
from whosaid.cli import main
from whosaid.config import get_settings

ARTICLE = (
    "“We will rebuild the bridge before winter,” Mayor Ann Lee said on Tuesday.\n\n"
    "The council denied that the budget had been cut.\n\n"
    "PREV Governor says taxes will rise"
)


@pytest.fixture(autouse=True)
def _no_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "WHOSAID_EXTRACTOR"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_extract_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", write(tmp_path, "a.txt", ARTICLE), "--extractor", "rules"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["#", "speaker", "type", "role", "stance", "quote", "cue", "content", "span"]
    first = lines[2].split()
    assert first[:4] == ["1", "Ann", "Lee", "person"] and first[4] == "Mayor"
    assert "direct" in out and "denies" in out
    assert "2 claims, 2 speakers (extractor: rules)" in out
    speakers = out[out.index("2 claims, 2 speakers") :].splitlines()
    assert speakers[1].split() == ["speaker", "type", "role", "claims"]
    assert any(line.split() == ["Ann", "Lee", "person", "Mayor", "1"] for line in speakers)
    assert "Governor" not in out  # page furniture


def test_extract_speakers_prints_only_the_speakers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", write(tmp_path, "a.txt", ARTICLE), "--extractor", "rules", "--speakers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["speaker", "type", "role", "claims"]
    assert lines[2].split() == ["Ann", "Lee", "person", "Mayor", "1"]
    assert len(lines) == 4 and "content" not in lines[0]


def test_extract_json_from_stdin_with_metadata(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The POST /articles body: metadata at the top level (a nested "metadata" object is refused, as the API does).
    payload = {"text": ARTICLE, "title": "Bridge", "url": "https://example.com/a", "source": "Daily"}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
    assert main(["extract", "-", "--json"]) == 0  # auto without an LLM configured: the rules
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"claims", "speakers", "usage"}
    assert result["usage"]["extractor"] == "rules"
    first = result["claims"][0]
    assert first["content"] == "“We will rebuild the bridge before winter,”"
    assert ARTICLE[first["content_span"][0] : first["content_span"][1]] == first["content"]
    assert first["speaker"] == {"name": "Ann Lee", "type": "person", "role": "Mayor"}


@pytest.mark.parametrize(
    ("argv_tail", "stdin", "message"),
    [
        (["-"], "   \n", "error: invalid_input: text"),
        (["-"], '{"title": "no text"}', "error: invalid_input: text: is required"),
        (["-"], '{"text": "Hi.", "metadata": {}}', "error: invalid_input: metadata: is not an accepted field"),
        (["/no/such/file.txt"], "", "error: cannot read /no/such/file.txt"),
        ([], "", "error: give a PATH"),
    ],
)
def test_extract_input_errors_exit_2(
    argv_tail: list[str], stdin: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["extract", *argv_tail, "--extractor", "rules"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and "Traceback" not in err


def test_llm_without_configuration_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", write(tmp_path, "a.txt", ARTICLE), "--extractor", "llm"]) == 2
    assert capsys.readouterr().err.startswith("error: configuration_error: ")


def test_argparse_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["extract", "x.txt", "--extractor", "gpt"])
    assert exc.value.code == 2


def test_jsonl_batch_continues_past_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps({"doc_id": "a1", "text": ARTICLE, "title": "Bridge"}),
        "{not json",
        json.dumps({"id": 7, "text": "   "}),
        "",
        json.dumps({"id": "b2", "text": "The minister said that the border would reopen next week."}),
    ]
    source = write(tmp_path, "in.jsonl", "\n".join(lines) + "\n")
    out_path = tmp_path / "out.jsonl"
    assert main(["extract", "--jsonl", source, "-o", str(out_path), "--extractor", "rules"]) == 1
    records = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a1", "line-2", 7, "b2"]
    assert len(records[0]["claims"]) == 2 and records[0]["usage"]["extractor"] == "rules"
    assert records[1]["error"]["code"] == "invalid_input" and "not valid JSON" in records[1]["error"]["message"]
    assert records[2]["error"]["code"] == "invalid_input" and "blank" in records[2]["error"]["message"]
    assert records[3]["claims"][0]["content"] == "that the border would reopen next week"
    err = capsys.readouterr().err
    assert "2 of 4 articles failed" in err and "extract" in err  # the progress bar is on stderr


def test_jsonl_all_good_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write(tmp_path, "in.jsonl", json.dumps({"id": "x", "text": ARTICLE}) + "\n")
    assert main(["extract", "--jsonl", source, "--extractor", "rules"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["id"] == "x" and record["speakers"][0]["claim_count"] == 1


def gold_file(tmp_path: Path) -> str:
    text = "Smith said that the tax would rise. Jones thinks the vote will fail."
    content = "that the tax would rise"
    start = text.index(content)
    doc = {
        "doc_id": "g1",
        "text": text,
        "meta": {"discard_spans": []},
        "attributions": [
            {
                "speaker": "Smith",
                "speaker_span": [0, 5],
                "content": content,
                "content_span": [start, start + len(content)],
                "derived": {"speech_cue_heuristic": True},
            }
        ],
    }
    return write(tmp_path, "gold.jsonl", json.dumps(doc) + "\n")


def test_eval_prints_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", gold_file(tmp_path), "--extractor", "rules"]) == 0
    out = capsys.readouterr().out
    assert "overlap" in out and "strict" in out and "articles 1" in out


def test_eval_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", gold_file(tmp_path), "--json", "--limit", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overlap"]["f1"] == 1.0 and report["strict"]["f1"] == 1.0
    assert report["grounding_precision"] == 1.0 and report["articles"] == 1


def test_eval_bad_gold_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", write(tmp_path, "bad.jsonl", "{nope\n")]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 2


def test_installed_script_rules_path_does_not_import_openai(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", ARTICLE)
    code = (
        "import sys; from whosaid.cli import main; rc = main(['extract', sys.argv[1], '--extractor', 'rules']); "
        "assert 'openai' not in sys.modules, 'openai imported'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Ann Lee" in done.stdout


def test_unexpected_errors_are_one_line_unless_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, article: object, **_: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("whosaid.extraction.rules.RulesExtractor.extract", broken)
    path = write(tmp_path, "a.txt", ARTICLE)
    assert main(["extract", path, "--extractor", "rules"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: internal_error: ZeroDivisionError: division by zero") and "Traceback" not in err
    assert main(["extract", path, "--extractor", "rules", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_an_endpoint_answering_something_else_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    fake_openai.default = Behaviour(body=b'{"hello": "world"}')
    assert main(["extract", write(tmp_path, "a.txt", ARTICLE), "--extractor", "llm"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: llm_bad_output: ") and "not a chat completion" in err and "Traceback" not in err


def test_eval_with_the_llm_prints_tokens_and_cost_per_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    fake_openai.default = ok([], usage={"prompt_tokens": 1_000, "completion_tokens": 100, "total_tokens": 1_100})
    assert main(["eval", gold_file(tmp_path), "--extractor", "llm"]) == 0
    out = capsys.readouterr().out
    lines = out[out.index("LLM usage") :].splitlines()
    assert lines[1].split() == ["article", "requests", "prompt", "cached", "completion", "cost", "USD"]
    assert lines[3].split() == ["1", "1", "1000", "0", "100", "0.000560"]  # 1000 x $0.40/M + 100 x $1.60/M
    assert lines[-1].split()[0] == "total"


# --- --format: csv and html exports -----------------------------------------------------------------------------


def _csv_rows(document: str) -> list[dict[str, str]]:
    import csv

    return list(csv.DictReader(io.StringIO(document, newline="")))


def test_extract_format_csv_writes_one_row_per_claim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from whosaid.exports import CLAIM_COLUMNS

    assert main(["extract", write(tmp_path, "a.txt", ARTICLE), "--extractor", "rules", "--format", "csv"]) == 0
    rows = _csv_rows(capsys.readouterr().out)
    assert [list(row) for row in rows] == [list(CLAIM_COLUMNS)] * 2
    assert [(row["index"], row["speaker"], row["stance"]) for row in rows] == [
        ("0", "Ann Lee", "asserts"),
        ("1", "The council", "denies"),
    ]
    for row in rows:  # the offsets index the article as given
        assert ARTICLE[int(row["content_start"]) : int(row["content_end"])] == row["content"]


def test_extract_format_html_writes_a_page_of_the_article(tmp_path: Path) -> None:
    out = tmp_path / "claims.html"
    source = write(tmp_path, "a.json", json.dumps({"text": ARTICLE, "title": "Bridge <before> winter"}))
    assert main(["extract", source, "--extractor", "rules", "--format", "html", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<title>Bridge &lt;before&gt; winter · whosaid</title>" in page
    assert '"content": "“We will rebuild the bridge before winter,”"' in page  # the claims travel in the page


def test_jsonl_batch_as_csv_adds_the_id_column_and_reports_failures_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [json.dumps({"doc_id": "a-1", "text": ARTICLE}), "{broken", json.dumps({"id": 7, "text": ARTICLE})]
    source = write(tmp_path, "in.jsonl", "\n".join(lines) + "\n")
    out_path = tmp_path / "out.csv"
    assert main(["extract", "--jsonl", source, "--format", "csv", "-o", str(out_path), "--extractor", "rules"]) == 1
    rows = _csv_rows(out_path.read_text(encoding="utf-8"))
    assert [(row["id"], row["index"]) for row in rows] == [("a-1", "0"), ("a-1", "1"), ("7", "0"), ("7", "1")]
    err = capsys.readouterr().err
    assert "error: line-2: invalid_input" in err and "1 of 3 articles failed" in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--jsonl", "IN", "--format", "html"], "--jsonl writes json or csv, not html"),
        (["--jsonl", "IN", "--format", "table"], "--jsonl writes json or csv, not table"),
        (["PATH", "--json", "--format", "csv"], "--json and --format csv disagree"),
        (["PATH", "--speakers", "--format", "html"], "--speakers and --format html disagree"),
        (["PATH", "--json", "--speakers"], "give --json or --speakers, not both"),
    ],
)
def test_formats_that_do_not_fit_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    paths = {
        "IN": write(tmp_path, "in.jsonl", json.dumps({"text": ARTICLE}) + "\n"),
        "PATH": write(tmp_path, "a.txt", ARTICLE),
    }
    assert main(["extract", *(paths.get(a, a) for a in arguments), "--extractor", "rules"]) == 2
    assert message in capsys.readouterr().err
