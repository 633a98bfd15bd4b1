"""The `gen` command: exit codes, outputs, and the promises of `build`, `check`, `schema`, `checks`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import TEAM, WriteFiles

SERVICE = """
kind: Service
name: checkout
team: payments
scrape: {targets: ["checkout:8080"]}
metrics:
  requests: {counter: http_requests_total}
  errors: {counter: 'http_requests_total{code=~"5.."}'}
alerts:
  - {name: HighErrors, severity: critical, metric: errors, per: requests, op: ">", value: 0.05}
"""


@pytest.fixture
def repo(make_repo: WriteFiles) -> Path:
    return make_repo(
        {
            "alertmanager/teams.yaml": TEAM,
            "rules/checkout.yaml": SERVICE,
            "prometheus/env.yaml": "kind: Overlay\nenvironment: prod\npatches:\n"
            "  - {target: Prometheus, patch: {external_labels: {env: prod}}}\n",
        }
    )


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_version() -> None:
    code, out, _ = _run("--version")
    assert code == 0 and out.startswith("gen, version ")


def test_build_writes_generated_and_a_second_build_is_byte_identical(repo: Path) -> None:
    code, out, _ = _run("build", "--root", str(repo))
    assert code == 0, out
    first = _tree(repo / "generated")
    assert "prometheus/prometheus.yml" in first and "prometheus/rules/payments/checkout.yml" in first
    code, out, _ = _run("build", "--root", str(repo), "--no-cache")
    assert code == 0 and out.strip().endswith(f"{len(first)} unchanged")
    assert _tree(repo / "generated") == first


def test_build_names_each_changed_file_and_diff_shows_the_lines(repo: Path) -> None:
    assert _run("build", "--root", str(repo))[0] == 0
    (repo / "rules/checkout.yaml").write_text(SERVICE.replace("0.05", "0.02"))
    code, out, _ = _run("build", "--root", str(repo), "--diff")
    assert code == 0
    assert "  M prometheus/rules/payments/checkout.yml (+3 -3)\n" in out
    assert '+          service:errors_per_requests:ratio_rate5m{service="checkout"} > 0.02\n' in out
    (repo / "rules/checkout.yaml").write_text(
        SERVICE.replace("0.05", "0.02").replace("HighErrors", "TooManyErrors")
    )
    code, out, _ = _run("build", "--root", str(repo))
    assert "  M prometheus/rules/payments/checkout.yml (+1 -1)\n" in out and "---" not in out


def test_build_check_fails_with_a_diff_when_generated_is_stale(repo: Path) -> None:
    assert _run("build", "--root", str(repo))[0] == 0
    code, out, _ = _run("build", "--root", str(repo), "--check")
    assert code == 0 and "up to date" in out
    (repo / "rules/checkout.yaml").write_text(SERVICE.replace("0.05", "0.02"))
    code, out, err = _run("build", "--root", str(repo), "--check")
    assert code == 1
    assert '-          service:errors_per_requests:ratio_rate5m{service="checkout"} > 0.05' in out
    assert '+          service:errors_per_requests:ratio_rate5m{service="checkout"} > 0.02' in out
    assert "out of date" in err
    # --check wrote nothing.
    assert b"> 0.05" in (repo / "generated/prometheus/rules/payments/checkout.yml").read_bytes()


def test_a_failed_build_writes_nothing_and_exits_1(repo: Path) -> None:
    assert _run("build", "--root", str(repo))[0] == 0
    before = _tree(repo / "generated")
    (repo / "rules/checkout.yaml").write_text(SERVICE.replace("severity: critical", "severity: page"))
    code, _, err = _run("build", "--root", str(repo))
    assert code == 1
    assert (
        "rules/checkout.yaml:10:34: error: alerts[0].severity: expected one of 'info', 'warning' or "
        "'critical', got \"page\" [definitions]" in err
    )
    assert "build failed: nothing was written" in err
    assert _tree(repo / "generated") == before


def test_env_builds_into_its_own_folder_and_an_unknown_env_is_a_usage_error(repo: Path) -> None:
    code, _, _ = _run("build", "--root", str(repo), "--env", "prod")
    assert code == 0
    assert b"env: prod" in (repo / "generated-prod/prometheus/prometheus.yml").read_bytes()
    code, _, err = _run("build", "--root", str(repo), "--env", "staging")
    assert code == 2 and "unknown environment 'staging'; known environments: prod" in err


def test_out_puts_the_output_where_asked(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert _run("build", "--root", str(repo), "--out", str(target))[0] == 0
    assert (target / "prometheus/prometheus.yml").is_file()


def test_check_runs_offline_checks_and_promtool(repo: Path, promtool: str) -> None:
    code, out, err = _run("check", "--root", str(repo))
    assert code == 0, err
    assert "checks passed (offline checks, promtool and amtool)" in out


def test_check_reports_what_only_promtool_finds(repo: Path, promtool: str) -> None:
    # The offline compatibility check would catch this; switched off, promtool must catch it.
    (repo / "rules/checkout.yaml").write_text(
        SERVICE + "  - {name: Newer, severity: info, expr: 'histogram_avg(x) > 1'}\n"
    )
    code, _, err = _run("check", "--root", str(repo), "--disable", "promql/compatibility")
    assert code == 1
    assert "error: promtool rejected the generated files:" in err
    assert "histogram_avg" in err and "[promtool/config]" in err and "[promtool/rules]" in err
    code, _, err = _run("check", "--root", str(repo))
    assert code == 1 and "[promql/compatibility]" in err


def test_check_refuses_unknown_check_ids(repo: Path) -> None:
    code, _, err = _run("check", "--root", str(repo), "--disable", "alerts/nonsense")
    assert code == 2 and "unknown check id(s): alerts/nonsense" in err


def test_checks_lists_every_check_with_its_id() -> None:
    code, out, _ = _run("checks")
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines()]
    assert "alerts/summary" in ids and "promtool/rules" in ids
    assert "(runs promtool)" in out


def test_schema_is_valid_json_schema_and_validates_the_repositorys_own_definitions(tmp_path: Path) -> None:
    code, out, _ = _run("schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    root = Path(__file__).resolve().parents[2]
    documents = [
        d for f in sorted(root.glob("[rpa]*/**/*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d
    ]
    assert len(documents) >= 10
    for document in documents:
        validator.validate(document)
    assert list(validator.iter_errors({"kind": "Service", "name": "x", "team": "t", "colour": 1}))
    assert _run("schema", "--out", str(tmp_path / "s.json"))[0] == 0
    assert json.loads((tmp_path / "s.json").read_text()) == schema


def test_every_field_in_the_schema_is_documented() -> None:
    schema = json.loads(_run("schema")[1])
    undocumented = [
        f"{name}.{field}"
        for name, definition in schema["$defs"].items()
        for field, spec in definition.get("properties", {}).items()
        if field != "kind" and not spec.get("description")
    ]
    assert undocumented == []


def test_python_dash_m_generator_is_the_same_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0 and completed.stdout.startswith("gen, version")


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _entry(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, list[str]]:
    """Run `gen` as the program does (`entry`), with `os._exit` caught, and the exit handlers
    recorded instead of run."""
    from generator import cli

    handlers: list[str] = []
    monkeypatch.setattr(cli.sys, "argv", ["gen", *args])
    monkeypatch.setattr(cli.atexit, "_run_exitfuncs", lambda: handlers.append("ran"))

    def exit_now(code: int) -> None:
        raise _Exited(code)

    monkeypatch.setattr(cli.os, "_exit", exit_now)
    monkeypatch.setattr(cli, "_kept_until_exit", [])
    monkeypatch.setattr(cli, "_quick_exit", False)  # restored to this after the test
    with pytest.raises(_Exited) as exited:
        cli.entry()
    return exited.value.code, handlers


def test_the_program_exits_quickly_with_the_commands_code_after_the_exit_handlers(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from generator import cli

    code, handlers = _entry(monkeypatch, "--version")
    assert (code, handlers) == (0, ["ran"]) and capsys.readouterr().out.startswith("gen, version ")
    assert _entry(monkeypatch, "build", "--no-such-option")[0] == 2
    code, _ = _entry(monkeypatch, "build", "--root", str(repo), "-q")
    assert code == 0 and (repo / "generated" / "prometheus" / "prometheus.yml").is_file()
    # The build's result is kept for the exit instead of being freed on the way out.
    assert [type(kept).__name__ for kept in cli._kept_until_exit] == ["BuildResult"]
    (repo / "rules" / "checkout.yaml").write_text("kind: Service\nname: [\n")
    assert _entry(monkeypatch, "build", "--root", str(repo), "-q")[0] == 1


def test_library_callers_free_the_build_as_usual(repo: Path) -> None:
    from generator import cli

    assert _run("build", "--root", str(repo))[0] == 0
    assert cli._kept_until_exit == [] and not cli._quick_exit


def test_the_version_is_the_installed_packages_and_looked_up_when_asked() -> None:
    import importlib.metadata

    import generator

    assert generator.__version__ == importlib.metadata.version("monitoring-as-code")
    with pytest.raises(AttributeError):
        _ = generator.no_such_attribute  # type: ignore[attr-defined]
