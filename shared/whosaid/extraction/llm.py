"""The LLM extractor: any OpenAI-compatible chat completions endpoint, its answer validated and grounded in code.

This module and llm_endpoint.py are the only ones that import `openai` (over a second to import); `get_extractor`
imports them lazily. The endpoint module makes each request within the extraction's deadline; this one asks per
chunk, re-asks once for output that fails validation, retries a cut-off answer once with a larger output budget
(then splits the chunk), bounds and cleans every field the model sent, and keeps only claims whose content and
speaker the article supports. Offsets never come from the model: see grounding.py.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Literal

from pydantic import ValidationError

from whosaid.config import Settings
from whosaid.deadlines import Deadline
from whosaid.errors import LLMOutputError, LLMTimeoutError, WhosaidError
from whosaid.extraction.chunking import Chunk, chunk_text, split_in_two
from whosaid.extraction.grounding import candidates, ground_claim, spans_overlap
from whosaid.extraction.llm_endpoint import ChatEndpoint
from whosaid.extraction.llm_output import (
    MAX_CLAIMS_PER_CHUNK,
    MAX_FIELD_CHARS,
    ModelClaim,
    ModelOutput,
    TokenCounts,
    clean,
    describe,
    parse_claims,
    schema_instructions,
)
from whosaid.extraction.prompt import (
    SYSTEM_PROMPT,
    build_reask_message,
    build_user_message,
    names_in,
    preceding_context,
)
from whosaid.extraction.speakers import split_role_name, unify_speakers
from whosaid.models import Article, Claim, ExtractionResult, Usage

logger = logging.getLogger(__name__)

# A chunk whose answer was cut off even with the larger output budget is halved at most this many times.
MAX_SPLITS = 2
# A piece shorter than this is not split further: its claims would not fit in half the answer either.
MIN_SPLIT_CHARS = 400
# Claims from different chunks whose spans overlap by this share of the longer span are one claim.
DUPLICATE_OVERLAP = 0.8
# The re-ask repeats the model's invalid reply so it can fix it; a longer reply is left out to save tokens.
MAX_ECHOED_REPLY_CHARS = 8_000
# Mentions that name nobody by themselves: a speaker name the article lacks cannot fall back to one of these.
_PRONOUNS = frozenset(
    {"he", "she", "they", "it", "we", "i", "you", "him", "her", "them", "his", "hers", "its", "their", "our"}
    | {"this", "that", "these", "those"}
)


class _Truncated(Exception):
    """The model's answer hit its length limit, even with the larger budget."""


class _UsageCounter:
    """Requests, tokens and dropped claims over every attempt of every chunk of one article, counted from worker
    threads; `usage()` reports them as the article's Usage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = self.unreported = 0
        self.tokens = Counter[str]()
        self.dropped = Counter[str]()

    def request_sent(self) -> None:
        with self._lock:
            self.requests += 1

    def add_tokens(self, counts: TokenCounts) -> None:
        with self._lock:
            if not counts.reported:
                self.unreported += 1
            self.tokens.update(
                prompt=counts.prompt, completion=counts.completion, total=counts.total, cached=counts.cached
            )

    def drop(self, reason: str, count: int = 1) -> None:
        with self._lock:
            self.dropped[reason] += count

    def usage(self, settings: Settings, chunks: int) -> Usage:
        with self._lock:
            prompt, cached, completion = self.tokens["prompt"], self.tokens["cached"], self.tokens["completion"]
            cost = (
                (prompt - cached) * settings.price_input_per_mtok
                + cached * settings.price_cached_input_per_mtok
                + completion * settings.price_output_per_mtok
            ) / 1_000_000
            return Usage(
                extractor="llm",
                model=settings.model,
                requests=self.requests,
                prompt_tokens=prompt,
                completion_tokens=completion,
                total_tokens=self.tokens["total"],
                cached_prompt_tokens=cached,
                unreported_usage=self.unreported,
                estimated_cost_usd=round(cost, 6),
                chunks=max(1, chunks),
                dropped_claims=sum(self.dropped.values()),
                dropped_by_reason=dict(self.dropped),
            )


class LLMExtractor:
    """Attributed claims from an OpenAI-compatible chat model, every span grounded in the article text."""

    name: Literal["llm"] = "llm"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._endpoint = ChatEndpoint(settings)
        self._strict = settings.llm_response_format == "json_schema"
        # One system message for every article and chunk, byte for byte, so the provider's prompt cache applies.
        self.system_message = SYSTEM_PROMPT if self._strict else SYSTEM_PROMPT + schema_instructions()

    # --- public ---------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the LLM client's HTTP connections (after a SnapStart restore; see service.ExtractorProvider)."""
        self._endpoint.close()

    def extract(self, article: Article, *, deadline: Deadline | None = None) -> ExtractionResult:
        deadline = deadline or Deadline.after(self._settings.extraction_deadline_seconds)
        text = article.text
        chunks = chunk_text(text, self._settings.chunk_chars)
        counter = _UsageCounter()
        cancelled = threading.Event()  # set when the article fails: chunks still running stop at their next step
        pool = ThreadPoolExecutor(
            max_workers=max(1, min(self._settings.max_concurrency, len(chunks))), thread_name_prefix="whosaid-llm"
        )
        try:
            futures = [pool.submit(self._extract_chunk, text, c, counter, deadline, cancelled, 0) for c in chunks]
            done, pending = wait(futures, timeout=deadline.remaining(), return_when=FIRST_EXCEPTION)
            _raise_first_failure([f for f in futures if f in done])
            if pending:
                raise LLMTimeoutError("The extraction ran out of time before the LLM endpoint answered every part.")
            claims = [claim for future in futures for claim in future.result()]
        except WhosaidError as error:
            error.usage = counter.usage(self._settings, len(chunks))  # what the attempt had cost so far
            raise
        finally:
            cancelled.set()
            # Never wait here: a request still in flight past the deadline ends by itself (its own time limit).
            pool.shutdown(wait=False, cancel_futures=True)
        # One name per entity across chunks ("Qassem" -> "Hazem Qassem"), by the module the rules path uses.
        return ExtractionResult.from_claims(unify_speakers(_merge(claims)), counter.usage(self._settings, len(chunks)))

    # --- one chunk ------------------------------------------------------------------------------------------------
    def _extract_chunk(
        self,
        text: str,
        chunk: Chunk,
        counter: _UsageCounter,
        deadline: Deadline,
        cancelled: threading.Event,
        depth: int,
    ) -> list[Claim]:
        user = build_user_message(
            chunk.text, known_speakers=names_in(text[: chunk.start]), context=preceding_context(text, chunk.start)
        )
        messages = [{"role": "system", "content": self.system_message}, {"role": "user", "content": user}]
        try:
            output = self._ask(messages, counter, deadline, cancelled)
        except _Truncated:
            halves = split_in_two(chunk) if depth < MAX_SPLITS and len(chunk.text) >= MIN_SPLIT_CHARS else [chunk]
            if len(halves) < 2:
                raise LLMOutputError(
                    "The model's answer was cut off at its length limit even with "
                    f"WHOSAID_LLM_RETRY_OUTPUT_TOKENS={self._settings.llm_retry_output_tokens} for a piece of "
                    f"{len(chunk.text)} characters; raise it, or use a model with a larger output limit."
                ) from None
            # Half the text means about half the claims to write out: retry the halves.
            logger.info("llm answer truncated; splitting a %d-character chunk", len(chunk.text))
            return [
                c for half in halves for c in self._extract_chunk(text, half, counter, deadline, cancelled, depth + 1)
            ]
        return self._ground(text, chunk, output.claims, counter)

    def _ask(
        self, messages: list[dict[str, str]], counter: _UsageCounter, deadline: Deadline, cancelled: threading.Event
    ) -> ModelOutput:
        """The parsed model output, after at most one re-ask carrying the validation errors and at most one retry
        of a cut-off answer with the larger output budget."""
        budget = self._settings.llm_output_tokens
        reasked = False
        while True:
            answer = self._endpoint.complete(
                messages, max_tokens=budget, deadline=deadline, cancelled=cancelled, on_attempt=counter.request_sent
            )
            counter.add_tokens(answer.tokens)
            if answer.finish_reason == "length":
                if budget < self._settings.llm_retry_output_tokens:
                    budget = self._settings.llm_retry_output_tokens
                    logger.info("llm answer truncated; asking again with max_completion_tokens=%d", budget)
                    continue
                raise _Truncated
            if answer.finish_reason == "content_filter":
                raise LLMOutputError("The model's answer was blocked by the endpoint's content filter.")
            if answer.refusal:
                reason = clean(answer.refusal[:300]) or "no reason given"
                raise LLMOutputError(f"The model refused to extract claims: {reason}")
            reply = answer.content or ""
            if not reply.strip():
                errors = "- (root): the reply was empty"
            else:
                try:
                    return parse_claims(reply, strict=self._strict)
                except ValidationError as error:
                    errors = describe(error)
            logger.warning("llm output failed validation: %s", errors.replace("\n", " "))
            if reasked:
                raise LLMOutputError(f"The model's output failed validation after a re-ask:\n{errors}")
            reasked = True
            if reply and len(reply) <= MAX_ECHOED_REPLY_CHARS:
                messages = [*messages, {"role": "assistant", "content": reply}]
            messages = [*messages, {"role": "user", "content": build_reask_message(errors)}]

    def _ground(self, text: str, chunk: Chunk, proposed: list[ModelClaim], counter: _UsageCounter) -> list[Claim]:
        """The proposed claims the article supports, each bounded, cleaned and grounded; the rest counted."""
        if len(proposed) > MAX_CLAIMS_PER_CHUNK:
            counter.drop("over_claim_limit", len(proposed) - MAX_CLAIMS_PER_CHUNK)
            proposed = proposed[:MAX_CLAIMS_PER_CHUNK]
        claims: list[Claim] = []
        earlier: dict[tuple[str | None, ...], list[Claim]] = {}  # claims by what the model wrote, word for word
        for model_claim in proposed:
            if len(model_claim.content) > len(chunk.text) or len(model_claim.speaker) > MAX_FIELD_CHARS:
                counter.drop("oversized")
                continue
            key = tuple(clean(value, limit=len(chunk.text)) for value in model_claim.model_dump().values())
            mention = clean(model_claim.speaker_mention)
            speaker = _supported_speaker(text, clean(model_claim.speaker), mention)
            if speaker is None:
                counter.drop("unsupported_speaker")
                continue
            name, role = _name_and_role(speaker, clean(model_claim.speaker_role), model_claim.speaker_type)
            if role is not None and not candidates(text, role)[1]:
                role = None  # a role the article never gives is the model's invention
            claim = ground_claim(
                text,
                content=model_claim.content,
                speaker_name=name,
                speaker_type=model_claim.speaker_type,
                speaker_role=role,
                speaker_mention=mention,
                cue=clean(model_claim.cue) or "",
                quote_type=model_claim.quote_type,
                stance=model_claim.stance,
                near=(chunk.start, chunk.end),
                threshold=self._settings.fuzzy_threshold,
                taken=[c.content_span for c in claims],
            )
            if claim is None:
                counter.drop("ungrounded")
            elif _repeated(text, claim, earlier.get(key, [])):
                counter.drop("repeated")
            else:
                claims.append(claim)
                earlier.setdefault(key, []).append(claim)
        return claims


# A claim repeated word for word is another claim where the article repeats this much text before or after it.
REPEAT_CONTEXT_CHARS = 30


def _repeated(text: str, claim: Claim, same: list[Claim]) -> bool:
    """Whether a claim the model wrote word for word before is that claim again (models repeat themselves). It is
    another claim only where the article repeats the words around it too (a summary above the full text, a lede
    printed twice): the REPEAT_CONTEXT_CHARS before it, or after it, read the same as at the earlier place."""
    return any(
        other.content_span == claim.content_span or _around(text, claim).isdisjoint(_around(text, other))
        for other in same
    )


def _around(text: str, claim: Claim) -> set[tuple[str, str]]:
    start, end = claim.content_span
    before, after = text[max(0, start - REPEAT_CONTEXT_CHARS) : start], text[end : end + REPEAT_CONTEXT_CHARS]
    return {("before", " ".join(before.split())), ("after", " ".join(after.split()))}


def _raise_first_failure(done: list[Future[list[Claim]]]) -> None:
    for future in done:
        error = future.exception()
        if error is not None:
            raise error


def _supported_speaker(text: str, name: str | None, mention: str | None) -> str | None:
    """The speaker's name if the article writes it (normalised as content grounding does), else its mention when
    that is in the article and names someone (not "he"), else None: a speaker the article does not support."""
    if name and candidates(text, name)[1]:
        return name
    if mention and mention.lower() not in _PRONOUNS and candidates(text, mention)[1]:
        return mention
    return None


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


def _name_and_role(name: str, role: str | None, speaker_type: str) -> tuple[str, str | None]:
    """A title glued onto a person's name moved to the role by the speakers module, as on the rules path:
    "Turkish Foreign Minister Mevlüt Çavuşoğlu" -> "Mevlüt Çavuşoğlu", role "Turkish Foreign Minister";
    "Mr. Trump" -> "Trump". Only a person's name is split ("General Motors" and "Justice Department" stay whole);
    a role the model gave is kept. Edge punctuation the model left on either is removed."""
    name = name.strip(" ,;:") or name
    role = (role or "").strip(" ,;:") or None
    if speaker_type != "person":
        return name, role
    title, bare = split_role_name(name)
    if not bare or bare == name:
        return name, role
    return bare, role or title


__all__ = ["LLMExtractor", "ModelClaim", "ModelOutput"]
