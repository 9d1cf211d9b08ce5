"""One chat completion from an OpenAI-compatible endpoint, within a deadline, every failure a typed error.

Retries are made here rather than by the SDK, because the SDK cannot know the extraction's deadline: it would wait
out a `Retry-After: 35` in a function that has 25 s left. So the client is built with `max_retries=0` and this
module retries what the SDK would (timeouts, connection errors, 408, 409, 429, 5xx) with the SDK's backoff
(0.5 s doubling to 8 s, with jitter) or the endpoint's Retry-After, and starts no wait or attempt that would end
past the deadline.

Each attempt is limited in wall-clock time from connecting to the last byte, not per read: the answer is streamed
and the clock checked after every piece, so an endpoint trickling a byte every few seconds cannot hold an attempt
open. The body is bounded too (`max_body_bytes`): a model's answer is never larger than its output budget allows.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai

from whosaid.backoff import backoff_delay
from whosaid.config import Settings
from whosaid.deadlines import Deadline
from whosaid.errors import ConfigurationError, ExtractionError, LLMOutputError, LLMTimeoutError, LLMUnavailableError
from whosaid.extraction.llm_output import Answer, ModelOutput, parse_completion

logger = logging.getLogger(__name__)

# Local OpenAI-compatible servers (Ollama, vLLM, llama.cpp) ignore the key, but the SDK insists on one.
PLACEHOLDER_API_KEY = "not-needed"
# The shortest attempt worth starting: with less time left the extraction fails now, as a timeout.
MIN_ATTEMPT_SECONDS = 0.5
# What is read of an answer at all. Far above any honest one (a full output budget of escaped non-Latin text is a
# few MB); a larger body is a broken endpoint, refused before it is parsed. Below it, memory is bounded by parsing
# the body once and capping every field (llm_output.py, llm.py): a 20 MB field costs about three times its size,
# briefly.
MAX_BODY_BYTES = 32 * 2**20
_RETRIED_STATUSES = frozenset({408, 409, 429})
# Phrases with which servers refuse a response_format they do not support (llama.cpp, older vLLM, proxies).
_FORMAT_REFUSALS = ("response_format", "json_schema", "json schema", "structured output")


@dataclass
class _Retryable(Exception):
    """An attempt failed in a way another attempt may not: the error to raise if none is left, and the wait the
    endpoint asked for (Retry-After), if any."""

    error: ExtractionError
    retry_after: float | None = None


class ChatEndpoint:
    """The configured endpoint and model, asked for one completion at a time (thread-safe: the client is)."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep
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
            max_retries=0,  # see the module docstring
        )

    def close(self) -> None:
        self._client.close()

    def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        deadline: Deadline,
        cancelled: threading.Event,
        on_attempt: Callable[[], None],
    ) -> Answer:
        """The answer to `messages`, after retries; `on_attempt` is called once per HTTP request sent."""
        settings = self._settings
        last: _Retryable | None = None
        for attempt in range(settings.llm_max_retries + 1):
            if last is not None:
                wait = last.retry_after if last.retry_after is not None else _backoff(attempt - 1)
                if wait + min(MIN_ATTEMPT_SECONDS, settings.llm_timeout_seconds) > deadline.remaining():
                    break  # the wait alone would end past the deadline: fail now, with the last error
                self._sleep(wait)
            limit = min(settings.llm_timeout_seconds, deadline.remaining())
            if limit < min(MIN_ATTEMPT_SECONDS, settings.llm_timeout_seconds) or cancelled.is_set():
                break
            try:
                on_attempt()
                return parse_completion(self._attempt(messages, max_tokens, limit, cancelled))
            except _Retryable as failure:
                logger.warning("llm request failed (attempt %d): %s", attempt + 1, failure.error.message)
                last = failure
        if last is None or (deadline.expired() and isinstance(last.error, LLMTimeoutError)) or cancelled.is_set():
            raise _deadline_error(deadline, last)
        if last.retry_after is not None and last.retry_after + MIN_ATTEMPT_SECONDS > deadline.remaining():
            raise LLMUnavailableError(
                f"{last.error.message} It asked to retry after {last.retry_after:g}s, past the extraction's deadline."
            )
        raise last.error

    # --- one HTTP request ---------------------------------------------------------------------------------------
    def _attempt(
        self, messages: list[dict[str, str]], max_tokens: int, limit: float, cancelled: threading.Event
    ) -> bytes:
        settings = self._settings
        ends = time.monotonic() + limit
        request: dict[str, Any] = {
            "model": settings.model,
            "messages": messages,
            "temperature": 0,
            "max_completion_tokens": max_tokens,
            "timeout": limit,  # per read, connect and write; the whole attempt is bounded below
        }
        completions = self._client.chat.completions.with_streaming_response
        try:
            if settings.llm_response_format == "json_schema":
                opened = completions.parse(response_format=ModelOutput, **request)
            elif settings.llm_response_format == "json_object":
                opened = completions.create(response_format={"type": "json_object"}, **request)
            else:
                opened = completions.create(**request)
            with opened as response:
                return _read_body(response, ends, MAX_BODY_BYTES, cancelled)
        except _Retryable:
            raise
        except openai.APITimeoutError:
            raise _Retryable(LLMTimeoutError(self._timeout_message(limit))) from None
        except openai.APIConnectionError:
            raise _Retryable(LLMUnavailableError("Could not connect to the LLM endpoint.")) from None
        except openai.APIStatusError as error:
            raise self._status_error(error) from None
        except openai.APIError as error:  # the SDK could not read the answer (e.g. its own response validation)
            raise LLMOutputError(f"The LLM endpoint's answer could not be read: {type(error).__name__}.") from None

    def _timeout_message(self, limit: float) -> str:
        return f"The LLM endpoint did not answer within {limit:g}s."

    def _status_error(self, error: openai.APIStatusError) -> Exception:
        settings = self._settings
        code = error.status_code
        if code in (401, 403):
            # The body may echo part of the key: it is not repeated here.
            return ConfigurationError(f"The LLM endpoint refused the credentials (HTTP {code}): check OPENAI_API_KEY.")
        if code == 404:
            return ConfigurationError(
                f"The LLM endpoint has no model {settings.model!r} or no chat completions API (HTTP 404): "
                "check WHOSAID_MODEL and OPENAI_BASE_URL."
            )
        retry_after = _retry_after(error.response.headers)
        if code == 429:
            return _Retryable(
                LLMUnavailableError("The LLM endpoint kept rate-limiting requests (HTTP 429)."), retry_after
            )
        if code >= 500 or code in _RETRIED_STATUSES:
            return _Retryable(LLMUnavailableError(f"The LLM endpoint kept failing (HTTP {code})."), retry_after)
        message = _api_message(error)
        if code == 400 and settings.llm_response_format != "none" and _refuses_format(message):
            return ConfigurationError(
                f"The LLM endpoint does not support response_format {settings.llm_response_format!r} (HTTP 400: "
                f"{message}): set WHOSAID_LLM_RESPONSE_FORMAT=json_object, or none, for this server."
            )
        return ExtractionError(f"The LLM endpoint rejected the request (HTTP {code}): {message}")


def _read_body(response: Any, ends: float, max_bytes: int, cancelled: threading.Event) -> bytes:
    """The body, read piece by piece against the attempt's wall clock and the size bound."""
    pieces: list[bytes] = []
    size = 0
    try:
        for piece in response.iter_bytes():  # pieces as they arrive (a chunk_size would wait to fill it)
            size += len(piece)
            if size > max_bytes:
                raise LLMOutputError(f"The LLM endpoint's answer exceeded {max_bytes:,} bytes; no honest answer does.")
            pieces.append(piece)
            if time.monotonic() > ends or cancelled.is_set():
                raise _Retryable(LLMTimeoutError("The LLM endpoint did not finish its answer in time."))
    except (LLMOutputError, _Retryable):
        raise
    except Exception as error:  # the transport's own errors (read timeout, reset) arrive unwrapped while streaming
        if "timeout" in type(error).__name__.lower():
            raise _Retryable(LLMTimeoutError("The LLM endpoint stopped sending its answer.")) from None
        raise _Retryable(LLMUnavailableError("The connection to the LLM endpoint broke mid-answer.")) from None
    if time.monotonic() > ends:
        raise _Retryable(LLMTimeoutError("The LLM endpoint did not finish its answer in time."))
    return b"".join(pieces)


def _deadline_error(deadline: Deadline, last: _Retryable | None) -> LLMTimeoutError:
    detail = f" The last attempt: {last.error.message}" if last is not None else ""
    return LLMTimeoutError(f"The extraction ran out of time before the LLM endpoint answered.{detail}")


def _backoff(retry: int) -> float:
    """The SDK's own: 0.5 s doubling per retry up to 8 s, less up to a quarter of jitter."""
    return backoff_delay(retry, base=0.5, cap=8.0, jitter=0.25)


def _retry_after(headers: Any) -> float | None:
    """Seconds from retry-after-ms, or retry-after (seconds or an HTTP date); None when absent or unreadable."""
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _api_message(error: openai.APIStatusError) -> str:
    """The endpoint's own error message, shortened (for 4xx other than auth, where no key is echoed)."""
    body = error.body
    message = body.get("message") if isinstance(body, dict) else None
    return " ".join(str(message or error.message).split())[:300]


def _refuses_format(message: str) -> bool:
    lowered = message.lower()
    return any(phrase in lowered for phrase in _FORMAT_REFUSALS)


__all__ = ["PLACEHOLDER_API_KEY", "ChatEndpoint"]
