"""Real processes for end-to-end tests: the receiver (`python -m receiver`) and Debian's
Alertmanager 0.25, each on a free port of 127.0.0.1, stopped when the test ends."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import yaml

from tests.conftest import REPO, require_tool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str, token: str | None = None) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return orjson.loads(response.read())


def post_json(url: str, payload: Any, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=orjson.dumps(payload), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, orjson.loads(response.read() or b"null")


def wait_until_up(process: subprocess.Popen[str], url: str, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, stderr = process.communicate()
                raise AssertionError(f"{what} did not start: {stderr}") from None
            time.sleep(0.05)


def start_receiver(
    workdir: Path, database_url: str, config: dict[str, Any] | None = None, token: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """The receiver as its own process; returns it and its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "receiver", "--listen", f"127.0.0.1:{port}", "--database", database_url]
    if config is not None:
        path = workdir / "receiver.yml"
        path.write_text(yaml.safe_dump(config))
        command += ["--config", str(path)]
    if token is not None:
        path = workdir / "receiver.token"
        path.write_text(token + "\n")
        command += ["--token-file", str(path)]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(process, f"{base}/health/ready", "the receiver")
    return process, base


def start_alertmanager(
    workdir: Path, config: dict[str, Any], port: int | None = None
) -> tuple[subprocess.Popen[str], str]:
    binary = require_tool("prometheus-alertmanager")
    port = port or free_port()
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={path}",
            f"--storage.path={workdir / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(process, f"{base}/api/v2/status", "Alertmanager")
    return process, base


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr is not None:
        process.stderr.close()


def wait_for(check: Any, what: str, timeout: float = 20) -> Any:
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
