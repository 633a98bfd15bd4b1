"""The real consumers: promtool checks what Prometheus would load.

promtool is called once per command with every file (one process costs about 50 ms; see
TOOL-FACTS). Its messages point into generated files; offline checks have already pointed at the
definitions for everything we can parse ourselves.
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generator import conventions as names
from generator.checks import tool_check
from generator.diagnostics import Diagnostic, Location, Severity

PROMTOOL_CONFIG = "promtool/config"
PROMTOOL_RULES = "promtool/rules"

tool_check(
    PROMTOOL_CONFIG,
    "promtool",
    "`promtool check config` accepts the generated prometheus.yml and the rule files it loads.",
)
tool_check(
    PROMTOOL_RULES,
    "promtool",
    "`promtool check rules` accepts every generated rule file, duplicate rules included (lint).",
)


def find_promtool() -> str | None:
    return shutil.which("promtool")


def _run(code: str, command: list[str], cwd: Path, subject: str) -> list[Diagnostic]:
    try:
        completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return [Diagnostic(Location(subject), "promtool did not finish within 120s", code=code)]
    if completed.returncode == 0:
        return []
    output = (completed.stdout + completed.stderr).strip()
    lines = [
        line.strip() for line in output.splitlines() if line.strip() and not line.startswith("Checking ")
    ]
    return [
        Diagnostic(
            Location(subject),
            "promtool rejected the generated files:\n    " + "\n    ".join(lines),
            code=code,
            severity=Severity.ERROR,
        )
    ]


def run_promtool(out: Path, disabled: set[str] | frozenset[str] = frozenset()) -> list[Diagnostic]:
    """Run promtool on a generated tree; a missing promtool is an error, not a silent pass."""
    promtool = find_promtool()
    wanted = [c for c in (PROMTOOL_CONFIG, PROMTOOL_RULES) if c not in disabled]
    if not wanted:
        return []
    if promtool is None:
        return [
            Diagnostic(
                Location("promtool"),
                "promtool is not installed, so the generated files were not checked by Prometheus' own tool",
                code=wanted[0],
                hint="install Debian's `prometheus` package, or pass --offline to skip real tools",
            )
        ]
    config = out / names.PROMETHEUS_CONFIG_FILE
    runs: list[tuple[str, list[str], Path, str]] = []
    if PROMTOOL_CONFIG in wanted:
        command = [promtool, "check", "config", "--lint=duplicate-rules", "--lint-fatal", config.name]
        runs.append((PROMTOOL_CONFIG, command, config.parent, names.PROMETHEUS_CONFIG_FILE))
    rule_files = sorted(p.relative_to(out).as_posix() for p in (out / names.RULES_DIR).rglob("*.yml"))
    if PROMTOOL_RULES in wanted and rule_files:
        command = [promtool, "check", "rules", "--lint=duplicate-rules", "--lint-fatal", *rule_files]
        runs.append((PROMTOOL_RULES, command, out, names.RULES_DIR))
    # The two checks are independent; run them side by side (each takes seconds on large trees).
    with ThreadPoolExecutor(max_workers=len(runs) or 1) as pool:
        results = list(pool.map(lambda run: _run(*run), runs))
    return [diagnostic for found in results for diagnostic in found]
