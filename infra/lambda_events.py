"""What AWS hands a Lambda function, rebuilt locally: API Gateway REST (v1) proxy events, SQS batches, the context.

The shapes follow what API Gateway and the SQS event source mapping send (see events/ for real samples), so the
handlers run locally exactly as deployed.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

ACCOUNT_ID = "123456789012"


@dataclass
class LocalLambdaContext:
    """The attributes and method of the Lambda context object that handlers and powertools read."""

    function_name: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 30.0
    region: str = "us-east-1"
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.invoked_function_arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


# --- API Gateway --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRoute:
    method: str  # GET, POST, ... or ANY
    resource: str  # /articles/{article_id}

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{([^}+]+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.resource))  # {proxy+}
        regex = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")


def api_routes(
    template: Mapping[str, Any], function_id: str, conditions: Mapping[str, bool] | None = None
) -> list[ApiRoute]:
    """The function's `Type: Api` events in template.yaml (SAM's Path and Method). An event under `Fn::If` (the CORS
    preflights) is the branch its condition picks in `conditions`, and left out without them."""
    function = (template.get("Resources") or {}).get(function_id) or {}
    routes = []
    for event in ((function.get("Properties") or {}).get("Events") or {}).values():
        if "Fn::If" in event:
            condition, if_true, if_false = event["Fn::If"]
            if conditions is None or condition not in conditions:
                continue
            event = if_true if conditions[condition] else if_false  # {"Ref": "AWS::NoValue"}: no event
        if event.get("Type") == "Api":
            props = event.get("Properties") or {}
            routes.append(ApiRoute(method=str(props.get("Method", "ANY")).upper(), resource=str(props["Path"])))
    # Static paths before parameterised ones, as API Gateway prefers the most specific resource.
    return sorted(routes, key=lambda route: (route.resource.count("{"), -len(route.resource)))


def match_route(routes: Iterable[ApiRoute], method: str, path: str) -> tuple[str, dict[str, str] | None]:
    """(resource, decoded pathParameters) of the route API Gateway would pick; unknown routes keep the path."""
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        found = route.pattern.match(path)
        if found:
            params = {name: unquote(value) for name, value in found.groupdict().items()}
            return route.resource, params or None
    return path, None


def api_gateway_event(
    *,
    method: str,
    raw_path: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    routes: Iterable[ApiRoute] = (),
    stage: str = "local",
    source_ip: str = "127.0.0.1",
    host: str = "127.0.0.1:3000",
    stage_in_path: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event: `path` stays percent-encoded, pathParameters are decoded, as in AWS.

    `stage_in_path`: requestContext.path starts with /<stage>, as on the execute-api host (False: as under a custom
    domain's root, or the local stack)."""
    url = urlsplit(raw_path)
    path = url.path or "/"
    resource, path_parameters = match_route(routes, method, unquote(path))

    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    header_lists: dict[str, list[str]] = {}
    for name, value in headers:
        header_lists.setdefault(name, []).append(value)

    is_base64 = False
    text_body: str | None = None
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:  # binary: API Gateway base64-encodes what it cannot pass as text
            text_body, is_base64 = base64.b64encode(body).decode("ascii"), True

    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    user_agent = next((v[-1] for k, v in header_lists.items() if k.lower() == "user-agent"), None)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in header_lists.items()} or None,
        "multiValueHeaders": header_lists or None,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": user_agent,
                "accountId": None,
                "apiKey": None,
                "apiKeyId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "user": None,
                "userArn": None,
            },
            "path": f"/{stage}{path}" if stage_in_path else path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": "local",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def api_gateway_response(result: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body bytes) from a proxy integration result, as API Gateway turns it into HTTP."""
    status = int(result.get("statusCode", 200))
    headers: dict[str, list[str]] = {}
    for name, value in (result.get("headers") or {}).items():
        headers[name] = [str(value)]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = [str(value) for value in values]  # API Gateway: multiValueHeaders win over headers
    body = result.get("body") or ""
    payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return status, [(name, value) for name, values in headers.items() for value in values], payload


# --- SQS ----------------------------------------------------------------------------------------------------------


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """SQS API shape (StringValue, DataType) to the Lambda event's (stringValue, dataType)."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if value.get("BinaryValue") else None,
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType", "String"),
    }


def sqs_event(messages: Iterable[Mapping[str, Any]], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping delivers for a batch of received messages."""
    records = []
    for message in messages:
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes") or {}),
                "messageAttributes": {
                    name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": message.get("MD5OfBody"),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


def failed_message_ids(result: Any) -> set[str]:
    """Message ids a handler reported in batchItemFailures (partial batch response)."""
    if not isinstance(result, Mapping):
        return set()
    return {str(item.get("itemIdentifier")) for item in result.get("batchItemFailures") or []}
