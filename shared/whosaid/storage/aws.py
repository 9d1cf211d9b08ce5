"""boto3 clients with the retry policy every AWS call here shares, and AWS failures translated to StorageError.

botocore's "standard" retry mode retries throttling and transient errors with exponential backoff and jitter;
what still fails after that is reported as StorageError (503) naming the operation, never with a stack trace.
Endpoints come from boto3's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables (local stack, tests).

One boto3 Session per process: creating one loads botocore's data files again (0.1-0.3 s), while clients made from
a shared session reuse its loaded models and credentials. A Session is not thread-safe, so clients are created
under a lock (the clients themselves are). After a SnapStart restore every client made here closes its connection
pool, so the next call connects afresh instead of reusing sockets from the snapshotted environment, and the session
is dropped, so clients made later resolve credentials in the restored environment.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from whosaid.errors import StorageError
from whosaid.lifecycle import register_after_restore
from whosaid.observability import logger

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=3,
    read_timeout=10,
    tcp_keepalive=True,
)


_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: weakref.WeakSet[Any] = weakref.WeakSet()  # every client made here, to close their pools on restore


def aws_session() -> boto3.session.Session:
    """The process's boto3 Session, created on first use."""
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session


def aws_client(service: str) -> Any:
    """A new boto3 client of the process's session, with the shared retry policy (region and endpoint from the
    environment). Callers keep the client they get: clients are thread-safe, only their creation is not."""
    session = aws_session()
    with _lock:
        client = session.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        _clients.add(client)
    return client


@register_after_restore
def reset_connections() -> None:
    """After a SnapStart restore: close every client's connection pool (its next call reconnects) and drop the
    session. Nothing here calls AWS: restore hooks have 10 s in all."""
    global _session
    with _lock:
        clients = list(_clients)
        _session = None
    for client in clients:
        client.close()


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
