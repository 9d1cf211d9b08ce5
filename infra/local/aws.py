"""The AWS side of the local stack: a moto server (S3, SQS and anything else), DynamoDB Local or moto for DynamoDB,
the template's resources in them, and the environment a function process gets to reach them."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra import dynamodb_local
from infra.template_resources import REPO_ROOT, CreatedStack, create_stack

REGION = "us-east-1"
PREFIX = "whosaid-local"
LOG_DIR = REPO_ROOT / ".local-stack"
# Never the user's real AWS identity or endpoints in a function process: a local run must not reach an account.
_SCRUBBED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def say(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    """A port the kernel has free now (for moto and DynamoDB Local, new each run, so never one a previous run left
    in TIME_WAIT; both bind it with SO_REUSEADDR anyway: werkzeug's server and Jetty set it by default)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Backends:
    moto_server: Any
    moto_endpoint: str
    dynamodb_endpoint: str
    dynamodb_label: str
    dynamodb_local: dynamodb_local.DynamoDBLocal | None

    def client(self, service: str) -> Any:
        """A boto3 client of the parent process on the local servers, with dummy credentials."""
        import boto3

        endpoint = self.dynamodb_endpoint if service == "dynamodb" else self.moto_endpoint
        return boto3.client(  # type: ignore[call-overload]  # the service is a runtime name, not one literal
            service,
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def stop(self) -> None:
        if self.dynamodb_local is not None:
            self.dynamodb_local.stop()
        with contextlib.suppress(Exception):
            self.moto_server.stop()


def start_backends() -> Backends:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
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
        label = f"DynamoDB Local {server.version} (Java, in memory; log: {relative(server.log_path)})"
        return Backends(moto_server, moto_endpoint, server.endpoint, label, server)
    except BaseException:
        moto_server.stop()
        raise


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def create_resources(
    backends: Backends, template: Mapping[str, Any], user_environment: Mapping[str, str]
) -> CreatedStack:
    return create_stack(
        dynamodb=backends.client("dynamodb"),
        s3=backends.client("s3"),
        sqs=backends.client("sqs"),
        template=template,
        prefix=PREFIX,
        parameters=parameters_from_environment(template, user_environment),
    )


def function_environment(
    user_environment: Mapping[str, str], backends: Backends, stack: CreatedStack, function_id: str
) -> dict[str, str]:
    """A function process's environment: the user's shell (PATH, OPENAI_API_KEY, overrides) without AWS identity or
    endpoints, the local AWS servers, then the function's own template environment (Globals and its Variables):
    resource names always, parameter values unless the user set the variable (that is how `make run` is tuned)."""
    environment = {
        name: value
        for name, value in user_environment.items()
        if not name.startswith("AWS_ENDPOINT_URL") and name not in _SCRUBBED
    }
    environment.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # The catch-all keeps anything else (SSM, Secrets Manager) on moto too; then one endpoint per service.
            "AWS_ENDPOINT_URL": backends.moto_endpoint,
            "AWS_ENDPOINT_URL_DYNAMODB": backends.dynamodb_endpoint,
            "AWS_ENDPOINT_URL_S3": backends.moto_endpoint,
            "AWS_ENDPOINT_URL_SQS": backends.moto_endpoint,
        }
    )
    # Local defaults the user may override: no X-Ray daemon here, no metrics JSON after every request.
    environment.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    environment.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    resource_values = {r.ref for r in stack.resources.values()} | {
        value for r in stack.resources.values() for value in r.attributes.values()
    }
    for name, value in stack.function_environments[function_id].items():
        if value in resource_values or name not in user_environment:
            environment[name] = value
    return environment


def parameters_from_environment(template: Mapping[str, Any], user_environment: Mapping[str, str]) -> dict[str, str]:
    """Template parameters the user set through the variable that is their plain !Ref (WHOSAID_CORS_ALLOWED_ORIGINS
    sets CorsAllowedOrigins): so conditions on them (HasCorsOrigins, and with it the preflight routes) follow."""
    declared = template.get("Parameters") or {}
    sources = [((template.get("Globals") or {}).get("Function") or {}).get("Environment")]
    sources += [
        (spec.get("Properties") or {}).get("Environment")
        for spec in (template.get("Resources") or {}).values()
        if spec.get("Type") == "AWS::Serverless::Function"
    ]
    parameters: dict[str, str] = {}
    for environment in sources:
        for name, value in ((environment or {}).get("Variables") or {}).items():
            if isinstance(value, dict) and value.get("Ref") in declared and name in user_environment:
                parameters[value["Ref"]] = user_environment[name]
    return parameters
