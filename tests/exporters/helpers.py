"""Shared helpers for exporter tests: real HTTP calls, promtool, and starting real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import REPO, require_tool


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], bytes]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def promtool_check_metrics(text: str) -> None:
    """promtool parses the exposition and lints it; any complaint fails the test with its words."""
    result = subprocess.run(
        [require_tool("promtool"), "check", "metrics"], input=text, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0 and not result.stdout and not result.stderr, (
        f"promtool check metrics exit {result.returncode}:\n{result.stdout}{result.stderr}\n--- input ---\n{text}"
    )


def sample_lines(text: str) -> dict[str, str]:
    """``series key -> value`` of an exposition, asserting no series appears twice."""
    samples: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            assert key not in samples, f"duplicate series {key}"
            samples[key] = value
    return samples


@contextmanager
def exporter_process(module: str, config: Path) -> Iterator[str]:
    """``python -m exporters.<module>`` on a free 127.0.0.1 port; yields its base URL."""
    with subprocess.Popen(
        [sys.executable, "-m", f"exporters.{module}", "--config", str(config), "--listen", "127.0.0.1:0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            line = process.stdout.readline()
            if "listening on " not in line:
                process.wait(timeout=10)
                raise AssertionError(f"exporter did not start: {line}{process.stderr.read()}")
            yield line.rsplit(" ", 1)[1].strip()
            process.terminate()
            assert process.wait(timeout=10) == 0, "the exporter must stop cleanly on SIGTERM"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
