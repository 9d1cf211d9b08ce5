"""The OpenAI API key from SSM Parameter Store or Secrets Manager, through powertools parameters (cached).

WHOSAID_OPENAI_API_KEY_PARAMETER names an SSM SecureString parameter, or a Secrets Manager secret when prefixed
`secretsmanager:`. A secret may hold the bare key or a JSON object with an "OPENAI_API_KEY" (or "api_key") field.
The value is cached for MAX_AGE_SECONDS (so a rotated key is picked up) and never logged.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from pydantic import SecretStr

from whosaid.config import Settings
from whosaid.errors import ConfigurationError, StorageError
from whosaid.observability import logger
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
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        provider, name, options = self._provider()
        try:
            value = provider.get(name, max_age=MAX_AGE_SECONDS, **options)
        except GetParameterError as exc:
            original = exc.__cause__ or exc.__context__  # powertools re-raises inside its except block
            code = error_code(original) if original else ""
            # Only the parameter's name and the AWS error code are logged: never the value.
            logger.error("could not read the OpenAI API key", extra={"parameter": name, "aws_error_code": code})
            if code in _CONFIGURATION_CODES:
                raise ConfigurationError(
                    f"the OpenAI API key parameter {name!r} cannot be read ({code}): check "
                    "WHOSAID_OPENAI_API_KEY_PARAMETER and the function's permissions"
                ) from exc
            raise StorageError("the secret store is unavailable; try again later") from exc
        key = _key_from_value(value)
        if not key:
            raise ConfigurationError(f"the OpenAI API key parameter {name!r} is empty")
        return key


def _key_from_value(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    text = str(value or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            return str(data.get("OPENAI_API_KEY") or data.get("api_key") or "").strip()
    return text


def with_openai_key(settings: Settings, source: OpenAIKeySource | None) -> Settings:
    """Settings carrying the OpenAI key from the parameter store when the LLM may be used and no key is set."""
    if source is None or settings.extractor == "rules":
        return settings
    if settings.openai_api_key and settings.openai_api_key.get_secret_value():
        return settings
    return settings.model_copy(update={"openai_api_key": SecretStr(source.get())})
