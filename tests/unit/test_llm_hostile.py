"""The LLM path against a hostile or unusual OpenAI-compatible endpoint (infra/fake_openai.py), through the real SDK:
malformed answers, slow and trickling answers, Retry-After past the deadline, huge fields, invented speakers,
servers without strict JSON schema, and what an answer costs."""

from __future__ import annotations

import json
import time
import tracemalloc
from typing import Any

import pytest

from infra.fake_openai import Behaviour, FakeOpenAI, Recorded, model_claim, ok, status
from whosaid.config import Settings
from whosaid.deadlines import Deadline
from whosaid.errors import ConfigurationError, LLMOutputError, LLMTimeoutError, LLMUnavailableError
from whosaid.extraction.llm import LLMExtractor
from whosaid.extraction.llm_output import MAX_CLAIMS_PER_CHUNK, clean
from whosaid.extraction.prompt import SYSTEM_PROMPT
from whosaid.models import Article, ExtractionResult

ARTICLE = (
    "Hamas spokesman Hazem Qassem said that his movement did not reach a long-term truce agreement with Israel.\n\n"
    "Palestinian sources familiar with the discussions said that no substantive breakthrough occurred.\n"
)
QASSEM = model_claim(
    "his movement did not reach a long-term truce agreement with Israel",
    speaker_role="Hamas spokesman",
    speaker_mention="Hamas spokesman Hazem Qassem",
)
SOURCES = model_claim(
    "no substantive breakthrough occurred",
    "Palestinian sources",
    speaker_type="anonymous",
    speaker_role="familiar with the discussions",
)


@pytest.fixture
def env(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("WHOSAID_MODEL", "test-model")
    monkeypatch.setenv("WHOSAID_LLM_MAX_RETRIES", "2")
    monkeypatch.setenv("WHOSAID_LLM_TIMEOUT_SECONDS", "10")
    return monkeypatch


def _extract(text: str = ARTICLE, deadline: Deadline | None = None) -> ExtractionResult:
    return LLMExtractor(Settings()).extract(Article(text=text), deadline=deadline)


# --- 1. every malformed answer is llm_bad_output ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502 Bad Gateway</html>",
        b'{"hello": "world"}',
        b"[1, 2, 3]",
        b'{"choices": []}',
        b'{"choices": "many"}',
        b'{"choices": [{"message": "hi"}]}',
        b'{"choices": [{"message": {"content": 42}}]}',
        b'{"choices": [{"message": {"content": null, "refusal": ["no"]}}]}',
        b'{"choices": [{"message": {"content": "{}"}, "finish_reason": 7}]}',
    ],
)
def test_an_answer_that_is_not_a_completion_is_bad_output(env: Any, fake_openai: FakeOpenAI, body: bytes) -> None:
    fake_openai.default = Behaviour(body=body)
    with pytest.raises(LLMOutputError) as caught:
        _extract()
    assert caught.value.code == "llm_bad_output"
    assert caught.value.usage is not None and caught.value.usage.requests == 1  # not retried: it would be the same


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": "many", "completion_tokens": 20, "total_tokens": 120},
        {"prompt_tokens": -5, "completion_tokens": 20, "total_tokens": 120},
        {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": True},
        "lots",
        None,
    ],
)
def test_garbage_usage_is_counted_as_unknown_and_the_answer_kept(
    env: Any, fake_openai: FakeOpenAI, usage: object
) -> None:
    fake_openai.enqueue(ok([QASSEM], usage=usage))
    result = _extract()
    assert [c.speaker.name for c in result.claims] == ["Hazem Qassem"]
    assert (result.usage.unreported_usage, result.usage.prompt_tokens, result.usage.total_tokens) == (1, 0, 0)


# --- 2. deadlines -------------------------------------------------------------------------------------------------


def test_a_trickling_answer_is_cut_at_the_attempt_limit_not_per_read(env: Any, fake_openai: FakeOpenAI) -> None:
    env.setenv("WHOSAID_LLM_TIMEOUT_SECONDS", "1")
    env.setenv("WHOSAID_LLM_MAX_RETRIES", "0")
    fake_openai.enqueue(ok([QASSEM], trickle=0.2))  # a byte every 0.2 s: no read ever waits a whole second
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError) as caught:
        _extract()
    assert time.monotonic() - started < 2.0
    assert caught.value.code == "llm_timeout"


def test_a_retry_after_past_the_deadline_is_not_waited_out(env: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(status(429, headers={"retry-after": "35", "retry-after-ms": ""}))
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as caught:
        _extract(deadline=Deadline.after(5))
    assert time.monotonic() - started < 1.0
    assert "35s" in caught.value.message and "deadline" in caught.value.message
    assert len(fake_openai.requests) == 1


def test_a_retry_after_within_the_deadline_is_honoured(env: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(status(503, headers={"retry-after": "1", "retry-after-ms": ""}), ok([QASSEM]))
    started = time.monotonic()
    result = _extract(deadline=Deadline.after(10))
    assert time.monotonic() - started >= 1.0
    assert len(result.claims) == 1 and result.usage.requests == 2


def test_the_extraction_deadline_fails_it_as_a_timeout_with_the_usage_so_far(env: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.default = ok([QASSEM], delay=5)
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError) as caught:
        _extract(deadline=Deadline.after(1.5))
    elapsed = time.monotonic() - started
    assert 1.3 < elapsed < 2.0  # at the deadline, though the endpoint's time limit (10 s) is further off
    assert caught.value.usage is not None and caught.value.usage.requests == 1


def test_an_api_invocation_never_outlives_its_deadline_nor_leaves_the_article_pending(
    aws_env: dict[str, str], env: Any, fake_openai: FakeOpenAI
) -> None:
    from tests.support.service_support import api_event, invoke, lambda_context
    from whosaid.config import get_settings
    from whosaid.service import ArticleService

    env.setenv("WHOSAID_DEADLINE_MARGIN_SECONDS", "1")
    get_settings.cache_clear()
    extractor = LLMExtractor(Settings())
    service = ArticleService.from_settings(get_settings(), extractor_factory=lambda: extractor)
    env.setattr("whosaid.api.routes.get_article_service", lambda: service)
    fake_openai.default = ok([QASSEM], delay=8)  # slower than the whole function

    context = lambda_context(timeout_seconds=3)
    response = invoke(api_event("POST", "/articles", body={"text": ARTICLE}), context)
    assert context.get_remaining_time_in_millis() > 0  # answered before the function's own end
    assert response.status == 504 and response.body["error"]["code"] == "llm_timeout"
    [record] = service.list_articles().items
    assert record.status == "failed" and record.error is not None and record.error.code == "llm_timeout"
    assert record.usage is not None and record.usage.requests == 1


# --- 3. bounded memory --------------------------------------------------------------------------------------------


def test_a_20_mb_field_raises_peak_memory_by_under_100_mb_and_is_dropped(env: Any, fake_openai: FakeOpenAI) -> None:
    huge = model_claim("x" * 20_000_000, "Hazem Qassem")
    fake_openai.enqueue(ok([huge, QASSEM], usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}))
    extractor = LLMExtractor(Settings())
    tracemalloc.start()
    try:
        result = extractor.extract(Article(text=ARTICLE))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert [c.speaker.name for c in result.claims] == ["Hazem Qassem"]
    assert result.usage.dropped_by_reason == {"oversized": 1}


def test_claims_past_the_limit_of_a_chunk_are_dropped_and_counted(env: Any, fake_openai: FakeOpenAI) -> None:
    invented = [model_claim(QASSEM["content"], f"Speaker {i}") for i in range(5_000)]
    fake_openai.enqueue(ok([QASSEM, *invented]))
    result = _extract()
    assert [c.speaker.name for c in result.claims] == ["Hazem Qassem"]
    reasons = result.usage.dropped_by_reason
    assert reasons["over_claim_limit"] == 5_001 - MAX_CLAIMS_PER_CHUNK
    assert reasons["unsupported_speaker"] == MAX_CLAIMS_PER_CHUNK - 1  # "Speaker 7" is nowhere in the article
    assert result.usage.dropped_claims == 5_000


# --- 4. speakers the article supports -----------------------------------------------------------------------------


def test_speaker_fields_are_cleaned_and_must_be_in_the_article(env: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(
        ok(
            [
                # Control, bidi and zero-width characters and a line break inside the name: cleaned, then found.
                {**QASSEM, "speaker": "Hazem\u200b \u202eQassem\x07\n", "speaker_role": "Hamas  spokesman\u2066"},
                # A name the article never writes: falls back to the mention it does.
                {
                    **SOURCES,
                    "speaker": "Senior Hamas official Musa Abu Marzouk",
                    "speaker_mention": "Palestinian sources",
                },
                # Neither name nor mention in the article: dropped.
                model_claim("no substantive breakthrough occurred", "<b>Mossad</b>", speaker_mention="he"),
            ]
        )
    )
    result = _extract()
    assert [(c.speaker.name, c.speaker.role) for c in result.claims] == [
        ("Hazem Qassem", "Hamas spokesman"),
        ("Palestinian sources", "familiar with the discussions"),
    ]
    assert result.usage.dropped_by_reason == {"unsupported_speaker": 1}
    qassem, sources = result.claims
    assert ARTICLE[slice(*qassem.speaker_span)] == "Hamas spokesman Hazem Qassem"
    assert ARTICLE[slice(*sources.speaker_span)] == "Palestinian sources"


def test_a_role_the_article_never_gives_is_removed(env: Any, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(ok([{**QASSEM, "speaker_role": "Head of the Hamas politburo"}]))
    [claim] = _extract().claims
    assert (claim.speaker.name, claim.speaker.role) == ("Hazem Qassem", None)


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [("  a\tb\n c ", "a b c"), ("\u202ex\u200d", "x"), ("\x00\x1f", None), ("y" * 301, None), (None, None)],
)
def test_clean(raw: str | None, cleaned: str | None) -> None:
    assert clean(raw) == cleaned


# --- 5. grounding that keeps what is really there -------------------------------------------------------------------

SPEECH = (
    "The minister spoke for an hour on Monday.\n\n"
    "“We will not accept any deal that leaves our prisoners behind, and we will say so in Cairo,” "
    "Qassem said on Monday.\n\n"
    "“The talks were useful,” Qassem said. “We will return next week,” he added. "
    "Later a Fatah official said: “The talks were useful.”\n"
)


def test_a_quote_shortened_with_an_ellipsis_is_grounded_piece_by_piece(env: Any, fake_openai: FakeOpenAI) -> None:
    for ellipsis in ("...", "…", " ... "):
        fake_openai.reset()
        shortened = f'"We will not accept any deal{ellipsis}we will say so in Cairo,"'
        fake_openai.enqueue(ok([model_claim(shortened, "Qassem", quote_type="direct")]))
        [claim] = _extract(SPEECH).claims
        assert claim.content_segments is not None and len(claim.content_segments) == 2
        first, last = (SPEECH[s:e] for s, e in claim.content_segments)
        assert first == "“We will not accept any deal" and last == "we will say so in Cairo,”"
        assert claim.content_span == (claim.content_segments[0][0], claim.content_segments[1][1])
        assert claim.content == SPEECH[slice(*claim.content_span)] and claim.grounding == "normalized"


def test_an_ellipsis_quote_whose_pieces_are_out_of_order_or_invented_is_dropped(
    env: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(
        ok(
            [
                model_claim('"we will say so in Cairo ... We will not accept any deal"', "Qassem", quote_type="direct"),
                model_claim('"We will not accept any deal ... we will sign it anyway"', "Qassem", quote_type="direct"),
            ]
        )
    )
    result = _extract(SPEECH)
    assert result.claims == [] and result.usage.dropped_by_reason == {"ungrounded": 2}


def test_the_same_sentence_quoted_at_two_places_stays_two_claims(env: Any, fake_openai: FakeOpenAI) -> None:
    quote = model_claim('"The talks were useful"', "Qassem", quote_type="direct")
    fatah = model_claim(
        '"The talks were useful."',
        "Fatah official",
        speaker_mention="a Fatah official",
        speaker_type="anonymous",
        quote_type="direct",
    )
    fake_openai.enqueue(ok([quote, fatah]))
    result = _extract(SPEECH)
    spans = [c.content_span for c in result.claims]
    assert len(set(spans)) == 2
    first = SPEECH.index("“The talks were useful,”")
    second = SPEECH.index("“The talks were useful.”")
    assert [s for s, _ in spans] == [first, second]
    assert [c.speaker.name for c in result.claims] == ["Qassem", "Fatah official"]


def test_an_added_trailing_period_does_not_move_a_claim_to_another_occurrence(
    env: Any, fake_openai: FakeOpenAI
) -> None:
    text = (
        "Qassem said the border would reopen, adding that aid was coming. "
        "Residents in the town hoped that the border would reopen.\n"
    )
    fake_openai.enqueue(ok([model_claim("the border would reopen.", "Qassem")]))
    [claim] = _extract(text).claims
    assert claim.content_span[0] == text.index("the border would reopen,")
    assert claim.content == "the border would reopen"


def test_a_fuzzy_match_lands_by_its_speaker_and_cue_not_on_the_first_similar_passage(
    env: Any, fake_openai: FakeOpenAI
) -> None:
    text = (
        "Analysts warned that the ceasefire in the south could collapse within days.\n\n"
        "Separately, Qassem cautioned that the ceasefire in the north could collapse within weeks.\n"
    )
    # Paraphrased ("might" for "could"): no exact or normalised match, two similar passages.
    proposed = model_claim(
        "the ceasefire in the north might collapse within weeks", "Qassem", cue="cautioned", quote_type="indirect"
    )
    fake_openai.enqueue(ok([proposed]))
    [claim] = _extract(text).claims
    assert claim.grounding == "fuzzy"
    assert claim.content_span[0] > text.index("Separately")


# --- 7. servers without strict JSON schema ------------------------------------------------------------------------


def test_json_object_and_none_modes_put_the_schema_in_the_instructions(env: Any, fake_openai: FakeOpenAI) -> None:
    for mode, expected in (("json_object", {"type": "json_object"}), ("none", None)):
        fake_openai.reset()
        env.setenv("WHOSAID_LLM_RESPONSE_FORMAT", mode)
        # As Ollama and llama.cpp servers answer without strict mode: the JSON in a Markdown fence.
        fake_openai.enqueue(Behaviour(content="```json\n" + json.dumps({"claims": [QASSEM]}) + "\n```"))
        result = _extract()
        assert [c.speaker.name for c in result.claims] == ["Hazem Qassem"]
        [request] = fake_openai.requests
        assert request.body.get("response_format") == expected
        system = request.message("system")
        assert system.startswith(SYSTEM_PROMPT) and '"speaker_mention"' in system and "JSON schema" in system


def test_a_server_that_ignores_the_schema_is_re_asked_and_validated_locally(env: Any, fake_openai: FakeOpenAI) -> None:
    # As vLLM without guided decoding: json_schema accepted, schema ignored; the reply is checked here anyway.
    fake_openai.enqueue(Behaviour(content={"quotes": [{"who": "Qassem"}]}), ok([QASSEM]))
    result = _extract()
    assert len(result.claims) == 1 and len(fake_openai.requests) == 2
    assert "claims" in fake_openai.requests[1].body["messages"][-1]["content"]


def test_a_server_that_refuses_json_schema_names_the_setting(env: Any, fake_openai: FakeOpenAI) -> None:
    # As llama.cpp's and Ollama's servers answer an unsupported response format.
    body = {"error": {"message": "response_format type 'json_schema' is not supported", "type": "invalid_request"}}
    fake_openai.enqueue(status(400, error_body=body))
    with pytest.raises(ConfigurationError) as caught:
        _extract()
    assert "WHOSAID_LLM_RESPONSE_FORMAT=json_object" in caught.value.message
    assert len(fake_openai.requests) == 1

    def json_object_only(request: Recorded) -> Behaviour:
        if (request.body.get("response_format") or {}).get("type") == "json_schema":
            return status(400, error_body=body)
        return ok([QASSEM])

    fake_openai.reset()
    fake_openai.responder = json_object_only
    env.setenv("WHOSAID_LLM_RESPONSE_FORMAT", "json_object")
    assert len(_extract().claims) == 1


# --- 8. cost you can see ------------------------------------------------------------------------------------------


def test_usage_reports_cached_tokens_and_an_estimated_cost(env: Any, fake_openai: FakeOpenAI) -> None:
    env.setenv("WHOSAID_PRICE_INPUT_PER_MTOK", "2")
    env.setenv("WHOSAID_PRICE_CACHED_INPUT_PER_MTOK", "0.5")
    env.setenv("WHOSAID_PRICE_OUTPUT_PER_MTOK", "8")
    usage = {
        "prompt_tokens": 3_000,
        "completion_tokens": 500,
        "total_tokens": 3_500,
        "prompt_tokens_details": {"cached_tokens": 2_048},
    }
    fake_openai.enqueue(ok([QASSEM], usage=usage))
    result = _extract()
    assert result.usage.cached_prompt_tokens == 2_048
    # 952 uncached at $2/M + 2,048 cached at $0.5/M + 500 output at $8/M
    assert result.usage.estimated_cost_usd == pytest.approx((952 * 2 + 2_048 * 0.5 + 500 * 8) / 1e6)


def test_system_message_and_schema_are_byte_identical_across_articles_and_chunks(
    env: Any, fake_openai: FakeOpenAI
) -> None:
    env.setenv("WHOSAID_CHUNK_CHARS", "1000")
    long_text = "\n\n".join(f"Paragraph {i}: Qassem said that talk number {i} went well. " * 6 for i in range(6))
    _extract(long_text)
    _extract(ARTICLE)
    assert len(fake_openai.requests) >= 3  # two chunks or more, then another article
    prefixes = {
        json.dumps([r.body["messages"][0], r.body["response_format"]], sort_keys=False) for r in fake_openai.requests
    }
    assert len(prefixes) == 1


def test_an_interrupted_quote_copied_whole_has_a_segment_per_piece(env: Any, fake_openai: FakeOpenAI) -> None:
    quote = "“We will not accept any deal,” Qassem said on Monday, “and we will say so in Cairo.”"
    text = f"{quote}\n\nQassem said that he said no to the offer.\n"
    fake_openai.enqueue(
        ok(
            [
                model_claim(quote, "Qassem", quote_type="direct"),
                model_claim("that he said no to the offer", "Qassem"),  # a cue word inside, but no quotation
            ]
        )
    )
    interrupted, reported = _extract(text).claims
    assert [text[s:e] for s, e in interrupted.content_segments or []] == [
        "“We will not accept any deal,”",
        "“and we will say so in Cairo.”",
    ]
    assert reported.content_segments is None
