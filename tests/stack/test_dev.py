"""`gen dev` as users run it: a child process that starts the stack, prints its URLs, reloads it
when `gen build` changes generated/, and stops every component on Ctrl-C."""

from __future__ import annotations

import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from generator.stack.layout import Ports
from tests.conftest import require_tool
from tests.receiver.processes import wait_for
from tests.stack import scenario
from tests.stack.scenario import http_json

pytestmark = pytest.mark.tools


def _free(port: int) -> bool:
    with socket.socket() as probe:
        # Connections in TIME_WAIT must not count: only a listener holds the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_offset() -> int:
    defaults = Ports.defaults()
    ports = [*defaults.web.values(), *defaults.cluster.values()]
    for _ in range(50):
        offset = random.randrange(10000, 40000, 10)
        if all(_free(port + offset) for port in ports):
            return offset
    raise AssertionError("no free port range")


class Output:
    """One of gen dev's output streams, read by a thread (a pipe read blocks, and a component
    that fails to start must fail the test, not hang it)."""

    def __init__(self, process: subprocess.Popen[str], stream: IO[str]) -> None:
        self.process, self.text, self.lines = process, "", queue.Queue[str]()
        self.reader = threading.Thread(target=lambda: [self.lines.put(line) for line in stream], daemon=True)
        self.reader.start()

    def until(self, marker: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while marker not in self.text:
            try:
                self.text += self.lines.get(timeout=0.1)
            except queue.Empty:
                ended = self.process.poll() is not None and not self.reader.is_alive()
                if ended or time.monotonic() > deadline:
                    raise AssertionError(f"gen dev did not print {marker!r}: {self.text}") from None
        return self.text

    def rest(self) -> str:
        while not self.lines.empty():
            self.text += self.lines.get()
        return self.text


def test_gen_dev_runs_reloads_and_stops_the_stack(tmp_path: Path) -> None:
    require_tool("prometheus")
    require_tool("prometheus-alertmanager")
    scenario.write_definitions(tmp_path, "http://127.0.0.1:9/healthz", "http://127.0.0.1:9")
    gen = [sys.executable, "-m", "generator"]
    subprocess.run([*gen, "build", "-q"], cwd=tmp_path, check=True)
    offset = free_offset()
    process = subprocess.Popen(
        [*gen, "dev", "--port-offset", str(offset)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        output, errors = Output(process, process.stdout), Output(process, process.stderr)
        printed = output.until("state, logs and translated config")
        urls = dict(re.findall(r"^  (\S+)\s+(http://127\.0\.0\.1:\d+)$", printed, re.MULTILINE))
        expected = {
            "prometheus",
            "alertmanager-1",
            "alertmanager-2",
            "receiver",
            "probe-exporter",
            "push-bridge",
        }
        if shutil.which("prometheus-node-exporter"):  # CI installs it
            expected.add("node-exporter")
        assert set(urls) == expected, printed
        assert urls["prometheus"] == f"http://127.0.0.1:{9090 + offset}"
        # Secrets not in ./secrets get placeholders, and the user is told which.
        assert "placeholder secrets" in printed and "exporters/push-token" in printed
        assert re.search(r"sql-exporter\s+not started: no exporters/sql.yml", printed)  # no BusinessKPIs
        ready = {"prometheus": "/-/ready", "alertmanager-1": "/-/ready", "alertmanager-2": "/-/ready"}
        for name, url in urls.items():
            with urllib.request.urlopen(url + ready.get(name, "/health/ready"), timeout=5) as reply:
                assert reply.status == 200, name
        peers = http_json("GET", f"{urls['alertmanager-1']}/api/v2/status")["cluster"]["peers"]
        assert len(peers) == 2

        # A rebuild is picked up: the new alert is evaluated without restarting anything.
        definition = tmp_path / "rules" / "nightly-import.yaml"
        definition.write_text(definition.read_text().replace("name: ImportErrors", "name: ImportFailures"))
        subprocess.run([*gen, "build", "-q"], cwd=tmp_path, check=True)

        def alert_names() -> set[str]:
            groups = http_json("GET", f"{urls['prometheus']}/api/v1/rules")["data"]["groups"]
            return {rule["name"] for group in groups for rule in group["rules"] if rule["type"] == "alerting"}

        errors.until("reloaded: Prometheus", timeout=20)
        assert "ImportFailures" in alert_names() and "ImportErrors" not in alert_names()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0, errors.rest()
    assert "stopped" in errors.until("stopped", timeout=5)
    # Every component is gone: its port is free again.
    for url in urls.values():
        port = int(url.rsplit(":", 1)[1])
        wait_for(lambda p=port: _free(p), f"port {port} to be released", timeout=10)
    logs = tmp_path / ".gen-dev" / "logs"
    assert (logs / "prometheus.log").is_file() and (logs / "alertmanager-2.log").is_file()
