"""Secrets through powertools parameters (cached, never logged): the OpenAI API key and the pagination key.

WHOSAID_OPENAI_API_KEY_PARAMETER names an SSM SecureString parameter, or a Secrets Manager secret when prefixed
`secretsmanager:`. A secret may hold the bare key or a JSON object with an "OPENAI_API_KEY" (or "api_key") field.
The value is cached for MAX_AGE_SECONDS (so a rotated key is picked up).

The next_token signing key: WHOSAID_PAGINATION_SECRET when set (local runs), else the Secrets Manager secret
WHOSAID_PAGINATION_SECRET_ARN names (the stack generates it), else one derived from the table name (local runs,
tests). A configured ARN that cannot be read is an error (500/503), never a silent fall back to the derived key.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from pydantic import SecretStr

from whosaid.config import Settings
from whosaid.errors import ConfigurationError, StorageError
from whosaid.observability import logger
from whosaid.storage import codec_secret
from whosaid.storage.aws import aws_client, error_code

SECRETS_MANAGER_PREFIX = "secretsmanager:"
MAX_AGE_SECONDS = 300
# The parameter exists but cannot be used as configured: an operator must fix it (500), retrying will not help.
_CONFIGURATION_CODES = {
    "ParameterNotFound",
    "ParameterVersionNotFound",
    "ResourceNotFoundException",
    "AccessDeniedException",
    "AccessDenied",
    "InvalidKeyId",
    "DecryptionFailure",
    "ValidationException",
}


class OpenAIKeySource:
    """Reads the key named by a parameter setting; powertools providers are created once and cache the value. Their
    clients come from aws_client: the process's session and retry policy, reconnected after a SnapStart restore."""

    def __init__(self, parameter: str, *, ssm_provider: Any | None = None, secrets_provider: Any | None = None) -> None:
        self.parameter = parameter
        self._ssm = ssm_provider
        self._secrets = secrets_provider
        self._lock = threading.Lock()

    def _provider(self) -> tuple[Any, str, dict[str, Any]]:
        from aws_lambda_powertools.utilities import parameters

        with self._lock:
            if self.parameter.startswith(SECRETS_MANAGER_PREFIX):
                if self._secrets is None:
                    self._secrets = parameters.SecretsProvider(boto3_client=aws_client("secretsmanager"))
                return self._secrets, self.parameter[len(SECRETS_MANAGER_PREFIX) :], {}
            if self._ssm is None:
                self._ssm = parameters.SSMProvider(boto3_client=aws_client("ssm"))
            return self._ssm, self.parameter, {"decrypt": True}

    def get(self) -> str:
        provider, name, options = self._provider()
        value = _read(provider, name, options, what="the OpenAI API key", setting="WHOSAID_OPENAI_API_KEY_PARAMETER")
        key = _key_from_value(value)
        if not key:
            raise ConfigurationError(f"the OpenAI API key parameter {name!r} is empty")
        return key


class PaginationKeySource:
    """The next_token signing key from the Secrets Manager secret `arn`; a powertools SecretsProvider caches it."""

    def __init__(self, arn: str, *, secrets_provider: Any | None = None) -> None:
        self.arn = arn
        self._secrets = secrets_provider
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        from aws_lambda_powertools.utilities import parameters

        with self._lock:
            if self._secrets is None:
                self._secrets = parameters.SecretsProvider(boto3_client=aws_client("secretsmanager"))
        # The generated secret never rotates by itself; re-read hourly so a replaced one is picked up.
        value = _read(
            self._secrets,
            self.arn,
            {},
            what="the pagination key",
            setting="WHOSAID_PAGINATION_SECRET_ARN",
            max_age=3600,
        )
        text = value.decode("utf-8") if isinstance(value, bytes) else str(value or "")
        if not text.strip():
            raise ConfigurationError(f"the pagination key secret {self.arn!r} is empty")
        return text.strip().encode("utf-8")


def pagination_key(settings: Settings) -> bytes | PaginationKeySource:
    """The token codec's key (or its reader), by the precedence in this module's docstring."""
    if settings.pagination_secret and settings.pagination_secret.get_secret_value():
        return codec_secret(settings.pagination_secret.get_secret_value(), settings.table_name)
    if settings.pagination_secret_arn:
        return PaginationKeySource(settings.pagination_secret_arn)
    return codec_secret(None, settings.table_name)


def _read(provider: Any, name: str, options: dict[str, Any], *, what: str, setting: str, max_age: int = 0) -> Any:
    """provider.get(name), its failures as whosaid errors: misconfiguration 500, an unavailable store 503."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        return provider.get(name, max_age=max_age or MAX_AGE_SECONDS, **options)
    except GetParameterError as exc:
        original = exc.__cause__ or exc.__context__  # powertools re-raises inside its except block
        code = error_code(original) if original else ""
        # Only the parameter's name and the AWS error code are logged: never the value.
        logger.error(f"could not read {what}", extra={"parameter": name, "aws_error_code": code})
        if code in _CONFIGURATION_CODES:
            raise ConfigurationError(
                f"{what} parameter {name!r} cannot be read ({code}): check {setting} and the function's permissions"
            ) from exc
        raise StorageError("the secret store is unavailable; try again later") from exc


def _key_from_value(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    text = str(value or "").strip()
    if text.startswith("{"):
        try:
            fields = json.loads(text)
        except ValueError:
            return text
        if isinstance(fields, dict):
            return str(fields.get("OPENAI_API_KEY") or fields.get("api_key") or "").strip()
    return text


def with_openai_key(settings: Settings, source: OpenAIKeySource | None) -> Settings:
    """Settings carrying the OpenAI key from the parameter store when the LLM may be used and no key is set."""
    if source is None or settings.extractor == "rules":
        return settings
    if settings.openai_api_key and settings.openai_api_key.get_secret_value():
        return settings
    return settings.model_copy(update={"openai_api_key": SecretStr(source.get())})
