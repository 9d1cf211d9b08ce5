"""Grounding: offsets computed from the text, exact -> normalised -> fuzzy, nearest occurrence, direct quotes strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from whosaid.extraction.grounding import ground, ground_claim

THRESHOLD = 0.9


def _claim(text: str, content: str, **overrides: object):
    fields: dict = {
        "content": content,
        "speaker_name": "Hazem Qassem",
        "speaker_type": "person",
        "speaker_role": None,
        "speaker_mention": "Qassem",
        "cue": "said",
        "quote_type": "indirect",
        "stance": "asserts",
        "near": None,
        "threshold": THRESHOLD,
    }
    fields.update(overrides)
    return ground_claim(text, **fields)


def test_exact_match_slices_to_the_evidence() -> None:
    text = "Intro. Qassem said that no truce was agreed. End."
    span = ground(text, "no truce was agreed", threshold=THRESHOLD)
    assert span is not None and span.method == "exact" and span.score == 1.0
    assert text[span.start : span.end] == "no truce was agreed"


def test_straight_quotes_find_curly_quotes_and_map_back_to_raw_offsets() -> None:
    text = "The sources added, “There is no agreement on a prisoner exchange deal.” Then more."
    span = ground(text, '"There is no agreement on a prisoner exchange deal."', threshold=THRESHOLD)
    assert span is not None and span.method == "normalized"
    assert text[span.start : span.end] == "“There is no agreement on a prisoner exchange deal.”"


def test_curly_apostrophe_and_dashes_and_whitespace_runs() -> None:
    text = "He said the movement’s  delegation —\nafter long talks — left   Cairo."
    span = ground(text, "the movement's delegation - after long talks - left Cairo", threshold=THRESHOLD)
    assert span is not None and span.method == "normalized"
    assert text[span.start : span.end] == "the movement’s  delegation —\nafter long talks — left   Cairo"


def test_repeated_sentence_resolves_to_occurrence_nearest_the_context() -> None:
    sentence = "No breakthroughs in Cairo."
    text = f"{sentence}\n\n{sentence}\n\nMiddle text that is long enough. {sentence} she said."
    occurrences = [i for i in range(len(text)) if text.startswith(sentence, i)]
    assert len(occurrences) == 3
    assert ground(text, sentence, threshold=THRESHOLD).start == occurrences[0]  # no context: the first
    near_end = ground(text, sentence, near=len(text) - 5, threshold=THRESHOLD)
    assert near_end.start == occurrences[2]
    near_middle = ground(text, sentence, near=(occurrences[1], occurrences[1] + 3), threshold=THRESHOLD)
    assert near_middle.start == occurrences[1]


def test_repeated_content_in_a_claim_picks_the_occurrence_next_to_its_speaker_and_cue() -> None:
    text = (
        "Officials discussed the talks were positive in general terms, as expected by all.\n"
        "Later, Qassem said the talks were positive and closed the meeting."
    )
    claim = _claim(text, "the talks were positive")
    assert claim is not None
    assert claim.content_span[0] == text.rindex("the talks were positive")
    assert text[slice(*claim.speaker_span)] == "Qassem"
    assert text[slice(*claim.cue_span)] == "said"


def test_a_quote_differing_by_one_word_is_not_an_exact_or_normalized_match() -> None:
    text = "He said: “The meetings were long and very positive for both sides.”"
    changed = "“The meetings were long and quite positive for both sides.”"
    span = ground(text, changed, threshold=0.85)
    assert span is not None and span.method == "fuzzy" and span.score < 1.0
    assert ground(text, changed, threshold=0.85, allow_fuzzy=False) is None


def test_direct_quote_differing_by_one_word_is_dropped_but_indirect_paraphrase_is_fuzzy_grounded() -> None:
    text = "Qassem said: “The meetings were long and very positive for both sides.” Nothing else."
    changed = "“The meetings were long and quite positive for both sides.”"
    assert _claim(text, changed, quote_type="direct", threshold=0.85) is None
    indirect = _claim(text, changed, quote_type="indirect", threshold=0.85)
    assert indirect is not None and indirect.grounding == "fuzzy"
    assert indirect.content == text[slice(*indirect.content_span)]
    # The fuzzy span snaps to whole words.
    assert indirect.content.startswith("“The") and indirect.content.endswith("sides.”")


def test_direct_quote_with_only_typographic_differences_is_kept() -> None:
    text = "Qassem said: “We didn’t agree — not yet.”"
    claim = _claim(text, '"We didn\'t agree - not yet."', quote_type="direct")
    assert claim is not None and claim.grounding == "normalized"
    assert claim.content == "“We didn’t agree — not yet.”"


def test_fuzzy_threshold_is_respected() -> None:
    text = "The delegation stressed that the correct approach is rebuilding the organization."
    paraphrase = "the delegation said a correct approach was to rebuild the organisation"
    assert ground(text, paraphrase, threshold=0.95) is None
    loose = ground(text, paraphrase, threshold=0.6)
    assert loose is not None and loose.method == "fuzzy" and 0.6 <= loose.score < 0.95


def test_content_not_in_text_is_not_grounded() -> None:
    text = "Qassem said the talks were positive."
    assert ground(text, "Israel agreed to a long truce with everyone involved", threshold=THRESHOLD) is None
    assert _claim(text, "Israel agreed to a long truce with everyone involved") is None


@pytest.mark.parametrize(
    "prefix",
    [
        "Emoji first 🎉🎉 then ",  # astral characters: one str index each
        "Accented café, naïve, São Paulo, Zürich: ",
        "Combining cafe\u0301 and 北京的新闻报道说 CJK: ",
        "İstanbul ﬁnance: ",  # characters whose lower() is longer than one character
    ],
)
def test_offsets_past_non_ascii_text_are_python_str_indices(prefix: str) -> None:
    text = prefix + "Qassem said “no truce was agreed” yesterday."
    for evidence in ("“no truce was agreed”", '"NO truce was agreed"'):
        span = ground(text, evidence, threshold=THRESHOLD)
        assert span is not None
        assert text[span.start : span.end] == "“no truce was agreed”"
    claim = _claim(text, '"no truce was agreed"', quote_type="direct")
    assert claim is not None and claim.content == "“no truce was agreed”"
    assert text[slice(*claim.speaker_span)] == "Qassem"


def test_short_mentions_match_whole_words_only() -> None:
    text = "The other delegates met. Then he spoke: the truce holds, he said."
    claim = _claim(text, "the truce holds", speaker_mention="he", speaker_name="Ismail Haniyeh")
    assert claim is not None and claim.speaker_span is not None
    start, end = claim.speaker_span
    assert text[start:end] == "he" and text[start - 1] == " "  # not the "he" inside "The" or "other"


def test_speaker_mention_inside_the_content_is_not_the_speaker_span() -> None:
    text = "Hamas said Hamas would keep talking to Egypt."
    claim = _claim(text, "Hamas would keep talking to Egypt", speaker_mention="Hamas", speaker_name="Hamas")
    assert claim is not None and claim.speaker_span == (0, 5)


def test_quote_with_different_edge_punctuation_is_normalized_with_the_articles_quotation_marks() -> None:
    text = "“We will not give up on the prisoners,” Qassem said on Wednesday."
    claim = _claim(text, '"We will not give up on the prisoners."', quote_type="direct")
    assert claim is not None and claim.grounding == "normalized"
    assert claim.content == "“We will not give up on the prisoners,”"
    # ... but the words themselves must match: one changed word is still dropped.
    assert _claim(text, '"We will not give up on the detainees."', quote_type="direct") is None


DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "data" / "polnear-train.jsonl"


@pytest.mark.eval
@pytest.mark.skipif(not DEV_SET.exists(), reason="development set not present")
def test_dev_set_gold_contents_ground_back_to_their_spans() -> None:
    """Every annotated content, with its quotation marks made straight, grounds back to its own span."""
    straight = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
    total = same = 0
    with DEV_SET.open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            text = doc["text"]
            for attribution in doc["attributions"]:
                content = attribution["content"]
                if not content.strip():
                    continue
                start, end = attribution["content_span"]
                span = ground(text, content.translate(straight), near=(start, end), threshold=THRESHOLD)
                total += 1
                same += span is not None and text[span.start : span.end].strip() == text[start:end].strip()
    assert total > 19_000
    assert same / total >= 0.995
