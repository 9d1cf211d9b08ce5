"""Configuration from environment variables, read once and validated. Every variable is in the README's table."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    # --- extraction ---------------------------------------------------------------------------------------------
    extractor: Literal["auto", "llm", "rules"] = Field(
        default="auto",
        validation_alias="WHOSAID_EXTRACTOR",
        description="auto: the LLM when one is configured (OPENAI_API_KEY or OPENAI_BASE_URL), else the rules.",
    )
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4.1-mini", validation_alias="WHOSAID_MODEL")
    llm_timeout_seconds: float = Field(
        default=25.0,
        gt=0,
        le=900,
        validation_alias="WHOSAID_LLM_TIMEOUT_SECONDS",
        description="Wall-clock limit of one LLM request, from connecting to the last byte of the answer.",
    )
    llm_max_retries: int = Field(default=2, ge=0, le=10, validation_alias="WHOSAID_LLM_MAX_RETRIES")
    extraction_deadline_seconds: float = Field(
        default=300.0,
        gt=0,
        le=3_600,
        validation_alias="WHOSAID_EXTRACTION_DEADLINE_SECONDS",
        description="Outside a Lambda function (CLI, batch, eval): the time one article's extraction may take, "
        "retries and waits included. In a function the deadline is its remaining time less "
        "WHOSAID_DEADLINE_MARGIN_SECONDS.",
    )
    deadline_margin_seconds: float = Field(
        default=3.0,
        ge=0,
        le=120,
        validation_alias="WHOSAID_DEADLINE_MARGIN_SECONDS",
        description="Time kept back from a function's remaining time to store the outcome.",
    )
    llm_response_format: Literal["json_schema", "json_object", "none"] = Field(
        default="json_schema",
        validation_alias="WHOSAID_LLM_RESPONSE_FORMAT",
        description="json_schema: strict structured outputs; json_object or none (servers without strict JSON "
        "schema): the schema goes in the instructions and the answer is validated locally.",
    )
    llm_output_tokens: int = Field(
        default=8_192,
        ge=256,
        le=200_000,
        validation_alias="WHOSAID_LLM_OUTPUT_TOKENS",
        description="max_completion_tokens of a request.",
    )
    llm_retry_output_tokens: int = Field(
        default=32_768,
        ge=256,
        le=200_000,
        validation_alias="WHOSAID_LLM_RETRY_OUTPUT_TOKENS",
        description="max_completion_tokens of the one retry of an answer cut off at its length limit (before the "
        "chunk is split).",
    )
    # USD per million tokens, for Usage.estimated_cost_usd; defaults are OpenAI's list prices for gpt-4.1-mini.
    price_input_per_mtok: float = Field(default=0.40, ge=0, validation_alias="WHOSAID_PRICE_INPUT_PER_MTOK")
    price_cached_input_per_mtok: float = Field(
        default=0.10, ge=0, validation_alias="WHOSAID_PRICE_CACHED_INPUT_PER_MTOK"
    )
    price_output_per_mtok: float = Field(default=1.60, ge=0, validation_alias="WHOSAID_PRICE_OUTPUT_PER_MTOK")
    chunk_chars: int = Field(default=12_000, ge=1_000, le=200_000, validation_alias="WHOSAID_CHUNK_CHARS")
    # 10: an article at the size limit (100,000 characters) is at most 9 chunks of 12,000, all asked at once.
    max_concurrency: int = Field(default=10, ge=1, le=32, validation_alias="WHOSAID_MAX_CONCURRENCY")
    fuzzy_threshold: float = Field(default=0.9, ge=0.5, le=1.0, validation_alias="WHOSAID_FUZZY_THRESHOLD")

    # --- AWS service (storage, queue, secrets) --------------------------------------------------------------------
    table_name: str = Field(
        default="whosaid-articles", validation_alias="WHOSAID_TABLE_NAME", description="DynamoDB articles+claims table."
    )
    idempotency_table_name: str = Field(
        default="whosaid-idempotency",
        validation_alias="WHOSAID_IDEMPOTENCY_TABLE_NAME",
        description="DynamoDB table of the powertools idempotency records.",
    )
    bucket_name: str = Field(
        default="", validation_alias="WHOSAID_BUCKET_NAME", description="S3 bucket for uploads and large bodies."
    )
    queue_url: str = Field(
        default="", validation_alias="WHOSAID_QUEUE_URL", description="SQS queue for async extraction work."
    )
    openai_api_key_parameter: str = Field(
        default="",
        validation_alias="WHOSAID_OPENAI_API_KEY_PARAMETER",
        description="SSM SecureString name holding the OpenAI key, or 'secretsmanager:<secret name>'; read when "
        "OPENAI_API_KEY is unset.",
    )
    async_threshold_chars: int = Field(
        default=20_000,
        ge=1,
        validation_alias="WHOSAID_ASYNC_THRESHOLD_CHARS",
        description="POSTed articles longer than this are extracted asynchronously through the queue (202).",
    )
    pagination_secret: SecretStr | None = Field(
        default=None,
        validation_alias="WHOSAID_PAGINATION_SECRET",
        description="Key that signs next_token values (local runs); wins over WHOSAID_PAGINATION_SECRET_ARN. Neither "
        "set: derived from the table name (tokens still cannot cross partitions, which is checked separately).",
    )
    pagination_secret_arn: str = Field(
        default="",
        validation_alias="WHOSAID_PAGINATION_SECRET_ARN",
        description="Secrets Manager secret holding the next_token signing key (the stack generates it); read "
        "through powertools parameters and cached.",
    )
    cors_allowed_origins: str = Field(
        default="",
        validation_alias="WHOSAID_CORS_ALLOWED_ORIGINS",
        description="Comma-separated browser origins the API answers CORS requests for; empty = no CORS headers.",
    )

    @property
    def cors_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_allowed_origins.split(",") if origin.strip()]

    # --- API -----------------------------------------------------------------------------------------------------
    auth_mode: Literal["API_KEY", "IAM", "JWT"] = Field(
        default="API_KEY",
        validation_alias="WHOSAID_AUTH_MODE",
        description="How API Gateway authenticates callers (the template's AuthMode): the OpenAPI document's "
        "security schemes and gateway responses follow it. API_KEY: x-api-key header; IAM: SigV4-signed requests; "
        "JWT: Authorization: Bearer <token>.",
    )

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key and self.openai_api_key.get_secret_value()) or bool(self.openai_base_url)

    @property
    def effective_extractor(self) -> Literal["llm", "rules"]:
        if self.extractor == "auto":
            return "llm" if self.llm_configured else "rules"
        return self.extractor


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call get_settings.cache_clear() after changing the environment)."""
    return Settings()


__all__ = ["Settings", "get_settings"]
