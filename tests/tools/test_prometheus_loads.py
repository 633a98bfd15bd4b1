"""The real Prometheus server loads what we generate and evaluates every rule without error.

promtool checks syntax; this starts Debian's Prometheus 2.42 on 127.0.0.1 with the repository's
generated configuration (and with the prod environment's), then reads back through its HTTP API
what it actually loaded: the scrape jobs, every rule group, and the health of each rule after
evaluation.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.pipeline import build
from generator.write import plan, write
from tests.conftest import REPO, messages, require_tool

pytestmark = pytest.mark.tools


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(params=[None, "prod"], ids=["default", "prod"])
def prometheus(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    binary = require_tool("prometheus")
    result = build(REPO, request.param)
    assert result.ok, messages(result.diagnostics)
    out = tmp_path / "generated"
    write(out, result.files, plan(out, result.files))
    # Fast evaluation so every rule runs at least once within the test.
    config_path = out / "prometheus/prometheus.yml"
    config = yaml.safe_load(config_path.read_text())
    config["global"]["evaluation_interval"] = "1s"
    config_path.write_text(yaml.safe_dump(config))
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = process.stderr.read() if process.stderr else ""
                    raise AssertionError(f"Prometheus did not start: {stderr}") from None
                time.sleep(0.1)
        yield url, out
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_prometheus_loads_every_group_and_job_and_evaluates_every_rule(prometheus: tuple[str, Path]) -> None:
    url, out = prometheus
    expected_groups = {}
    for path in sorted((out / "prometheus/rules").rglob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            expected_groups[group["name"]] = len(group["rules"])
    expected_jobs = {
        job["job_name"]
        for job in yaml.safe_load((out / "prometheus/prometheus.yml").read_text())["scrape_configs"]
    }

    # Wait until every group has been evaluated once (lastEvaluation is set).
    deadline = time.monotonic() + 30
    while True:
        groups = _get(f"{url}/api/v1/rules")["data"]["groups"]
        evaluated = all(not g["lastEvaluation"].startswith("0001-") for g in groups)
        if (evaluated and len(groups) == len(expected_groups)) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {g["name"]: len(g["rules"]) for g in groups} == expected_groups
    unhealthy = [
        (g["name"], r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] != "ok"
    ]
    assert unhealthy == []

    # Discovery hands targets to the scrape manager a few seconds after start.
    deadline = time.monotonic() + 30
    while True:
        targets = _get(f"{url}/api/v1/targets")["data"]["activeTargets"]
        jobs = {t["labels"]["job"] for t in targets}
        if jobs == expected_jobs or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert jobs == expected_jobs


def test_no_data_alerts_go_pending_when_their_series_are_missing(prometheus: tuple[str, Path]) -> None:
    url, _ = prometheus
    # Nothing is scraped successfully here, so the absent() alert sees no series and goes pending.
    deadline = time.monotonic() + 30
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        alerts = _get(f"{url}/api/v1/alerts")["data"]["alerts"]
        states = {a["labels"]["alertname"]: a["state"] for a in alerts}
        if "CheckoutMetricsMissing" in states:
            break
        time.sleep(0.2)
    assert states.get("CheckoutMetricsMissing") == "pending"
