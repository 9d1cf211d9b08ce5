"""The noisy-model grounding harness (infra/grounding_eval.py) on articles written here, through the real SDK."""

from __future__ import annotations

import json
import random
from pathlib import Path

from infra.grounding_eval import Gold, failed_floors, figures, main, noisy_content, report, run

ARTICLES = [
    (
        "“We will never accept a deal that leaves our prisoners behind in the jails of the occupation,” Qassem said. "
        "Officials said the border would reopen on Monday, adding that aid convoys were already waiting.\n\n"
        "Later, Qassem said the talks had been useful, even if no agreement had been reached between the sides.",
        [
            (
                "Qassem",
                "said",
                "“We will never accept a deal that leaves our prisoners behind in the jails of the occupation,”",
            ),
            ("Officials", "said", "the border would reopen on Monday, adding that aid convoys were already waiting"),
            ("Qassem", "said", "the talks had been useful, even if no agreement had been reached between the sides"),
        ],
    ),
    (
        "The mayor told reporters that the bridge would be rebuilt before the winter storms arrive in the valley.",
        [("The mayor", "told", "that the bridge would be rebuilt before the winter storms arrive in the valley")],
    ),
]


def _gold_file(tmp_path: Path) -> Path:
    lines = []
    for n, (text, attributions) in enumerate(ARTICLES):
        rows = []
        for speaker, cue, content in attributions:
            start = text.index(content)
            s_start = text.index(speaker, max(0, start - 60)) if speaker in text[max(0, start - 60) :] else 0
            quote = "direct" if content.startswith("“") else "indirect"
            rows.append(
                {
                    "speaker": speaker,
                    "speaker_span": [s_start, s_start + len(speaker)],
                    "cue": cue,
                    "content": content,
                    "content_span": [start, start + len(content)],
                    "derived": {"quote_type": quote},
                }
            )
        lines.append(json.dumps({"doc_id": f"d{n}", "text": text, "attributions": rows}))
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_exact_copies_are_all_kept_and_noise_is_reported_by_kind(tmp_path: Path) -> None:
    path = _gold_file(tmp_path)
    clean, noisy = run(path, None, noisy=False), run(path, None, noisy=True)
    values = figures(clean, noisy)
    assert values["recall_clean"] == 1.0 and values["invented_kept"] == 0 and values["wrong_occurrence"] == 0
    assert sum(clean.seeded.values()) == 4 and noisy.seeded["invented"] == 2 and noisy.seeded["duplicate"] == 2
    assert noisy.extra_claims == 0  # the duplicates stayed one claim each
    table = report(clean, noisy)
    assert "recall without noise 1.000" in table and "invented" in table
    assert main([str(path), "--check"]) == 0


def test_noise_kinds_change_what_they_say() -> None:
    rng = random.Random(1)
    quote = Gold(0, 10, "“We will never accept a deal that leaves our prisoners behind,”", "Qassem", "said", "direct")
    quote.noise = "ellipsis"
    shortened = noisy_content(quote, rng)
    assert ("..." in shortened or "…" in shortened) and len(quote.pieces) == 2
    assert all(piece in quote.content for piece in quote.pieces)
    quote.noise = "quote_marks"
    assert noisy_content(quote, rng).startswith('"')
    words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
    changed = Gold(0, 10, words, "X", "said", "indirect", noise="changed_word")
    assert sum(a != b for a, b in zip(noisy_content(changed, rng).split(), words.split(), strict=True)) == 1


def test_floors_name_what_fell_short() -> None:
    values = {
        "recall_clean": 0.99,
        "recall_copy_noise": 0.99,
        "invented_kept": 1,
        "wrong_occurrence": 0,
        "ellipsis_kept": 1.0,
        "ellipsis_segments_ok": 1.0,
    }
    assert [f.split()[0] for f in failed_floors(values)] == ["recall_clean", "invented_kept"]
