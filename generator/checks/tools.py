"""The real consumers: promtool and amtool check what Prometheus and Alertmanager would load.

promtool is called once per command with every file (one process costs about 50 ms; see
TOOL-FACTS); amtool once for the configuration and once per routing test case. Independent runs go
side by side. Tool messages point into generated files, except routing tests, which are reported
at the case in the definitions.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from generator import conventions as names
from generator.checks import tool_check
from generator.diagnostics import Diagnostic, Location, Severity
from generator.model import Model, RoutingCase
from generator.slo_scenarios import ScenarioRun, scenario_files

PROMTOOL_CONFIG = "promtool/config"
PROMTOOL_RULES = "promtool/rules"
PROMTOOL_SLO_SCENARIOS = "promtool/slo-scenarios"
AMTOOL_CONFIG = "amtool/config"
AMTOOL_ROUTES = "amtool/routes"

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
tool_check(
    PROMTOOL_SLO_SCENARIOS,
    "promtool",
    "Every SLO passes `promtool test rules` scenarios: an outage pages in time, a 10x burn pages via the "
    "second window, 0.9x the budget never alerts, pages stop after recovery; plus your own scenarios.",
)
tool_check(
    AMTOOL_CONFIG, "amtool", "`amtool check-config` accepts the generated alertmanager.yml and templates."
)
tool_check(
    AMTOOL_ROUTES, "amtool", "Every routing test case passes `amtool config routes test --verify.receivers`."
)

TIMEOUT_S = 120


def _output(command: list[str], cwd: Path) -> tuple[int, str]:
    try:
        completed = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return -1, f"{Path(command[0]).name} did not finish within {TIMEOUT_S}s"
    return completed.returncode, (completed.stdout + completed.stderr).strip()


def _run(code: str, command: list[str], cwd: Path, subject: str) -> list[Diagnostic]:
    status, output = _output(command, cwd)
    if status == 0:
        return []
    noise = ("Checking ", "Warning: --config.file")
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith(noise)]
    tool = Path(command[0]).name
    return [
        Diagnostic(
            Location(subject),
            f"{tool} rejected the generated files:\n    " + "\n    ".join(lines),
            code=code,
            severity=Severity.ERROR,
        )
    ]


def _route_case(amtool: str, config: Path, case: RoutingCase) -> list[Diagnostic]:
    labels = [f"{key}={value}" for key, value in case.labels]
    command = [
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={config.name}",
        f"--verify.receivers={','.join(case.receivers)}",
        *labels,
    ]
    status, output = _output(command, config.parent)
    if status == 0:
        return []
    got = [line for line in output.splitlines() if line and not line.startswith(("WARNING", "Warning"))]
    shown = ", ".join(labels)
    return [
        Diagnostic(
            case.location,
            f"routing test {case.suite!r}: {{{shown}}} reaches {got[0] if got else 'nothing'}, "
            f"expected {','.join(case.receivers)}",
            code=AMTOOL_ROUTES,
            hint="`amtool config routes --tree --config.file=generated/alertmanager/alertmanager.yml` "
            "shows the tree",
        )
    ]


def _scenario(promtool: str, out: Path, run: ScenarioRun) -> list[Diagnostic]:
    test_file = out / run.test_file
    status, output = _output([promtool, "test", "rules", test_file.name], test_file.parent)
    if status == 0:
        return []
    lines = [
        line.rstrip() for line in output.splitlines() if line.strip() and not line.startswith("Unit Testing")
    ]
    shown = "\n    ".join(lines[:14]) + ("\n    ..." if len(lines) > 14 else "")
    return [
        Diagnostic(
            run.location,
            f"SLO {run.slo.service}/{run.slo.name}: {run.what} failed in promtool:\n    {shown}",
            code=PROMTOOL_SLO_SCENARIOS,
            hint=f"`gen check` writes the scenario as {run.test_file} in its scratch copy of the output",
        )
    ]


def _missing(tool: str, package: str, code: str) -> Diagnostic:
    return Diagnostic(
        Location(tool),
        f"{tool} is not installed, so the generated files were not checked by it",
        code=code,
        hint=f"install Debian's `{package}` package, or pass --offline to skip real tools",
    )


def run_tools(out: Path, model: Model, disabled: set[str] | frozenset[str] = frozenset()) -> list[Diagnostic]:
    """Run promtool and amtool on a generated tree; a missing tool is an error, not a silent pass."""
    jobs: list[Callable[[], list[Diagnostic]]] = []
    problems: list[Diagnostic] = []
    wanted_prom = [c for c in (PROMTOOL_CONFIG, PROMTOOL_RULES) if c not in disabled]
    promtool = shutil.which("promtool")
    if wanted_prom and promtool is None:
        problems.append(_missing("promtool", "prometheus", wanted_prom[0]))
    elif promtool is not None:
        config = out / names.PROMETHEUS_CONFIG_FILE
        if PROMTOOL_CONFIG in wanted_prom:
            command = [promtool, "check", "config", "--lint=duplicate-rules", "--lint-fatal", config.name]
            jobs.append(partial(_run, PROMTOOL_CONFIG, command, config.parent, names.PROMETHEUS_CONFIG_FILE))
        rule_files = sorted(p.relative_to(out).as_posix() for p in (out / names.RULES_DIR).rglob("*.yml"))
        if PROMTOOL_SLO_SCENARIOS not in disabled and model.slos:
            files, runs = scenario_files(model)
            for path, content in files.items():
                (out / path).parent.mkdir(parents=True, exist_ok=True)
                (out / path).write_bytes(content)
            jobs.extend(partial(_scenario, promtool, out, run) for run in runs)
        if PROMTOOL_RULES in wanted_prom and rule_files:
            command = [promtool, "check", "rules", "--lint=duplicate-rules", "--lint-fatal", *rule_files]
            jobs.append(partial(_run, PROMTOOL_RULES, command, out, names.RULES_DIR))
    if model.alertmanager is not None:
        wanted_am = [c for c in (AMTOOL_CONFIG, AMTOOL_ROUTES) if c not in disabled]
        amtool = shutil.which("amtool")
        if wanted_am and amtool is None:
            problems.append(_missing("amtool", "prometheus-alertmanager", wanted_am[0]))
        elif amtool is not None:
            am_config = out / names.ALERTMANAGER_CONFIG_FILE
            if AMTOOL_CONFIG in wanted_am:
                command = [amtool, "check-config", am_config.name]
                jobs.append(
                    partial(_run, AMTOOL_CONFIG, command, am_config.parent, names.ALERTMANAGER_CONFIG_FILE)
                )
            if AMTOOL_ROUTES in wanted_am:
                for case in model.alertmanager.cases:
                    jobs.append(partial(_route_case, amtool, am_config, case))
    # Independent runs: side by side (promtool takes seconds on large trees, amtool ~50 ms a case).
    with ThreadPoolExecutor(max_workers=4) as pool:
        for found in pool.map(lambda job: job(), jobs):
            problems.extend(found)
    return problems
