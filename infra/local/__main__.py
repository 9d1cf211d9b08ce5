"""`make run` (`python -m infra.local`): start the backends, the resources, a process per function, the queue
worker and the API server; print how to use them; stop everything on Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import FrameType

from infra.lambda_events import api_routes
from infra.local.api import check_port_free, make_api_server
from infra.local.aws import PREFIX, Backends, create_resources, function_environment, say, start_backends
from infra.local.functions import FunctionProcess, function_spec
from infra.local.worker import QueueWorker, sqs_batch_size
from infra.template_resources import CreatedStack, load_template

API_FUNCTION = "ApiFunction"
INGEST_FUNCTION = "IngestFunction"
INGEST_QUEUE = "IngestQueue"
SEED_ARTICLE = Path(__file__).resolve().parents[2] / "events" / "seed-article.txt"


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from None


def describe_extractor(environment: Mapping[str, str]) -> str:
    """The extractor the API function will use, from its environment (its settings, read as it reads them)."""
    from whosaid.config import Settings

    settings = Settings(**environment)  # type: ignore[arg-type]  # by alias: the variables' names
    if settings.effective_extractor == "rules":
        return "rules (offline; set OPENAI_API_KEY or OPENAI_BASE_URL for the LLM)"
    return f"llm ({settings.model} at {settings.openai_base_url or 'api.openai.com'})"


def should_seed(environment: Mapping[str, str], extractor: str) -> bool:
    """WHOSAID_LOCAL_SEED (1 or 0); unset: seed with the rules extractor only (the LLM's tokens are not free)."""
    value = environment.get("WHOSAID_LOCAL_SEED", "").strip()
    if value not in ("", "0", "1"):
        raise SystemExit(f"WHOSAID_LOCAL_SEED must be 1 or 0, got {value!r}")
    return value == "1" if value else extractor.startswith("rules")


def post_seed_article(api_url: str, api_key: str | None) -> str:
    """POST events/seed-article.txt through the local API, as a client would: its article id (once stored, the same
    text is answered from the table, so a restart does not extract it again)."""
    body = json.dumps({"text": SEED_ARTICLE.read_text(encoding="utf-8"), "title": "No breakthroughs"}).encode()
    headers = {"Content-Type": "application/json", **({"x-api-key": api_key} if api_key else {})}
    request = urllib.request.Request(f"{api_url}/articles", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return str(json.loads(response.read())["article"]["article_id"])
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        raise RuntimeError(f"the seed article could not be posted: {exc}") from exc


def print_banner(
    api_url: str,
    backends: Backends,
    stack: CreatedStack,
    extractor: str,
    *,
    api_key_required: bool = False,
    seed_article_id: str | None = None,
) -> None:
    # The key itself is never printed: the examples read it from the variable.
    key_header = ' -H "x-api-key: $WHOSAID_LOCAL_API_KEY"' if api_key_required else ""
    auth = "x-api-key = $WHOSAID_LOCAL_API_KEY (all but /docs, /openapi.json and /ui)" if api_key_required else "none"
    bucket = stack.resources["ArticlesBucket"].ref if "ArticlesBucket" in stack.resources else "<bucket>"
    moto = backends.moto_endpoint
    seed = "events/seed-article.txt"
    seeded = f"   (the seed article: {api_url}/ui#/articles/{seed_article_id})" if seed_article_id else ""
    env = "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1"
    say(
        f"""
  API            {api_url}   (docs: {api_url}/docs, spec: {api_url}/openapi.json)
  claim viewer   {api_url}/ui{seeded}
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


def main() -> int:
    started = time.perf_counter()
    user_environment = dict(os.environ)
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

    check_port_free(host, port)  # before the slow part, so a busy port fails at once
    say("starting the whosaid local stack (no Docker, no AWS account)")
    backends = start_backends()
    functions: list[FunctionProcess] = []
    api_server: ThreadingHTTPServer | None = None
    worker: QueueWorker | None = None
    try:
        stack = create_resources(backends, template, user_environment)

        def start(function_id: str) -> FunctionProcess:
            environment = function_environment(user_environment, backends, stack, function_id)
            process = FunctionProcess(function_spec(template, function_id, prefix=PREFIX), environment)
            functions.append(process)
            return process

        api = start(API_FUNCTION)
        ingest = start(INGEST_FUNCTION)
        queue = stack.resources[INGEST_QUEUE]
        worker = QueueWorker(
            invoke=ingest.invoke,
            sqs=backends.client("sqs"),
            queue_url=queue.ref,
            queue_arn=queue.attributes["Arn"],
            batch_size=sqs_batch_size(template, INGEST_FUNCTION, INGEST_QUEUE),
            retry_seconds=retry_seconds,
            stop=stop,
        )
        worker.start()

        routes = api_routes(template, API_FUNCTION, stack.conditions)
        try:
            api_server = make_api_server(host, port, api.invoke, routes, api_key=api_key)
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT to another port") from exc
        threading.Thread(target=api_server.serve_forever, name="api-server", daemon=True).start()

        api_url = f"http://{host}:{port}"
        extractor = describe_extractor(api.environment)
        seed_article_id = None
        if should_seed(user_environment, extractor):
            try:
                seed_article_id = post_seed_article(api_url, api_key)
            except RuntimeError as exc:  # the stack still serves: say why the viewer starts empty
                say(str(exc))
        print_banner(
            api_url, backends, stack, extractor, api_key_required=api_key is not None, seed_article_id=seed_article_id
        )
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
        for function in functions:
            function.stop()
        backends.stop()
    say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
