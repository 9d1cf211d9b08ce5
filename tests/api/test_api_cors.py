"""CORS on the API function (WHOSAID_CORS_ALLOWED_ORIGINS -> powertools CORSConfig), default off.

The resolver reads the setting once, at import, so each case imports the API in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = """
import json, sys
from tests.support.service_support import api_event
from whosaid.api import app

results = []
for method, path, origin in json.loads(sys.argv[1]):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"} if origin else {}
    response = app.resolve(api_event(method, path, headers=headers), {})
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), ",".join(values))
    results.append({"status": response["statusCode"], "headers": headers})
print(json.dumps(results))
"""
A, B, EVIL = "https://app.example.com", "https://admin.example.com", "https://evil.example.net"


def _requests(origins: str | None, *requests: tuple[str, str, str | None]) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "WHOSAID_CORS_ALLOWED_ORIGINS"}
    env.update({"POWERTOOLS_TRACE_DISABLED": "1", "AWS_DEFAULT_REGION": "us-east-1"})
    if origins is not None:
        env["WHOSAID_CORS_ALLOWED_ORIGINS"] = origins
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(requests)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_no_origins_no_cors_headers_and_preflight_refused() -> None:
    preflight, document = _requests(None, ("OPTIONS", "/articles", A), ("GET", "/openapi.json", A))
    # Not a 2xx, so the browser refuses the cross-origin request: deployed, the gateway has no OPTIONS method and
    # answers 403 itself; the function's fallback for a route it does not have says the same.
    assert preflight["status"] == 403
    assert "access-control-allow-origin" not in preflight["headers"]
    assert document["status"] == 200
    assert not any(name.startswith("access-control-") for name in document["headers"])


@pytest.mark.parametrize("path", ["/articles", "/articles/0123456789abcdef0123/claims", "/speakers"])
def test_listed_origins_get_a_preflight_and_readable_responses(path: str) -> None:
    first, second, evil, document = _requests(
        f"{A},{B}", ("OPTIONS", path, A), ("OPTIONS", path, B), ("OPTIONS", path, EVIL), ("GET", "/openapi.json", B)
    )
    for response, origin in ((first, A), (second, B)):
        assert response["status"] == 204
        assert response["headers"]["access-control-allow-origin"] == origin
        assert "x-api-key" in response["headers"]["access-control-allow-headers"].lower()
        assert "authorization" in response["headers"]["access-control-allow-headers"].lower()
        assert "GET" in response["headers"]["access-control-allow-methods"]
    # An origin not in the list gets no Access-Control-Allow-Origin: the browser blocks it.
    assert "access-control-allow-origin" not in evil["headers"]
    assert document["headers"]["access-control-allow-origin"] == B
    assert {"Location", "Retry-After"} <= set(document["headers"]["access-control-expose-headers"].split(","))
