"""Golden tests: definitions in `tests/golden/valid/<case>/`, expected output in `<case>/expected/`.

Every expected tree is also checked by the real promtool, so the golden files are not only stable
but loadable. Rewrite them with `pytest --update-golden` and review the diff like code.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from generator import conventions as names
from generator.pipeline import build
from tests.conftest import GOLDEN, messages, require_tool

CASES = sorted(p for p in (GOLDEN / "valid").iterdir() if p.is_dir())
# The schema is the same for every case and has tests of its own.
SKIPPED = {names.SCHEMA_FILE}


def _environment(case: Path) -> str | None:
    args = (case / "args.txt").read_text().split() if (case / "args.txt").exists() else []
    return args[args.index("--env") + 1] if "--env" in args else None


def _expected(case: Path) -> dict[str, bytes]:
    folder = case / "expected"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_output_matches_the_golden_files(case: Path, update_golden: bool) -> None:
    result = build(case, _environment(case))
    assert result.ok, messages(result.diagnostics)
    produced = {path: content for path, content in result.files.items() if path not in SKIPPED}
    if update_golden:
        shutil.rmtree(case / "expected", ignore_errors=True)
        for path, content in produced.items():
            (case / "expected" / path).parent.mkdir(parents=True, exist_ok=True)
            (case / "expected" / path).write_bytes(content)
    assert produced == _expected(case)


@pytest.mark.tools
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_output_passes_promtool(case: Path) -> None:
    promtool = require_tool("promtool")
    out = case / "expected"
    config = out / names.PROMETHEUS_CONFIG_FILE
    completed = subprocess.run(
        [promtool, "check", "config", "--lint=duplicate-rules", "--lint-fatal", config.name],
        cwd=config.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    rule_files = sorted(p.relative_to(out).as_posix() for p in out.rglob("rules/*/*.yml"))
    if rule_files:
        completed = subprocess.run(
            [promtool, "check", "rules", "--lint=all", "--lint-fatal", *rule_files],
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.tools
@pytest.mark.parametrize(
    "case",
    [c for c in CASES if (c / "expected" / names.ALERTMANAGER_CONFIG_FILE).exists()],
    ids=lambda c: c.name,
)
def test_golden_alertmanager_output_passes_amtool(case: Path) -> None:
    amtool = require_tool("amtool")
    config = case / "expected" / names.ALERTMANAGER_CONFIG_FILE
    completed = subprocess.run(
        [amtool, "check-config", config.name], cwd=config.parent, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS" in completed.stdout


def test_the_corpus_covers_every_kind_of_input() -> None:
    text = "".join(p.read_text() for case in CASES for p in case.rglob("*.yaml"))
    for kind in (
        "Service",
        "AlertGroup",
        "ScrapeJob",
        "Prometheus",
        "Overlay",
        "Team",
        "!include",
        "Alertmanager",
        "Receiver",
        "TimeInterval",
        "RoutingTest",
    ):
        assert kind in text
