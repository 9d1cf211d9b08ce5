"""boto3 clients with the retry policy every AWS call here shares, and AWS failures translated to StorageError.

botocore's "standard" retry mode retries throttling and transient errors with exponential backoff and jitter;
what still fails after that is reported as StorageError (503) naming the operation, never with a stack trace.
Endpoints come from boto3's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables (local stack, tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from whosaid.errors import StorageError
from whosaid.observability import logger

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=3,
    read_timeout=10,
    tcp_keepalive=True,
)


def aws_client(service: str) -> Any:
    """A boto3 client with the shared retry policy (region and endpoint from the environment)."""
    return boto3.session.Session().client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


@contextmanager
def translate_aws_errors(operation: str) -> Iterator[None]:
    """Re-raise botocore failures of `operation` as StorageError (503) with a message saying what failed."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        logger.warning("AWS call failed", extra={"operation": operation, "aws_error_code": code})
        raise StorageError(f"storage is unavailable: {operation} failed ({code or 'error'}); try again later") from exc
    except BotoCoreError as exc:
        logger.warning("AWS call failed", extra={"operation": operation, "aws_error": type(exc).__name__})
        raise StorageError(
            f"storage is unavailable: {operation} failed ({type(exc).__name__}); try again later"
        ) from exc
