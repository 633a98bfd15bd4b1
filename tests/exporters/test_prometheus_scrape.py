"""A real Prometheus (Debian's 2.42) scrapes the real push bridge and the probe exporter."""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import require_tool
from tests.exporters.helpers import exporter_process, http, wait_until
from tests.exporters.targets import dead_port, http_target

pytestmark = pytest.mark.tools


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    status, _, body = http("GET", f"{prometheus}/api/v1/query?query={urllib.parse.quote(expr)}")
    assert status == 200, body
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result


def test_prometheus_scrapes_the_exporters_and_stores_their_series(tmp_path: Path) -> None:
    binary = require_tool("prometheus")
    (tmp_path / "token").write_text("t0ken\n")
    (tmp_path / "push.yaml").write_text("token_file: token\n")
    with http_target() as target:
        (tmp_path / "probe.yaml").write_text(
            yaml.safe_dump({"probes": [{"name": "web", "http": {"url": f"{target}/ok"}}]})
        )
        with (
            exporter_process("push", tmp_path / "push.yaml") as push,
            exporter_process("probe", tmp_path / "probe.yaml") as probe,
        ):
            pushed = {
                "metrics": [{"name": "orders_total", "type": "counter", "value": 3, "labels": {"shop": "eu"}}]
            }
            assert http("POST", f"{push}/api/metrics", pushed, {"Authorization": "Bearer t0ken"})[0] == 200
            config = {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                "scrape_configs": [
                    {"job_name": "push", "honor_labels": True, "static_configs": [{"targets": [push[7:]]}]},
                    {"job_name": "probe", "static_configs": [{"targets": [probe[7:]]}]},
                ],
            }
            (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
            port = dead_port()
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            prometheus = f"http://127.0.0.1:{port}"
            try:
                wait_until(
                    lambda: (
                        _up(prometheus)
                        and bool(query(prometheus, "orders_total"))
                        and bool(query(prometheus, "probe_success"))
                    ),
                    timeout=30,
                )
                orders = query(prometheus, "orders_total")
                assert orders[0]["metric"]["shop"] == "eu" and orders[0]["value"][1] == "3"
                assert query(prometheus, 'probe_success{probe="web"}')[0]["value"][1] == "1"
                assert {r["metric"]["job"]: r["value"][1] for r in query(prometheus, "up")} == {
                    "push": "1",
                    "probe": "1",
                }
            finally:
                process.terminate()
                process.wait(timeout=10)


def _up(prometheus: str) -> bool:
    try:
        return http("GET", f"{prometheus}/-/ready", timeout=1)[0] == 200
    except OSError:
        return False
