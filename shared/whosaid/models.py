"""The data contract: the article that goes in and the attributed claims that come out.

Everything that crosses a module border is one of these pydantic models. Field descriptions become the OpenAPI
docs, so they are written for users. Spans are `[start, end)` Python string offsets into the article text exactly
as submitted: `text[start:end]` is the evidence.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints, field_validator, model_validator

# Long enough for any news article (the longest in the development set is ~60k characters) while keeping one
# extraction within a Lambda's time and an LLM's budget. Documented in the README and the OpenAPI schema.
MAX_ARTICLE_CHARS = 100_000

SpeakerType = Literal["person", "organization", "anonymous", "document", "other"]
QuoteType = Literal["direct", "indirect", "mixed"]
Stance = Literal["asserts", "confirms", "denies", "hedges"]
GroundingMethod = Literal["exact", "normalized", "fuzzy"]
ExtractorName = Literal["rules", "llm"]

Span = Annotated[
    tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]],
    Field(description="[start, end) character offsets into the article text: text[start:end] is the evidence."),
]


class Article(BaseModel):
    """A news article submitted for extraction."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_ARTICLE_CHARS,
        description=f"The article body as plain text (at most {MAX_ARTICLE_CHARS:,} characters). Offsets refer to it "
        "exactly as sent.",
    )
    title: str | None = Field(
        default=None, max_length=1_000, description="Headline.", examples=["Riverside council approves flood barrier"]
    )
    # Bounded like every other field: an unbounded one could outgrow a DynamoDB item (400 KB) and fail at storage.
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=2_048)] | None = Field(
        default=None,
        description="Where the article was published (http or https, at most 2,048 characters).",
        examples=["https://news.example.com/2024/03/12/riverside-flood-barrier"],
    )
    source: str | None = Field(
        default=None, max_length=200, description="Publisher or outlet name.", examples=["Riverside Gazette"]
    )
    published_at: datetime | None = Field(
        default=None,
        description="Publication date or date-time, ISO 8601 (e.g. 2021-08-04 or 2021-08-04T10:00:00Z).",
        examples=["2024-03-12T18:30:00Z"],
    )
    language: str | None = Field(
        default=None,
        max_length=35,  # RFC 5646 section 4.4.1: 35 characters hold any tag in practical use
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="BCP 47 language tag, e.g. 'en' or 'en-GB'.",
        examples=["en-GB"],
    )

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        # The text is kept exactly as sent (offsets refer to it); a body with nothing visible in it (whitespace,
        # zero-width or other format characters only) is refused. any() stops at the first visible character.
        if not any(ch.isprintable() and not ch.isspace() for ch in value):
            raise ValueError("text must not be blank")
        return value

    @field_validator("published_at", mode="before")
    @classmethod
    def _published_at_not_a_number(cls, value: object) -> object:
        # The contract is an ISO 8601 string; pydantic would otherwise read a number, or a string of digits, as a
        # Unix timestamp ("2021" would become 1970-01-01T00:33:41Z).
        if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
            raise ValueError("published_at must be an ISO 8601 date or date-time string, not a number")
        return value

    @field_validator("published_at")
    @classmethod
    def _published_at_in_utc_range(cls, value: datetime | None) -> datetime | None:
        # Dates are stored in UTC: an offset must not push year 1 or 9999 off the calendar there.
        if value is not None and value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValueError("published_at must be within years 1 to 9999 once converted to UTC") from None
        return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


class Speaker(BaseModel):
    """Who a claim is attributed to: one entity per article, under the fullest name the article gives."""

    name: str = Field(
        min_length=1, description="Fullest name the article gives, e.g. 'Hazem Qassem', 'Palestinian sources'."
    )
    type: SpeakerType = Field(
        description="person | organization | anonymous (unnamed sources, officials, groups) | document (a report, "
        "poll, study, record, filing or survey) | other."
    )
    role: str | None = Field(
        default=None,
        description="Role, title or descriptor where the article gives one, e.g. 'Hamas spokesman', 'familiar with "
        "the discussions'; for a document, its author where given.",
    )


def is_article_scoped(speaker: Speaker) -> bool:
    """Whether a speaker exists only in its own article: anonymous and unnamed speakers ("Palestinian sources",
    "a senior official", "the report") are never the same entity as a namesake in another article, so nothing may
    merge them across articles. A named person, organization or document ("Reuters/Ipsos") is one entity everywhere.
    """
    if speaker.type == "anonymous":
        return True
    words = speaker.name.split()
    if words and words[0].lower() in _DETERMINERS:
        words = words[1:]
    # A name holds a proper noun (a capitalised word or one with a digit: "Reuters/Ipsos", "3M"); a description
    # ("a senior official", "the report", "residents") holds none.
    return not any(w[:1].isupper() or any(ch.isdigit() for ch in w) for w in words)


_DETERMINERS = frozenset(
    {"the", "a", "an", "some", "several", "many", "multiple", "numerous", "various", "most", "few", "all", "both"}
    | {"one", "two", "three", "other", "another", "those", "these", "such"}
)


class Claim(BaseModel):
    """One statement the article attributes to a speaker, grounded to exact character offsets."""

    speaker: Speaker
    cue: str = Field(description="The attributing words as written: 'said', 'denied', 'according to', ...")
    content: str = Field(
        min_length=1, description="What is claimed, exactly as written in the article (= text[content_span])."
    )
    quote_type: QuoteType = Field(description="direct (in quotation marks) | indirect (reported speech) | mixed.")
    stance: Stance = Field(description="The speaker's commitment to the content: asserts | confirms | denies | hedges.")
    content_span: Span
    speaker_span: Span | None = Field(
        default=None, description="Offsets of the speaker mention this claim is attached to ('he', 'the sources', ...)."
    )
    cue_span: Span | None = Field(default=None, description="Offsets of the cue.")
    content_segments: list[Span] | None = Field(
        default=None,
        description="For a quotation in pieces (interrupted by its attribution, or shortened with an ellipsis): "
        "the offsets of each piece, in order, inside content_span, which runs from the first to the last. "
        "Absent for a content in one piece.",
    )
    confidence: float = Field(default=1.0, ge=0.0, le=1.0, description="Extractor's confidence in the claim, 0..1.")
    grounding: GroundingMethod = Field(
        default="exact", description="How content_span was found in the text: exact | normalized | fuzzy."
    )
    extractor: ExtractorName = Field(description="Which extractor produced the claim: rules | llm.")

    @model_validator(mode="after")
    def _spans_ordered(self) -> Claim:
        for name in ("content_span", "speaker_span", "cue_span"):
            span = getattr(self, name)
            if span is not None and span[0] >= span[1]:
                raise ValueError(f"{name} must have start < end, got {list(span)}")
        if self.content_segments is not None:
            ends = [self.content_span[0]]
            for start, end in self.content_segments:
                if not ends[-1] <= start < end <= self.content_span[1]:
                    raise ValueError("content_segments must be ordered, disjoint spans inside content_span")
                ends.append(end)
        return self


class SpeakerSummary(BaseModel):
    """A distinct speaker of the article and how many claims it made."""

    name: str
    type: SpeakerType
    role: str | None = None
    claim_count: int = Field(ge=1)


class Usage(BaseModel):
    """What an extraction cost: LLM tokens over every attempt (zero for the rules extractor)."""

    extractor: ExtractorName
    model: str | None = Field(default=None, description="LLM model name, when the LLM extractor ran.")
    requests: int = Field(default=0, ge=0, description="LLM requests made, re-asks and retried calls included.")
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    total_tokens: int = Field(default=0, ge=0)
    cached_prompt_tokens: int = Field(
        default=0, ge=0, description="Prompt tokens the provider served from its prompt cache (billed lower)."
    )
    unreported_usage: int = Field(
        default=0,
        ge=0,
        description="Requests whose token counts the endpoint did not report or reported as garbage (counted as 0).",
    )
    estimated_cost_usd: float | None = Field(
        default=None,
        ge=0,
        description="Estimated cost in USD from the configured prices per million tokens (WHOSAID_PRICE_*); "
        "None for the rules extractor.",
    )
    chunks: int = Field(default=1, ge=1, description="How many pieces the article was split into.")
    dropped_claims: int = Field(
        default=0,
        ge=0,
        description="Claims the extractor proposed and dropped: not found in the text, a speaker the article does "
        "not support, a field over its limit, or past the claims limit of a chunk (see dropped_by_reason).",
    )
    dropped_by_reason: dict[str, int] = Field(
        default_factory=dict,
        description="dropped_claims by reason: ungrounded, unsupported_speaker, oversized, over_claim_limit, "
        "repeated (the same claim listed twice, word for word).",
    )


class ExtractionResult(BaseModel):
    """The claims of one article, its distinct speakers and what the extraction cost."""

    claims: list[Claim]
    speakers: list[SpeakerSummary]
    usage: Usage

    @classmethod
    def from_claims(cls, claims: list[Claim], usage: Usage) -> ExtractionResult:
        """Build a result, ordering claims by position and counting claims per distinct speaker."""
        ordered = sorted(claims, key=lambda c: (c.content_span[0], c.content_span[1]))
        return cls(claims=ordered, speakers=summarize_speakers(ordered), usage=usage)


def summarize_speakers(claims: list[Claim]) -> list[SpeakerSummary]:
    """Distinct speakers (by name and type) with their claim counts, most claims first, then first appearance."""
    counts: Counter[tuple[str, SpeakerType]] = Counter((c.speaker.name, c.speaker.type) for c in claims)
    roles: dict[tuple[str, SpeakerType], str | None] = {}
    for claim in claims:
        key = (claim.speaker.name, claim.speaker.type)
        roles[key] = roles.get(key) or claim.speaker.role
    order = {key: i for i, key in reversed(list(enumerate((c.speaker.name, c.speaker.type) for c in claims)))}
    return [
        SpeakerSummary(name=name, type=type_, role=roles[(name, type_)], claim_count=count)
        for (name, type_), count in sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))
    ]
