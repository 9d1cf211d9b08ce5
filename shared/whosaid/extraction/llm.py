"""The LLM extractor: any OpenAI-compatible chat completions endpoint, structured output, grounded in code.

This is the only module that imports `openai` (over a second to import); `get_extractor` imports it lazily.
The SDK's own retries (with backoff, honouring Retry-After) cover 429, 5xx, timeouts and connection errors; this
module adds one targeted re-ask for output that fails validation, splits a chunk whose answer was cut off, and maps
every failure onto a typed `ExtractionError`. Offsets never come from the model: see grounding.py.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, ValidationError

from whosaid.config import Settings
from whosaid.errors import (
    ConfigurationError,
    ExtractionError,
    LLMOutputError,
    LLMTimeoutError,
    LLMUnavailableError,
    WhosaidError,
)
from whosaid.extraction.chunking import Chunk, chunk_text, split_in_two
from whosaid.extraction.grounding import ground_claim, spans_overlap
from whosaid.extraction.prompt import (
    SYSTEM_PROMPT,
    build_reask_message,
    build_user_message,
    names_in,
    preceding_context,
)
from whosaid.extraction.speakers import split_role_name, unify_speakers
from whosaid.models import Article, Claim, ExtractionResult, QuoteType, SpeakerType, Stance, Usage

logger = logging.getLogger(__name__)

# Local OpenAI-compatible servers (Ollama, vLLM, llama.cpp) ignore the key, but the SDK insists on one.
PLACEHOLDER_API_KEY = "not-needed"
# A chunk whose answer was cut off (finish_reason "length") is halved and retried at most this many times.
MAX_SPLITS = 2
# Claims from different chunks whose spans overlap by this share of the longer span are one claim.
DUPLICATE_OVERLAP = 0.8
# The re-ask repeats the model's invalid reply so it can fix it; a longer reply is left out to save tokens.
MAX_ECHOED_REPLY_CHARS = 8_000


# The response schema. Docstrings would travel in every request as schema descriptions: comments instead.
# Strict structured outputs: every field required (role nullable), enums closed, no offsets (grounding finds them).
class ModelClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str
    speaker_type: SpeakerType
    speaker_role: str | None
    speaker_mention: str
    cue: str
    content: str
    quote_type: QuoteType
    stance: Stance


class ModelOutput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claims: list[ModelClaim]


class _Truncated(Exception):
    """The model's answer hit its length limit."""


class _Tally:
    """Usage over every attempt of every chunk, updated from worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = self.prompt_tokens = self.completion_tokens = self.total_tokens = self.dropped = 0

    def add(self, *, requests: int = 0, usage: dict[str, Any] | None = None, dropped: int = 0) -> None:
        usage = usage or {}
        with self._lock:
            self.requests += requests
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)
            self.total_tokens += int(usage.get("total_tokens") or 0)
            self.dropped += dropped


def _describe(error: ValidationError, limit: int = 10) -> str:
    """A compact list of what failed validation, for the re-ask and the final error (no input values echoed)."""
    lines = []
    for item in error.errors(include_url=False, include_input=False)[:limit]:
        where = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"- {where}: {item['msg']}")
    if error.error_count() > limit:
        lines.append(f"- … and {error.error_count() - limit} more")
    return "\n".join(lines)


class LLMExtractor:
    """Attributed claims from an OpenAI-compatible chat model, every span grounded in the article text."""

    name = "llm"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        if not key:
            if not settings.openai_base_url:
                raise ConfigurationError(
                    "The LLM extractor needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible server)."
                )
            key = PLACEHOLDER_API_KEY
        self._client = openai.OpenAI(
            api_key=key,
            base_url=settings.openai_base_url or None,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )

    # --- public ---------------------------------------------------------------------------------------------------
    def extract(self, article: Article) -> ExtractionResult:
        text = article.text
        chunks = chunk_text(text, self._settings.chunk_chars)
        tally = _Tally()
        claims: list[Claim] = []
        workers = max(1, min(self._settings.max_concurrency, len(chunks)))
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whosaid-llm") as pool:
                futures = [pool.submit(self._extract_chunk, text, chunk, tally, 0) for chunk in chunks]
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                for future in pending:
                    future.cancel()  # one chunk failed: the article fails, so don't start the others
                for future in futures:
                    if future in done:
                        claims.extend(future.result())  # re-raises the first chunk's error
        except WhosaidError as error:
            # The pool has finished every started chunk, so the tally is what the failed attempt cost.
            error.usage = self._usage(tally, chunks)
            raise
        # One name per entity across chunks ("Qassem" -> "Hazem Qassem"), by the module the rules path uses.
        return ExtractionResult.from_claims(unify_speakers(_merge(claims)), self._usage(tally, chunks))

    def _usage(self, tally: _Tally, chunks: list[Chunk]) -> Usage:
        return Usage(
            extractor="llm",
            model=self._settings.model,
            requests=tally.requests,
            prompt_tokens=tally.prompt_tokens,
            completion_tokens=tally.completion_tokens,
            total_tokens=tally.total_tokens,
            chunks=max(1, len(chunks)),
            dropped_claims=tally.dropped,
        )

    # --- one chunk ------------------------------------------------------------------------------------------------
    def _extract_chunk(self, text: str, chunk: Chunk, tally: _Tally, depth: int) -> list[Claim]:
        user = build_user_message(
            chunk.text, known_speakers=names_in(text[: chunk.start]), context=preceding_context(text, chunk.start)
        )
        messages: list[dict[str, str]] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user},
        ]
        try:
            output = self._ask(messages, tally)
        except _Truncated:
            if depth >= MAX_SPLITS or len(chunk.text) < 2 * 200:
                raise LLMOutputError(
                    "The model's answer was cut off at its length limit even for a small piece of the article "
                    f"({len(chunk.text)} characters); try a model with a larger output limit."
                ) from None
            # Half the text means about half the claims to write out: retry the halves.
            logger.info("llm answer truncated; splitting a %d-character chunk", len(chunk.text))
            halves = split_in_two(chunk)
            if len(halves) < 2:
                raise LLMOutputError("The model's answer was cut off at its length limit.") from None
            return [claim for half in halves for claim in self._extract_chunk(text, half, tally, depth + 1)]

        claims: list[Claim] = []
        dropped = 0
        for proposed in output.claims:
            name, role = _name_and_role(proposed)
            claim = ground_claim(
                text,
                content=proposed.content,
                speaker_name=name,
                speaker_type=proposed.speaker_type,
                speaker_role=role,
                speaker_mention=proposed.speaker_mention,
                cue=proposed.cue,
                quote_type=proposed.quote_type,
                stance=proposed.stance,
                near=(chunk.start, chunk.end),
                threshold=self._settings.fuzzy_threshold,
            )
            if claim is None:
                dropped += 1
            else:
                claims.append(claim)
        tally.add(dropped=dropped)
        return claims

    def _ask(self, messages: list[dict[str, str]], tally: _Tally) -> ModelOutput:
        """The parsed model output, after at most one re-ask carrying the validation errors."""
        for attempt in (1, 2):
            raw = self._call(messages)
            body = _json_body(raw)
            tally.add(requests=raw.retries_taken + 1, usage=body.get("usage"))
            reply = ""
            try:
                completion = raw.parse()
            except openai.LengthFinishReasonError:
                raise _Truncated from None
            except openai.ContentFilterFinishReasonError:
                raise LLMOutputError("The model's answer was blocked by the endpoint's content filter.") from None
            except ValidationError as error:
                errors = _describe(error)
                reply = _reply_text(body)
            else:
                if not completion.choices:
                    raise LLMOutputError("The LLM endpoint returned no choices.")
                message = completion.choices[0].message
                if message.refusal:
                    raise LLMOutputError(f"The model refused to extract claims: {message.refusal[:300]}")
                if message.parsed is not None:
                    return message.parsed
                errors = "- (root): the reply was empty"
            logger.warning("llm output failed validation (attempt %d): %s", attempt, errors.replace("\n", " "))
            if attempt == 2:
                raise LLMOutputError(f"The model's output failed validation after a re-ask:\n{errors}")
            if reply and len(reply) <= MAX_ECHOED_REPLY_CHARS:
                messages = [*messages, {"role": "assistant", "content": reply}]
            messages = [*messages, {"role": "user", "content": build_reask_message(errors)}]
        raise AssertionError("unreachable")

    def _call(self, messages: list[dict[str, str]]) -> Any:
        """One chat completion (the SDK retries 429/5xx/timeouts itself), API errors mapped to ours."""
        settings = self._settings
        retries = f"after {settings.llm_max_retries} retries"
        try:
            return self._client.chat.completions.with_raw_response.parse(
                model=settings.model,
                messages=messages,  # type: ignore[arg-type]
                response_format=ModelOutput,
                temperature=0,
            )
        except openai.APITimeoutError:
            raise LLMTimeoutError(
                f"The LLM endpoint did not answer within {settings.llm_timeout_seconds:g}s ({retries})."
            ) from None
        except (openai.AuthenticationError, openai.PermissionDeniedError) as error:
            # The body may echo part of the key: it is not repeated here.
            raise ConfigurationError(
                f"The LLM endpoint refused the credentials (HTTP {error.status_code}): check OPENAI_API_KEY."
            ) from None
        except openai.NotFoundError:
            raise ConfigurationError(
                f"The LLM endpoint has no model {settings.model!r} or no chat completions API (HTTP 404): "
                "check WHOSAID_MODEL and OPENAI_BASE_URL."
            ) from None
        except openai.RateLimitError:
            raise LLMUnavailableError(f"The LLM endpoint kept rate-limiting requests (HTTP 429 {retries}).") from None
        except openai.APIConnectionError:
            raise LLMUnavailableError(f"Could not connect to the LLM endpoint ({retries}).") from None
        except openai.APIStatusError as error:
            if error.status_code >= 500:
                raise LLMUnavailableError(
                    f"The LLM endpoint kept failing (HTTP {error.status_code} {retries})."
                ) from None
            raise ExtractionError(
                f"The LLM endpoint rejected the request (HTTP {error.status_code}): {_api_message(error)}"
            ) from None


def _json_body(raw: Any) -> dict[str, Any]:
    try:
        body = raw.http_response.json()
    except ValueError:
        raise LLMOutputError("The LLM endpoint answered with something that is not JSON.") from None
    if not isinstance(body, dict):
        raise LLMOutputError("The LLM endpoint answered with JSON that is not a chat completion.")
    return body


def _reply_text(body: dict[str, Any]) -> str:
    try:
        return str(body["choices"][0]["message"]["content"] or "")
    except (KeyError, IndexError, TypeError):
        return ""


def _api_message(error: Any) -> str:
    """The endpoint's own error message, shortened (for 4xx other than auth, where no key is echoed)."""
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or error.message)[:300]


def _merge(claims: list[Claim]) -> list[Claim]:
    """One claim per passage: among claims whose spans coincide or heavily overlap, keep the best grounded."""
    rank = {"exact": 0, "normalized": 1, "fuzzy": 2}
    kept: list[Claim] = []
    for claim in sorted(claims, key=lambda c: (rank[c.grounding], c.content_span[0] - c.content_span[1])):
        span = claim.content_span
        if any(_duplicate(span, other.content_span) for other in kept):
            continue
        kept.append(claim)
    return sorted(kept, key=lambda c: c.content_span)


def _duplicate(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a == b:
        return True
    longer = max(a[1] - a[0], b[1] - b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return spans_overlap(a, b) * shorter >= DUPLICATE_OVERLAP * longer


def _name_and_role(proposed: ModelClaim) -> tuple[str, str | None]:
    """The model's speaker name and role, a title glued onto a person's name moved to the role by the speakers
    module, as on the rules path: "Turkish Foreign Minister Mevlüt Çavuşoğlu" -> "Mevlüt Çavuşoğlu", role
    "Turkish Foreign Minister"; "Mr. Trump" -> "Trump". Only a person's name is split ("General Motors" and
    "Justice Department" stay whole); a role the model gave is kept."""
    name = " ".join(proposed.speaker.split()).strip(" ,;:")
    role = " ".join((proposed.speaker_role or "").split()).strip(" ,;:") or None
    if proposed.speaker_type != "person" or not name:
        return name or proposed.speaker, role
    title, bare = split_role_name(name)
    if not bare or bare == name:
        return name, role
    return bare, role or title


__all__ = ["LLMExtractor", "ModelClaim", "ModelOutput"]
