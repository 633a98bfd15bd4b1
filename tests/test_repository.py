"""The repository's own definitions: they build, their committed output is current, the real tools
accept it, and they cover the metric catalogue the README promises."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from generator import checks
from generator.checks.tools import run_tools
from generator.diagnostics import Severity
from generator.pipeline import build
from generator.write import diff, plan, write
from tests.conftest import REPO, messages, require_tool


def test_the_definitions_build_without_findings() -> None:
    result = build(REPO)
    assert result.ok, messages(result.diagnostics)
    assert result.model is not None
    findings = [d for d in checks.run(result.model) if d.severity >= Severity.WARNING]
    assert messages(findings) == []


def test_committed_generated_folder_is_up_to_date() -> None:
    result = build(REPO)
    changes = plan(REPO / "generated", result.files)
    assert changes.clean, "generated/ is stale; run `gen build`:\n" + diff(
        REPO / "generated", result.files, changes
    )


@pytest.mark.parametrize("environment", [None, "prod"], ids=["default", "prod"])
def test_every_environment_passes_promtool(environment: str | None) -> None:
    require_tool("promtool")
    result = build(REPO, environment)
    assert result.ok, messages(result.diagnostics)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        write(out, result.files, plan(out, result.files))
        assert result.model is not None
        assert messages(run_tools(out, result.model)) == []


def test_the_catalogue_covers_application_system_infrastructure_and_business_metrics() -> None:
    generated = "".join(p.read_text() for p in (REPO / "generated/prometheus").rglob("*.yml"))
    catalogue = {
        "application": ["http_requests_total", "http_request_duration_seconds_bucket"],
        "system": [
            "node_cpu_seconds_total",
            "node_memory_MemAvailable_bytes",
            "node_filesystem_avail_bytes",
            "node_network_receive_errs_total",
        ],
        "infrastructure": [
            "pg_stat_activity_count",
            "session_cache_requests_total",
            "rabbitmq_queue_messages_ready",
        ],
        "business": ["shop_signups_total", "shop_revenue_euros_total", "shop_orders_total"],
    }
    missing = {area: [m for m in metrics if m not in generated] for area, metrics in catalogue.items()}
    assert missing == {area: [] for area in catalogue}
    teams = set(re.findall(r"^\s+team: (\S+)$", generated, re.MULTILINE))
    assert teams == {"payments", "platform"}


SECRET_PATTERNS = [
    re.compile(
        r"^\s*(password|bearer_token|api_key|auth_token|token|secret|credentials|service_key|routing_key):",
        re.MULTILINE,
    ),
    re.compile(r"https?://[^/\s:@]+:[^/\s@]+@"),  # credentials inside a URL
    re.compile(r"[?&](token|key|secret|password|sig)=", re.IGNORECASE),
]


def test_no_secret_lands_in_generated_files() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {pattern.pattern}"
        for path in sorted((REPO / "generated").rglob("*"))
        if path.is_file() and path.suffix in (".yml", ".yaml", ".txt", ".tmpl")
        for pattern in SECRET_PATTERNS
        if pattern.search(path.read_text())
    ]
    assert offenders == []


def test_the_secret_scan_would_catch_a_leak(tmp_path: Path) -> None:
    leaked = "remote_write:\n  - url: https://user:hunter2@mimir/api/v1/push\n    password: x\n"
    assert all(pattern.search(leaked) for pattern in SECRET_PATTERNS[:2])


def test_the_readme_commands_are_the_ones_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme, re.DOTALL)
    assert commands[:2] == [
        "scripts/bootstrap.sh && .venv/bin/gen build && .venv/bin/gen check",
        "scripts/bootstrap.sh --test && .venv/bin/pytest",
    ]
    assert commands[1] in (REPO / ".ci/run").read_text()


def test_lint_and_types_are_clean() -> None:
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "generator", "tests", "bench"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert mypy.returncode == 0, mypy.stdout
