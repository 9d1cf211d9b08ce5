"""The claim viewer's static files (shared/whosaid/ui/), served at GET /ui and GET /ui/{asset}.

Public like /docs (template.yaml): the page holds no data, and asks for the API key itself when the JSON API answers
401 or 403. The files are read from the package once per process (they ship in the wheel and the Lambda layers).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources

from aws_lambda_powertools.event_handler import Response

from whosaid.api.app import app
from whosaid.api.errors import coded_response
from whosaid.api.openapi import base_path

INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    # A module script is refused by the browser unless its type is JavaScript.
    ".js": "text/javascript; charset=utf-8",
}
# The page loads nothing but its own files and talks only to its own API: a text that slipped into the DOM as HTML
# still could not run a script or load anything.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Revalidated on every load (the names carry no version), answered 304 by ETag when unchanged.
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class StaticFile:
    body: str
    content_type: str
    etag: str


@cache
def static_files() -> dict[str, StaticFile]:
    """The viewer's files by name, read once per process: a request can only pick one of them."""
    files = {}
    for path in (resources.files("whosaid") / "ui").iterdir():
        suffix = os.path.splitext(path.name)[1]
        if path.is_file() and suffix in CONTENT_TYPES:
            body = path.read_text(encoding="utf-8")
            etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:20] + '"'
            files[path.name] = StaticFile(body=body, content_type=CONTENT_TYPES[suffix], etag=etag)
    return files


def _serve(name: str) -> Response[str | None]:
    found = static_files().get(name)
    if found is None:
        return coded_response("not_found", f"the viewer has no file {name!r}")
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": found.etag, "X-Content-Type-Options": "nosniff"}
    if found.content_type.startswith("text/html"):
        headers |= {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Referrer-Policy": "no-referrer"}
    if_none_match = (app.current_event.headers or {}).get("if-none-match") or ""
    if found.etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers, body=None)
    return Response(status_code=200, content_type=found.content_type, body=found.body, headers=headers)


@app.get("/ui", include_in_schema=False)
def viewer_page() -> Response[str | None]:
    if app.current_event.path.endswith("/"):
        # powertools routes /ui/ here too, but the page's relative links (ui/app.js, articles) need /ui.
        return Response(status_code=301, headers={"Location": f"{base_path(app.current_event)}/ui"}, body=None)
    return _serve(INDEX)


@app.get("/ui/<asset>", include_in_schema=False)
def viewer_asset(asset: str) -> Response[str | None]:
    return _serve(asset)
