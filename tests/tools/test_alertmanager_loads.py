"""The real Alertmanager 0.25 loads what we generate, and amtool agrees with our routing.

The repository's generated alertmanager.yml is started in Debian's `prometheus-alertmanager` on
127.0.0.1 (secret files are stand-ins in a scratch folder, since Alertmanager refuses to start
without them), and its API must list every receiver and the routing tree we generated. Then the
Python evaluation of the tree, which the offline checks use, is compared with amtool's on every
combination of team, severity and service.
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.checks.secrets import secret_files
from generator.pipeline import build
from generator.routing import receivers_for
from generator.write import plan, write
from tests.conftest import REPO, messages, require_tool

pytestmark = pytest.mark.tools


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _generated(tmp_path: Path) -> tuple[Path, Any]:
    result = build(REPO)
    assert result.ok and result.model is not None, messages(result.diagnostics)
    out = tmp_path / "generated"
    write(out, result.files, plan(out, result.files))
    return out, result.model


def test_alertmanager_starts_with_the_generated_config_and_lists_its_receivers(tmp_path: Path) -> None:
    binary = require_tool("prometheus-alertmanager")
    out, model = _generated(tmp_path)
    config_path = out / "alertmanager/alertmanager.yml"
    text = config_path.read_text()
    secrets = tmp_path / "secrets"
    for path, _ in secret_files(model):
        stand_in = secrets / path.lstrip("/")
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("https://hooks.example.invalid/x\n" if "slack" in path else "stand-in\n")
        text = text.replace(f" {path}\n", f" {stand_in}\n")
    config_path.write_text(text)
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 30
        while status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/status", timeout=1) as response:
                    status = json.loads(response.read())
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = process.stderr.read() if process.stderr else ""
                    raise AssertionError(f"Alertmanager did not start: {stderr}") from None
                time.sleep(0.1)
        loaded = yaml.safe_load(status["config"]["original"])
        generated = yaml.safe_load(config_path.read_text())
        assert sorted(r["name"] for r in loaded["receivers"]) == sorted(
            r.name for r in model.alertmanager.receivers
        )
        assert loaded["route"]["receiver"] == "oncall-fallback"
        assert [r["matchers"] for r in loaded["route"]["routes"]] == [
            r["matchers"] for r in generated["route"]["routes"]
        ]
        assert {t["name"] for t in loaded["time_intervals"]} == {"db-maintenance", "payments-working-hours"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/receivers", timeout=5) as response:
            assert sorted(r["name"] for r in json.loads(response.read())) == sorted(
                r.name for r in model.alertmanager.receivers
            )
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_python_routing_agrees_with_amtool_on_every_combination(tmp_path: Path) -> None:
    amtool = require_tool("amtool")
    out, model = _generated(tmp_path)
    config = out / "alertmanager/alertmanager.yml"
    values = {
        "team": ["payments", "platform", "nobody", None],
        "severity": ["critical", "warning", "info", None],
        "service": ["checkout", "shop-kpis", "orders-db", None],
    }
    combos = [
        {k: v for k, v in zip(values, combo, strict=True) if v is not None}
        for combo in itertools.product(*values.values())
    ]

    def amtool_receivers(labels: dict[str, str]) -> list[str]:
        args = [f"{k}={v}" for k, v in sorted(labels.items())] or ["alertname=Any"]
        completed = subprocess.run(
            [amtool, "config", "routes", "test", f"--config.file={config}", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return completed.stdout.strip().split(",")

    with ThreadPoolExecutor(max_workers=4) as pool:
        theirs = list(pool.map(amtool_receivers, combos))
    ours = [receivers_for(model.alertmanager.root, labels) for labels in combos]
    disagreements = [(labels, o, t) for labels, o, t in zip(combos, ours, theirs, strict=True) if o != t]
    assert len(combos) == 64
    assert disagreements == []
