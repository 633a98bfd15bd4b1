"""The end-to-end scenario on real processes, shared by tests/stack/test_end_to_end.py and
bench/bench_stack.py: definitions with short intervals, built by the real pipeline, run by
`gen dev`'s LocalStack on free ports of 127.0.0.1, and the faults the test injects.

Two teams, two faults:
- payments' `checkout` has an HTTP health check against a server the test runs; stopping the
  server makes HealthCheckFailing fire (critical: paged to payments-pager, escalated after
  ESCALATE_AFTER to oncall-fallback, never acked);
- platform's `nightly-import` reports errors through the push bridge; a burst of them makes
  ImportErrors fire (critical: paged to platform-pager, acked at once with a silence).
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from generator.stack.layout import Ports
from generator.stack.local import StackOptions
from tests.receiver.processes import free_port

SCRAPE_INTERVAL_S = 1.0
EVALUATION_INTERVAL_S = 1.0
FOR_S = 2.0
GROUP_WAIT_S = 1.0
# The physical floor of detection latency: the fault is seen at the next scrape, the rule sees it
# at the next evaluation, it must hold for `for`, and Alertmanager waits group_wait.
FLOOR_S = SCRAPE_INTERVAL_S + EVALUATION_INTERVAL_S + FOR_S + GROUP_WAIT_S
ESCALATE_AFTER_S = 4.0
PLATFORM_ESCALATE_AFTER_S = 8.0
PUSH_TOKEN = "e2e-push-token"
RECEIVER_TICK = {"tick": "1s", "reconcile_interval": "2s"}


def free_ports() -> Ports:
    names = ["prometheus", "alertmanager-1", "alertmanager-2", "grafana", "node-exporter",
             "probe-exporter", "sql-exporter", "push-bridge", "receiver"]  # fmt: skip
    return Ports(
        {name: free_port() for name in names},
        {"alertmanager-1": free_port(), "alertmanager-2": free_port()},
    )


def _seconds(value: float) -> str:
    return f"{int(value)}s"


def definitions(health_url: str, pager_url: str) -> dict[str, str]:
    """The repository the scenario builds: file name -> YAML."""
    return {
        "prometheus/prometheus.yaml": f"""
kind: Prometheus
scrape_interval: {_seconds(SCRAPE_INTERVAL_S)}
scrape_timeout: {_seconds(SCRAPE_INTERVAL_S)}
evaluation_interval: {_seconds(EVALUATION_INTERVAL_S)}
external_labels: {{cluster: e2e}}
alertmanagers:
  - targets: ["alertmanager-1:9093", "alertmanager-2:9093"]
---
kind: Settings
grafana_url: http://localhost:3000
runbook_base_url: https://runbooks.example.com
""",
        "alertmanager/alertmanager.yaml": f"""
kind: Alertmanager
default_receiver: oncall-fallback
group_by: [alertname, team, service]
group_wait: {_seconds(GROUP_WAIT_S)}
group_interval: 2s
repeat_interval: 1h
history:
  url: http://receiver:8080/webhook
  credentials_file: /etc/alertmanager/secrets/receiver-token
""",
        "alertmanager/receivers.yaml": f"""
kind: Receiver
name: oncall-fallback
webhook:
  - url: "{pager_url}/oncall-fallback"
---
kind: Receiver
name: payments-pager
team: payments
webhook:
  - url: "{pager_url}/payments-pager"
---
kind: Receiver
name: payments-tickets
team: payments
webhook:
  - url: "{pager_url}/payments-tickets"
---
kind: Receiver
name: platform-pager
team: platform
webhook:
  - url: "{pager_url}/platform-pager"
---
kind: Receiver
name: platform-tickets
team: platform
webhook:
  - url: "{pager_url}/platform-tickets"
""",
        "alertmanager/teams.yaml": f"""
kind: Team
name: payments
escalation:
  - {{receiver: payments-pager, wait: {_seconds(ESCALATE_AFTER_S)}}}
  - {{receiver: oncall-fallback, wait: 1h}}
routing:
  receiver: payments-tickets
  routes:
    - matchers: ['severity="critical"']
      receiver: payments-pager
---
kind: Team
name: platform
escalation:
  - {{receiver: platform-pager, wait: {_seconds(PLATFORM_ESCALATE_AFTER_S)}}}
  - {{receiver: oncall-fallback, wait: 1h}}
routing:
  receiver: platform-tickets
  routes:
    - matchers: ['severity="critical"']
      receiver: platform-pager
""",
        "rules/checkout.yaml": f"""
kind: Service
name: checkout
team: payments
tier: 1
health_checks:
  - name: health
    http: {{url: "{health_url}", expected_status: [200]}}
    timeout: 1s
    down_for: {_seconds(FOR_S)}
""",
        "rules/nightly-import.yaml": f"""
kind: Service
name: nightly-import
team: platform
tier: 2
selector: {{job: push-bridge}}
metrics:
  errors: {{counter: import_errors_total, description: import errors}}
alerts:
  - name: ImportErrors
    severity: critical
    metric: errors
    rate: 5s
    op: ">"
    value: 0
    for: {_seconds(FOR_S)}
---
kind: PushBridge
team: platform
token_file: /etc/exporters/secrets/push-token
expire_after: 1h
metrics:
  import_errors_total:
    help: Errors of the nightly import.
""",
    }


class Pager:
    """The receivers' own channel (a pager, a chat): records each webhook it gets, by receiver."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[float, str, dict[str, Any]]] = []  # (time, receiver, body)
        pager = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                pager.received.append((time.time(), self.path.strip("/"), orjson.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HealthEndpoint:
    """An HTTP server answering 200 "ok": the checked service. `stop()` is the fault."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def start(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.allow_reuse_address = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def health_endpoint() -> Iterator[HealthEndpoint]:
    endpoint = HealthEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


def http_json(method: str, url: str, payload: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if payload is None else orjson.dumps(payload)
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return orjson.loads(body) if body else None


def push_errors(push_url: str, total: float) -> None:
    """Counters add on the push bridge: this adds `total` errors (0 creates the series)."""
    sample = {"name": "import_errors_total", "type": "counter", "value": total, "labels": {"task": "orders"}}
    http_json("POST", f"{push_url}/api/metrics", {"metrics": [sample]}, token=PUSH_TOKEN)


@dataclass
class Receiver:
    base: str

    def history(self) -> list[dict[str, Any]]:
        return list(http_json("GET", f"{self.base}/api/alerts/history?limit=500")["data"]["alerts"])

    def incident(self, incident_id: int) -> dict[str, Any]:
        return dict(http_json("GET", f"{self.base}/api/alerts/{incident_id}")["data"])

    def notifications(self) -> list[dict[str, Any]]:
        reply = http_json("GET", f"{self.base}/api/notifications?limit=500")
        return list(reply["data"]["notifications"])

    def firing(self, alertname: str) -> dict[str, Any] | None:
        for incident in self.history():
            if incident["rule"] == alertname and incident["status"] == "firing":
                return incident
        return None


def write_secrets(folder: Path) -> None:
    (folder / "exporters").mkdir(parents=True, exist_ok=True)
    (folder / "exporters" / "push-token").write_text(PUSH_TOKEN + "\n")


def write_definitions(root: Path, health_url: str, pager_url: str) -> None:
    for name, text in definitions(health_url, pager_url).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def prepare(root: Path, health_url: str, pager_url: str, *, fast_receiver: bool = True) -> StackOptions:
    """The scenario's repository under `root`, built by the real `gen build`, with its secrets;
    returns the options to run it on free ports (without node_exporter, which it does not use)."""
    write_definitions(root, health_url, pager_url)
    built = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--root", str(root), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    write_secrets(root / "secrets")
    return StackOptions(
        generated=root / "generated",
        state=root / "state",
        ports=free_ports(),
        secrets=root / "secrets",
        node_exporter=False,
        overrides={"receiver/receiver.yml": RECEIVER_TICK} if fast_receiver else {},
    )
