"""The data contract: what an article accepts and how a claim serialises."""

import pytest
from pydantic import ValidationError

from whosaid.models import MAX_ARTICLE_CHARS, Article, Claim, ExtractionResult, Speaker, Usage


def _claim(start: int, end: int, name: str = "Hazem Qassem") -> Claim:
    return Claim(
        speaker=Speaker(name=name, type="person", role="Hamas spokesman"),
        cue="said",
        content="x" * max(1, end - start),
        quote_type="indirect",
        stance="asserts",
        content_span=(start, end),
        extractor="rules",
    )


def test_article_keeps_text_exactly_as_sent() -> None:
    text = "  “Quoted,” he said.\n"
    assert Article(text=text).text == text


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n", "\u200b\u200b", " \u2060\ufeff "])
def test_blank_text_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="text"):
        Article(text=text)


def test_overlong_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="at most"):
        Article(text="a" * (MAX_ARTICLE_CHARS + 1))


@pytest.mark.parametrize(
    "field,value",
    [("url", "not a url"), ("url", "ftp://example.com/x"), ("published_at", "yesterday"), ("language", "english!")],
)
def test_bad_metadata_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Article(text="Some text.", **{field: value})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="bogus"):
        Article(text="Some text.", bogus=1)


def test_claim_serialises_with_the_contract_fields() -> None:
    data = _claim(3, 10).model_dump(mode="json")
    assert {"speaker", "cue", "content", "quote_type", "stance", "content_span", "speaker_span", "cue_span"} <= set(
        data
    )
    assert data["content_span"] == [3, 10]
    assert data["speaker"] == {"name": "Hazem Qassem", "type": "person", "role": "Hamas spokesman"}


def test_claim_rejects_empty_or_reversed_span() -> None:
    with pytest.raises(ValidationError, match="content_span"):
        _claim(10, 10)


def test_result_orders_claims_and_counts_speakers() -> None:
    claims = [_claim(50, 60), _claim(0, 5, "Palestinian sources"), _claim(20, 30)]
    result = ExtractionResult.from_claims(claims, Usage(extractor="rules"))
    assert [c.content_span[0] for c in result.claims] == [0, 20, 50]
    assert [(s.name, s.claim_count) for s in result.speakers] == [("Hazem Qassem", 2), ("Palestinian sources", 1)]
