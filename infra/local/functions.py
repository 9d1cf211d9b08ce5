"""A function as Lambda runs it: its own process, its own environment, one invocation at a time.

The parent (the API server, the queue worker) calls `FunctionProcess.invoke(event)`; the child, started with
`python -m infra.local.functions`, imports the handler once (its cold start) and answers events over a socket pair.
A process per function keeps what Lambda keeps apart apart: the environment (the API function's 12 s LLM timeout is
not the ingest function's 60 s), the settings read once from it, the logger and the module-level state.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import socket
import subprocess
import sys
import threading
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

from infra.lambda_events import LocalLambdaContext
from infra.template_resources import REPO_ROOT

REGION = "us-east-1"


class FunctionError(Exception):
    """The handler raised (the invocation failed, as a Lambda function error): the child's traceback as text."""


@dataclass(frozen=True)
class FunctionSpec:
    """What template.yaml says about running a function (Globals applied)."""

    name: str  # the local function name, e.g. whosaid-local-ApiFunction
    handler_path: Path  # functions/api/api_handler.py
    handler_attribute: str  # lambda_handler
    memory_mb: int
    timeout_seconds: float


def function_spec(template: Mapping[str, Any], function_id: str, *, prefix: str) -> FunctionSpec:
    defaults = (template.get("Globals") or {}).get("Function") or {}
    props = ((template.get("Resources") or {}).get(function_id) or {}).get("Properties") or {}
    settings = {**defaults, **props}
    module, _, attribute = str(settings["Handler"]).rpartition(".")
    return FunctionSpec(
        name=f"{prefix}-{function_id}",
        handler_path=REPO_ROOT / str(settings["CodeUri"]) / f"{module}.py",
        handler_attribute=attribute,
        memory_mb=int(settings.get("MemorySize", 128)),
        timeout_seconds=float(settings.get("Timeout", 3)),
    )


class FunctionProcess:
    """The parent's handle on one function's child process.

    The lock is Lambda's one-invocation-per-environment rule: requests arriving together wait their turn rather
    than interleave on the pipe (the child answers one event at a time anyway).
    """

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
        if not spec.handler_path.is_file():
            raise SystemExit(f"the handler {spec.handler_path} does not exist (template.yaml names it)")
        self.spec = spec
        self.environment = dict(environment)
        self._lock = threading.Lock()
        self._start()  # the handler imported now: a broken handler fails `make run` at start, not per request

    def _start(self) -> None:
        parent_end, child_end = socket.socketpair()
        command = [
            sys.executable,
            "-m",
            "infra.local.functions",
            "--fd",
            str(child_end.fileno()),
            "--name",
            self.spec.name,
            "--memory",
            str(self.spec.memory_mb),
            "--timeout",
            str(self.spec.timeout_seconds),
            str(self.spec.handler_path),
            self.spec.handler_attribute,
        ]
        # env is exactly what the caller built: nothing of the parent's environment leaks in beyond it.
        self.process = subprocess.Popen(command, env=self.environment, cwd=REPO_ROOT, pass_fds=[child_end.fileno()])
        child_end.close()
        self._connection = Connection(parent_end.detach())
        ready = self._receive()
        if ready[0] != "ready":
            self.process.wait(timeout=10)
            raise SystemExit(f"{self.spec.name} failed to start:\n{ready[1]}")

    def _receive(self) -> tuple[str, Any]:
        try:
            message: tuple[str, Any] = self._connection.recv()
        except (EOFError, OSError):
            # Reaped, so the next invoke sees it gone (its end of the socket closes just before it exits).
            code = self.process.wait(timeout=10)
            raise FunctionError(f"{self.spec.name}: the function's process exited ({code})") from None
        return message

    def invoke(self, event: dict[str, Any]) -> Any:
        """The handler's result; FunctionError when it raised, timed out or its process died."""
        with self._lock:
            if self.process.poll() is not None:  # a crashed environment is replaced, as Lambda does (a cold start)
                self._connection.close()
                self._start()
            self._connection.send(event)
            # Lambda ends an invocation at the function's Timeout, and its environment with it.
            if not self._connection.poll(self.spec.timeout_seconds + 1):
                self.process.kill()
                self.process.wait(timeout=10)
                raise FunctionError(f"{self.spec.name}: timed out after {self.spec.timeout_seconds:g} s")
            kind, value = self._receive()
        if kind == "error":
            raise FunctionError(value)
        return value

    def stop(self) -> None:
        self._connection.close()  # the child's recv sees EOF and exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# --- the child ------------------------------------------------------------------------------------------------------


def load_handler(path: Path, attribute: str) -> Any:
    """Import a handler by file path, its folder first on sys.path as in Lambda (functions/ is not a package)."""
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module: ModuleType = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return getattr(module, attribute)


def serve(connection: Connection, handler: Any, *, name: str, memory_mb: int, timeout_seconds: float) -> None:
    """Answer events until the parent closes its end: ("result", value) or ("error", traceback text)."""
    connection.send(("ready", None))
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            return
        context = LocalLambdaContext(
            function_name=name, memory_limit_in_mb=memory_mb, timeout_seconds=timeout_seconds, region=REGION
        )
        try:
            reply: tuple[str, Any] = ("result", handler(event, context))
        except Exception:
            text = traceback.format_exc()
            sys.stderr.write(text)  # in the function's log, as Lambda logs an unhandled error
            reply = ("error", text)
        connection.send(reply)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--memory", type=int, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("path", type=Path)
    parser.add_argument("attribute")
    args = parser.parse_args(argv)
    connection = Connection(args.fd)
    # Metrics are off locally (POWERTOOLS_METRICS_DISABLED); powertools still warns after every invocation.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # Ctrl-C reaches the whole process group: the parent stops the children (closing the pipe) in its own order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        handler = load_handler(args.path, args.attribute)
    except BaseException:
        connection.send(("error", traceback.format_exc()))
        raise
    serve(connection, handler, name=args.name, memory_mb=args.memory, timeout_seconds=args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["FunctionError", "FunctionProcess", "FunctionSpec", "function_spec", "load_handler"]
