"""A local OpenAI-compatible server: POST /v1/chat/completions with scripted behaviours, for the tests, the
noisy-model grounding evaluation (infra/grounding_eval.py) and the LLM benchmarks (infra/bench.py).

Callers queue behaviours (a JSON answer, an HTTP error with Retry-After, malformed or schema-invalid content, a
refusal, a truncated answer, a slow or trickling answer, any raw body) or install a responder that picks one from
the request; the server records every request it receives so callers can check what the real `openai` SDK sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Behaviour:
    """One scripted answer. `content` is sent as the message content (a dict/list is JSON-encoded)."""

    status: int = 200
    content: Any = None
    refusal: str | None = None
    finish_reason: str = "stop"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    usage: Any = field(default_factory=lambda: {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120})
    error_body: dict[str, Any] | None = None
    body: bytes | None = None  # sent as is instead of a completion (not JSON, JSON of another shape, huge ...)
    trickle: float = 0.0  # seconds between the body's bytes, after the headers


def ok(claims: list[dict[str, Any]] | None = None, **kwargs: Any) -> Behaviour:
    """A successful structured answer with these model claims."""
    return Behaviour(content={"claims": claims or []}, **kwargs)


def status(code: int, **kwargs: Any) -> Behaviour:
    """An HTTP error; retried ones carry retry-after-ms so the SDK's backoff stays a few milliseconds."""
    headers = {"retry-after-ms": "5"} if code == 429 or code >= 500 else {}
    headers.update(kwargs.pop("headers", {}))
    return Behaviour(status=code, headers=headers, **kwargs)


def model_claim(
    content: str,
    speaker: str = "Hazem Qassem",
    *,
    speaker_type: str = "person",
    speaker_role: str | None = None,
    speaker_mention: str | None = None,
    cue: str = "said",
    quote_type: str = "indirect",
    stance: str = "asserts",
) -> dict[str, Any]:
    """A claim in the model's output schema."""
    return {
        "speaker": speaker,
        "speaker_type": speaker_type,
        "speaker_role": speaker_role,
        "speaker_mention": speaker_mention if speaker_mention is not None else speaker,
        "cue": cue,
        "content": content,
        "quote_type": quote_type,
        "stance": stance,
    }


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    def message(self, role: str) -> str:
        return next(m["content"] for m in self.body["messages"] if m["role"] == role)


class FakeOpenAI:
    """Start with `start()`; `base_url` is what OPENAI_BASE_URL should be."""

    def __init__(self) -> None:
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.responder: Callable[[Recorded], Behaviour] | None = None
        self.default = ok([])
        self.in_flight = 0
        self.max_in_flight = 0
        self._server: ThreadingHTTPServer | None = None

    # --- scripting ------------------------------------------------------------------------------------------------
    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.responder = None
            self.default = ok([])
            self.in_flight = self.max_in_flight = 0

    def _next(self, recorded: Recorded) -> Behaviour:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(recorded)
        return self.default

    # --- server ---------------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's address; typeshed also allows bytes (AF_UNIX)
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                recorded = Recorded(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}")
                )
                with fake._lock:
                    fake.requests.append(recorded)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if self.path.rstrip("/") != "/v1/chat/completions":
                        self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}}, {})
                        return
                    behaviour = fake._next(recorded)
                    if behaviour.delay:
                        time.sleep(behaviour.delay)
                    if behaviour.status != 200:
                        body = behaviour.error_body or {
                            "error": {"message": f"scripted {behaviour.status}", "type": "server_error", "code": None}
                        }
                        self._send(behaviour.status, body, behaviour.headers)
                        return
                    if behaviour.body is not None:
                        self._send_bytes(200, behaviour.body, behaviour.headers, behaviour.trickle)
                        return
                    self._send(200, fake._completion(recorded, behaviour), behaviour.headers, behaviour.trickle)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _send(self, code: int, body: dict[str, Any], headers: dict[str, str], trickle: float = 0.0) -> None:
                self._send_bytes(code, json.dumps(body).encode(), headers, trickle)

            def _send_bytes(self, code: int, data: bytes, headers: dict[str, str], trickle: float = 0.0) -> None:
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if not trickle:
                    self.wfile.write(data)
                    return
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(trickle)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @staticmethod
    def _completion(recorded: Recorded, behaviour: Behaviour) -> dict[str, Any]:
        content = behaviour.content
        if content is not None and not isinstance(content, str):
            content = json.dumps(content)
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": recorded.body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": behaviour.refusal},
                    "finish_reason": behaviour.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": behaviour.usage,
        }
