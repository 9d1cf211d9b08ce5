"""The OpenAPI document as a client generator needs it, built per request from powertools' own document.

What depends on the deployment, not on the routes, is added here: the server URL the request came in under (the
API Gateway stage), the security scheme of the template's AuthMode (WHOSAID_AUTH_MODE) and the answers API Gateway
gives before the function runs (401/403/429, in the template's GatewayResponses shape). Swagger UI (/docs) embeds
the same document, so it calls the same URLs.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

# powertools' OpenAPI models are imported only when a document is built: at import they cost the API function's cold
# start about 0.4 s (tens of percent of its import), for a document few requests ask for.
if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, SecurityScheme
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

AuthMode = Literal["API_KEY", "IAM", "JWT"]
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


def base_path(event: APIGatewayProxyEvent) -> str:
    """The prefix API Gateway strips before routing, e.g. /Prod for the stage of an execute-api URL: the part of
    requestContext.path in front of the routed path ('' under a custom domain's root or the local stack)."""
    path = event.path
    full_path = (event.request_context.path or path) if event.request_context else path
    return full_path[: -len(path)] if path and full_path.endswith(path) else ""


def server_url(event: APIGatewayProxyEvent) -> str:
    """The base URL of the API as this request reached it. Absolute when the request says its scheme and host
    (API Gateway sets X-Forwarded-Proto and the domain name), else relative to the document: '/' locally."""
    prefix = base_path(event)
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}
    scheme = headers.get("x-forwarded-proto", "").strip().lower()
    host = (event.request_context.domain_name if event.request_context else None) or headers.get("host")
    if scheme in ("http", "https") and host:
        return f"{scheme}://{host}{prefix}"
    return prefix or "/"


# --- security: what the template's AuthMode makes API Gateway ask for --------------------------------------------


def _header_key(name: str, description: str, extensions: dict[str, Any] | None = None) -> APIKey:
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    # By alias ("in"): the field is in_ in Python, which type checkers do not accept as a keyword.
    return APIKey.model_validate(
        {"in": APIKeyIn.header, "name": name, "description": description, "openapi_extensions": extensions}
    )


@lru_cache(maxsize=3)
def security_schemes(auth_mode: AuthMode) -> dict[str, SecurityScheme]:
    """The one scheme API Gateway asks for under the template's AuthMode."""
    if auth_mode == "API_KEY":
        return {
            "api_key": _header_key(
                "x-api-key",
                "The deployment's API key (the ApiKeyId stack output: aws apigateway get-api-key --include-value "
                "--api-key <id>).",
            )
        }
    if auth_mode == "IAM":
        return {
            "sigv4": _header_key(
                "Authorization",
                "AWS Signature Version 4 (service execute-api) by a principal allowed execute-api:Invoke; sign with "
                "an AWS SDK or e.g. awscurl.",
                # How API Gateway itself marks SigV4 in an OpenAPI definition.
                {"x-amazon-apigateway-authtype": "awsSigv4"},
            )
        }
    # A REST API's Cognito authorizer reads the token as the whole Authorization value (AWS documents no "Bearer "
    # prefix), so the scheme is a header carrying it rather than http bearer, which generators send as "Bearer x".
    return {
        "jwt": _header_key(
            "Authorization",
            "An ID token of the deployment's Cognito user pool (the UserPoolId and UserPoolClientId stack outputs, "
            "or JwtUserPoolArn's pool), as the whole header value.",
            {"x-amazon-apigateway-authtype": "cognito_user_pools"},
        )
    }


# --- API Gateway's own answers, in the template's GatewayResponses shape --------------------------------------------


def _gateway(code: str, message: str, summary: str) -> dict[str, Any]:
    # $context.error.responseType and messageString, as the DEFAULT_4XX template renders them.
    return {"summary": summary, "value": {"error": {"code": code, "message": message}}}


def gateway_responses(auth_mode: AuthMode) -> dict[str, dict[str, Any]]:
    """The 401/403/429 API Gateway answers on every protected operation, before the function runs."""
    unknown = _gateway(
        "MISSING_AUTHENTICATION_TOKEN",
        "Missing Authentication Token",
        "A path or method the API does not have" + (", or a request that is not signed" if auth_mode == "IAM" else ""),
    )
    forbidden: dict[str, dict[str, Any]] = {"MISSING_AUTHENTICATION_TOKEN": unknown}
    if auth_mode == "API_KEY":
        forbidden["INVALID_API_KEY"] = _gateway("INVALID_API_KEY", "Forbidden", "No x-api-key header, or a wrong key")
    elif auth_mode == "IAM":
        forbidden["INVALID_SIGNATURE"] = _gateway(
            "INVALID_SIGNATURE",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.",
            "A wrong signature",
        )
        forbidden["ACCESS_DENIED"] = _gateway(
            "ACCESS_DENIED",
            "User: arn:aws:iam::123456789012:user/reader is not authorized to perform: execute-api:Invoke on "
            "resource: arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/Prod/GET/articles",
            "A principal without execute-api:Invoke on this route",
        )
    throttled = {"THROTTLED": _gateway("THROTTLED", "Too Many Requests", "Over the stage's rate or burst limit")}
    if auth_mode == "API_KEY":
        throttled["QUOTA_EXCEEDED"] = _gateway("QUOTA_EXCEEDED", "Limit Exceeded", "Over the usage plan's quota")
    responses = {
        "403": {
            "description": "From API Gateway: "
            + {
                "API_KEY": "a missing or wrong API key (INVALID_API_KEY), or ",
                "IAM": "a missing, wrong or unauthorized SigV4 signature, or ",
                "JWT": "",  # a missing or bad token is the 401
            }[auth_mode]
            + "a path or method the API does not have (MISSING_AUTHENTICATION_TOKEN).",
            "content": {"application/json": {"schema": ERROR_SCHEMA, "examples": forbidden}},
        },
        "429": {
            "description": "From API Gateway: too many requests"
            + (" (the usage plan's rate or daily quota)" if auth_mode == "API_KEY" else "")
            + "; retry later with backoff.",
            "content": {"application/json": {"schema": ERROR_SCHEMA, "examples": throttled}},
        },
    }
    if auth_mode == "JWT":
        responses["401"] = {
            "description": "From API Gateway: no bearer token, or one that is expired or not from the issuer.",
            "content": {
                "application/json": {
                    "schema": ERROR_SCHEMA,
                    "examples": {"UNAUTHORIZED": _gateway("UNAUTHORIZED", "Unauthorized", "No or an invalid token")},
                }
            },
        }
    return responses


# --- the document ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)  # a handful of (URL, mode) pairs per deployment; building one takes tens of milliseconds
def openapi_json(resolver: APIGatewayRestResolver, url: str, auth_mode: AuthMode) -> str:
    """powertools' document with the server, the security and the gateway responses of this deployment."""
    from aws_lambda_powertools.event_handler.openapi.compat import model_json
    from aws_lambda_powertools.event_handler.openapi.models import Server

    schemes = security_schemes(auth_mode)
    schema = resolver.get_openapi_schema(
        servers=[Server(url=url)], security_schemes=schemes, security=[{name: []} for name in schemes]
    )
    document = json.loads(model_json(schema, by_alias=True, exclude_none=True))
    gateway = gateway_responses(auth_mode)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in gateway.items():
                operation["responses"].setdefault(status, response)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=1)
def _swagger_assets() -> tuple[str, str]:
    """powertools' bundled Swagger UI (JavaScript, CSS): served inline, so /docs needs no CDN."""
    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    folder = Path(swagger_ui.__file__).parent
    return (
        (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (folder / "swagger-ui.min.css").read_text(encoding="utf-8"),
    )


def swagger_html(document: str) -> str:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    swagger_js, swagger_css = _swagger_assets()
    # '</' escaped so nothing in the document can close the page's <script> element.
    return generate_swagger_html(document.replace("</", "<\\/"), swagger_js, swagger_css, "", None)
