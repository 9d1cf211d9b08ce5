"""The viewer asks for the credential the deployment's AuthMode wants, as its OpenAPI document says: a Cognito ID
token sent as the whole Authorization header (JWT), or nothing it could send (IAM's SigV4). API Gateway itself is
stood in for by a small server: the page's files, the real document of that AuthMode, and a guarded /articles."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.browser.test_viewer import _heading, _open, _wait
from whosaid.api.openapi import security_schemes
from whosaid.api.viewer import static_files

UNKNOWN_ROUTE = '{"error": {"code": "MISSING_AUTHENTICATION_TOKEN", "message": "Missing Authentication Token"}}'
ID_TOKEN = "eyJraWQiOiJ0ZXN0In0.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl"  # a made-up token: the stand-in compares it


class _Gateway(BaseHTTPRequestHandler):
    auth_mode = "JWT"
    seen: ClassVar[list[dict[str, str]]] = []

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: str, content_type: str = "application/json") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/ui" or path.startswith("/ui/"):
            found = static_files()["index.html" if path == "/ui" else path.removeprefix("/ui/")]
            self._send(200, found.body, found.content_type)
        elif path == "/openapi.json":
            schemes = security_schemes(self.auth_mode)  # type: ignore[arg-type]
            document = {
                "components": {
                    "securitySchemes": {
                        k: v.model_dump(mode="json", by_alias=True, exclude_none=True) for k, v in schemes.items()
                    }
                }
            }
            self._send(200, json.dumps(document))
        elif path == "/articles":
            type(self).seen.append(dict(self.headers.items()))
            if self.auth_mode == "IAM":  # unsigned: API Gateway's answer
                self._send(
                    403,
                    '{"error": {"code": "MISSING_AUTHENTICATION_TOKEN", "message": "Missing Authentication Token"}}',
                )
            elif self.headers.get("Authorization") == ID_TOKEN:
                self._send(200, '{"articles": [], "next_token": null}')
            else:
                self._send(401, '{"error": {"code": "UNAUTHORIZED", "message": "Unauthorized"}}')
        else:
            self._send(
                403, '{"error": {"code": "MISSING_AUTHENTICATION_TOKEN", "message": "Missing Authentication Token"}}'
            )


@pytest.fixture
def gateway(request: pytest.FixtureRequest) -> Iterator[tuple[str, type[_Gateway]]]:
    handler = type("Gateway", (_Gateway,), {"auth_mode": request.param, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("gateway", ["JWT"], indirect=True)
def test_with_jwt_the_page_asks_for_an_id_token_and_sends_it_as_authorization(
    browser: Any, gateway: tuple[str, type[_Gateway]]
) -> None:
    url, handler = gateway
    _open(browser, f"{url}/ui#/articles")
    field = _wait(browser, lambda b: b.find_elements("id", "api-key"), "the token field")[0]
    assert browser.find_element("css selector", "label[for=api-key]").text == "ID token"
    assert "Authorization header" in browser.find_element("css selector", ".app-key p").text
    field.send_keys(ID_TOKEN + "\n")
    _wait(browser, lambda b: _heading(b) == "Articles", "the articles list")
    last = {name.lower(): value for name, value in handler.seen[-1].items()}
    assert last["authorization"] == ID_TOKEN and "x-api-key" not in last
    browser.execute_script("localStorage.clear()")


@pytest.mark.parametrize("gateway", ["IAM"], indirect=True)
def test_with_iam_the_page_says_it_cannot_sign_instead_of_asking_for_a_key(
    browser: Any, gateway: tuple[str, type[_Gateway]]
) -> None:
    url, _ = gateway
    _open(browser, f"{url}/ui#/articles")
    _wait(browser, lambda b: _heading(b) == "Signed requests only", "the explanation")
    assert "Signature Version 4" in browser.find_element("id", "view").text
    assert not browser.find_elements("id", "api-key")
