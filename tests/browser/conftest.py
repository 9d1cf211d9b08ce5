"""The claim viewer in a real browser: the API function on a moto stack behind the local API Gateway emulation, and
Debian's chromium, headless, driven by selenium through Debian's chromedriver (nothing is ever downloaded).

Skipped when /usr/bin/chromium or /usr/bin/chromedriver is missing, unless WHOSAID_REQUIRE_BROWSER=1 (CI) makes
that a failure. The servers and the browser live as long as this package's tests (one moto stack, one chromium).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.lambda_events import LocalLambdaContext, api_routes
from infra.local.api import make_api_server
from infra.local.worker import QueueWorker
from infra.template_resources import load_template
from tests.support.aws_stack import REGION, moto_stack_resources

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_BROWSER = os.environ.get("WHOSAID_REQUIRE_BROWSER", "").strip() not in ("", "0")
# Screenshots and other artifacts of a run (gitignored); WHOSAID_ARTIFACTS moves them.
ARTIFACTS = Path(os.environ.get("WHOSAID_ARTIFACTS") or REPO / ".artifacts")
API_KEY = "browser-test-key-7c1e"  # a test value, as WHOSAID_LOCAL_API_KEY would hold
# Without the background-networking flags chromium waits on services it cannot reach on a closed network.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing or REQUIRE_BROWSER:
        return  # required and missing: the browser fixture fails, naming what is missing
    skip = pytest.mark.skip(reason=f"{' and '.join(missing)} missing (apt-get install chromium chromium-driver)")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@dataclass(frozen=True)
class ViewerApi:
    url: str  # the local API, as `make run` serves it (no key)
    keyed_url: str  # the same function behind a gateway that wants x-api-key: API_KEY
    worker: QueueWorker  # poll_once(): one batch of the ingest queue through the ingest function (async articles)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _handler(function: str) -> Any:
    """functions/<function>/<function>_handler.py's lambda_handler, imported from its file as Lambda imports it."""
    path = REPO / "functions" / function / f"{function}_handler.py"
    spec = importlib.util.spec_from_file_location(f"browser_{function}_handler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


@pytest.fixture(scope="package")
def viewer_api() -> Iterator[ViewerApi]:
    """The real API function on the template's resources in moto, served on 127.0.0.1 twice: keyless and keyed."""
    template = load_template()
    with pytest.MonkeyPatch.context() as monkeypatch, moto_stack_resources(monkeypatch, template=template) as stack:
        api_handler, ingest_handler = _handler("api"), _handler("ingest")
        one_at_a_time = threading.Lock()  # as Lambda runs one invocation per execution environment

        def invoke(event: dict[str, Any]) -> Any:
            with one_at_a_time:
                return api_handler(event, LocalLambdaContext(function_name="whosaid-test-api", timeout_seconds=28))

        queue = stack.resources["IngestQueue"]
        worker = QueueWorker(
            invoke=lambda event: ingest_handler(event, LocalLambdaContext(function_name="whosaid-test-ingest")),
            sqs=boto3.client("sqs", region_name=REGION),
            queue_url=queue.ref,
            queue_arn=queue.attributes["Arn"],
            batch_size=1,
            retry_seconds=1,
            stop=threading.Event(),
        )

        routes = api_routes(template, "ApiFunction", stack.conditions)
        servers = []
        for api_key in (None, API_KEY):
            server = make_api_server("127.0.0.1", _free_port(), invoke, routes, api_key=api_key)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
        try:
            keyless, keyed = (f"http://127.0.0.1:{server.server_address[1]}" for server in servers)
            yield ViewerApi(url=keyless, keyed_url=keyed, worker=worker)
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless chromium with a fresh profile; selenium is given Debian's chromedriver and never looks for one."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"WHOSAID_REQUIRE_BROWSER is set but {' and '.join(missing)} is missing")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_downloads(self: Any, args: list[str]) -> dict[str, str]:
        raise AssertionError(f"selenium tried Selenium Manager (a driver or browser download): {args}")

    profile = tempfile.mkdtemp(prefix="whosaid-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(SeleniumManager, "binary_paths", no_downloads)
        monkeypatch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
