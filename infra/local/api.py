"""API Gateway, locally: an HTTP server that answers what the gateway answers itself and turns every other request
into a REST (v1) proxy event for the API function (like `sam local start-api`).

The gateway answers before the function runs: a path or method the API does not have gets 403
MISSING_AUTHENTICATION_TOKEN, and with WHOSAID_LOCAL_API_KEY set a protected route without that key gets 403
INVALID_API_KEY, both in the template's GatewayResponses shape (DEFAULT_4XX). The function only sees its routes.
"""

from __future__ import annotations

import hmac
import json
import socket
import sys
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from infra.lambda_events import ApiRoute, api_gateway_event, api_gateway_response, match_route

# The template's routes that need no API key (ApiKeyRequired: false); every other request needs one.
PUBLIC_PATHS = frozenset({"/docs", "/openapi.json", "/ui", "/ui/{asset}"})

Invoke = Callable[[dict[str, Any]], Any]
Answer = tuple[int, list[tuple[str, str]], bytes]


def say(message: str) -> None:
    print(message, flush=True)


def _gateway_error(code: str, message: str) -> Answer:
    """API Gateway's own 403, rendered through the template's DEFAULT_4XX response template."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return 403, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "ForbiddenException")], body


def gateway_answer(
    method: str, raw_path: str, routes: list[ApiRoute], *, api_key: str | None = None, sent_key: str | None = None
) -> Answer | None:
    """What API Gateway answers before the function runs, or None to invoke the function."""
    path = unquote(urlsplit(raw_path).path or "/")
    resource, _ = match_route(routes, method, path)
    if not any(route.resource == resource and route.method in (method, "ANY") for route in routes):
        # No such resource and method: the gateway's answer, key or no key (it never reaches an integration).
        return _gateway_error("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
    # A CORS preflight carries no key: its OPTIONS routes are keyless in the template.
    if not api_key or resource in PUBLIC_PATHS or method == "OPTIONS":
        return None
    if sent_key is not None and hmac.compare_digest(sent_key.encode(), api_key.encode()):
        return None
    return _gateway_error("INVALID_API_KEY", "Forbidden")


def make_api_server(
    host: str, port: int, invoke: Invoke, routes: list[ApiRoute], *, api_key: str | None = None
) -> ThreadingHTTPServer:
    """The server, not yet serving: `invoke` runs the API function on one event and returns its proxy result."""

    class ApiGatewayHandler(BaseHTTPRequestHandler):
        """One HTTP request -> the gateway's own answer, or a REST proxy event -> the function -> its response."""

        protocol_version = "HTTP/1.1"
        server_version = "whosaid-local"

        def _proxy(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            answer = gateway_answer(
                self.command, self.path, routes, api_key=api_key, sent_key=self.headers.get("x-api-key")
            )
            if answer is None:
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
                    answer = api_gateway_response(invoke(event))
                except Exception:  # what API Gateway answers when the integration fails
                    traceback.print_exc()
                    answer = (502, [("Content-Type", "application/json")], b'{"message": "Internal server error"}')
            self._send(*answer, started)

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
            # Any other method (TRACE, PROPFIND, ...) gets the gateway's answer too; without this http.server would
            # answer 501 with an HTML page.
            if name.startswith("do_"):
                return self._proxy
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # _send prints one line per request

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


def check_port_free(host: str, port: int) -> None:
    """Fail fast if another process listens on the port. With SO_REUSEADDR like the server itself: without it the
    check failed for about a minute after a restart, while the last run's connections were in TIME_WAIT."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT to another port") from exc
