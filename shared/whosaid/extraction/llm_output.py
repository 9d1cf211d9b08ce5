"""What the model sends, read as untrusted input: the completion envelope, its usage and the claims in its content.

Nothing here trusts a shape: a body that is not a chat completion, a field of the wrong type or garbage usage is
reported as such (`LLMOutputError` or usage counted as unknown), never as a crash. Every field of a claim is
cleaned (control and format characters removed, whitespace collapsed) and bounded before anything else reads it,
so no model string larger than the article can reach grounding or memory-hungry caches.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from whosaid.errors import LLMOutputError
from whosaid.models import QuoteType, SpeakerType, Stance

# Speaker names, roles, mentions and cues are a few words; anything longer is not one.
MAX_FIELD_CHARS = 300
# A chunk of 12,000 characters holds a few dozen claims at most; past this the answer is noise (a model looping, or
# an endpoint inventing speakers). The excess is dropped and counted (Usage.dropped_by_reason["over_claim_limit"]).
MAX_CLAIMS_PER_CHUNK = 150


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


# The envelope: only what is read, each field typed; anything else in the body is ignored.
class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


class _Completion(BaseModel):
    choices: list[_Choice] = Field(min_length=1)
    usage: Any = None


@dataclass(frozen=True)
class TokenCounts:
    prompt: int = 0
    completion: int = 0
    total: int = 0
    cached: int = 0
    reported: bool = True  # False: the endpoint sent no usable usage (counted as zero, and as unreported)


@dataclass(frozen=True)
class Answer:
    content: str | None
    refusal: str | None
    finish_reason: str | None
    tokens: TokenCounts


def parse_completion(body: bytes) -> Answer:
    """The parts of a chat completion the extractor reads; LLMOutputError when the body is not one."""
    try:
        completion = _Completion.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors(include_url=False, include_input=False)):
            raise LLMOutputError("The LLM endpoint answered with something that is not JSON.") from None
        raise LLMOutputError(
            f"The LLM endpoint answered with JSON that is not a chat completion ({_first_problem(error)})."
        ) from None
    choice = completion.choices[0]
    return Answer(choice.message.content, choice.message.refusal, choice.finish_reason, _tokens(completion.usage))


def _tokens(usage: Any) -> TokenCounts:
    """Token counts as reported, or zeros marked unreported when any count is missing, not an integer or negative."""
    if not isinstance(usage, dict):
        return TokenCounts(reported=False)
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    values = [usage.get(name) for name in ("prompt_tokens", "completion_tokens", "total_tokens")]
    values.append(0 if cached is None else cached)
    counts = [value for value in values if _is_count(value)]
    if len(counts) < len(values):
        return TokenCounts(reported=False)
    prompt, completion, total, cached_count = counts
    return TokenCounts(prompt, completion, total, min(cached_count, prompt))


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12


def _problems(error: ValidationError) -> list[str]:
    """Each validation error as "where: what" (no input values echoed). Not whosaid.article_input's formatter on
    purpose: this one is read by the model in the re-ask, so it names paths in the model's own reply (claims.0.stance)
    with pydantic's words, where that one tells a user which article field to fix."""
    return [
        f"{'.'.join(str(part) for part in item['loc']) or '(root)'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)
    ]


def _first_problem(error: ValidationError) -> str:
    return _problems(error)[0]


def describe(error: ValidationError, limit: int = 10) -> str:
    """A compact list of what failed validation, for the re-ask and the final error (no input values echoed)."""
    lines = [f"- {problem}" for problem in _problems(error)[:limit]]
    if error.error_count() > limit:
        lines.append(f"- … and {error.error_count() - limit} more")
    return "\n".join(lines)


# A reply wrapped in a Markdown code fence, as servers without a JSON mode often send it.
_FENCE = re.compile(r"^\s*```[\w-]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def parse_claims(content: str, *, strict: bool) -> ModelOutput:
    """The claims of a reply (ValidationError when it breaks the schema). Without `strict` (a server given the
    schema only in the instructions), a Markdown fence or prose around the one JSON object is tolerated."""
    if not strict:
        fenced = _FENCE.match(content)
        if fenced:
            content = fenced.group(1)
        start, end = content.find("{"), content.rfind("}")
        if 0 <= start < end:
            content = content[start : end + 1]
    return ModelOutput.model_validate_json(content)


_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def clean(value: str | None, limit: int = MAX_FIELD_CHARS) -> str | None:
    """Control, format (bidi, zero-width) and unassigned characters removed, whitespace collapsed; None when
    nothing is left or the value is longer than `limit` (it is not what the field holds)."""
    if not value or len(value) > limit * 4:
        return None
    visible = (ch for ch in value if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE)
    kept = " ".join("".join(visible).split())
    return kept if kept and len(kept) <= limit else None


def schema_instructions() -> str:
    """The response schema as text, for servers given no (or only a JSON-object) response format. Built from the
    same model as the strict schema, with sorted keys, so it is byte-identical in every request."""
    schema = json.dumps(ModelOutput.model_json_schema(), sort_keys=True, separators=(",", ":"))
    return (
        "\n\nAnswer with one JSON object and nothing else: no Markdown, no commentary. It must validate against "
        f"this JSON schema:\n{schema}"
    )


__all__ = [
    "MAX_CLAIMS_PER_CHUNK",
    "MAX_FIELD_CHARS",
    "Answer",
    "ModelClaim",
    "ModelOutput",
    "TokenCounts",
    "clean",
    "describe",
    "parse_claims",
    "parse_completion",
    "schema_instructions",
]
