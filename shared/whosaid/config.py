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
    llm_timeout_seconds: float = Field(default=25.0, gt=0, le=900, validation_alias="WHOSAID_LLM_TIMEOUT_SECONDS")
    llm_max_retries: int = Field(default=2, ge=0, le=10, validation_alias="WHOSAID_LLM_MAX_RETRIES")
    chunk_chars: int = Field(default=12_000, ge=1_000, le=200_000, validation_alias="WHOSAID_CHUNK_CHARS")
    max_concurrency: int = Field(default=4, ge=1, le=32, validation_alias="WHOSAID_MAX_CONCURRENCY")
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
        description="Key that signs next_token values; default: derived from the table name (tokens still cannot "
        "cross partitions, which is checked separately).",
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
