"""`gen deploy` with Grafana and a ruler as targets, through the real CLI (click's runner, the
real HTTP client, the fake servers of tests/deploy): dry run, apply, then nothing left to do."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from tests.deploy.conftest import GENERATED
from tests.deploy.fake_grafana import FakeGrafana
from tests.deploy.fake_ruler import FakeRuler


def _deploy(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["deploy", "--skip=prometheus", "--skip=alertmanager", f"--generated={GENERATED}", *arguments]
    )
    return result.exit_code, result.stdout, result.stderr


def test_dashboards_and_rule_groups_are_planned_applied_and_then_unchanged(
    grafana: FakeGrafana, ruler: FakeRuler, tmp_path: Path
) -> None:
    token = tmp_path / "grafana-token"
    token.write_text("glsa_test\n")
    grafana.token = "glsa_test"
    targets = [
        f"--grafana-url={grafana.url}",
        f"--grafana-token-file={token}",
        f"--ruler-url={ruler.url}",
        "--ruler-tenant=team-a",
    ]
    boards = sorted(GENERATED.glob("grafana/dashboards/*/*.json"))
    groups = sum(
        1 for path in GENERATED.glob("prometheus/rules/*/*.yml") for line in path.read_text().splitlines()
        if line.startswith("  - name: ")
    )  # fmt: skip

    code, out, _ = _deploy(*targets, "--dry-run")
    assert code == 0
    assert "0 unchanged" in out and "nothing applied" in out
    assert grafana.dashboards == {} and ruler.namespaces("team-a") == {}
    lines = out.splitlines()
    assert lines[0].startswith(f"ruler {ruler.url}: {groups} to change")  # the ruler goes first
    assert any(line.startswith(f"Grafana {grafana.url}: ") for line in lines)

    code, out, err = _deploy(*targets, "--apply")
    assert code == 0, err
    assert f"applied: ruler {ruler.url}" in out and f"applied: Grafana {grafana.url}" in out
    assert len(grafana.dashboards) == len(boards)
    assert sum(len(g) for g in ruler.namespaces("team-a").values()) == groups
    assert grafana.folder_of("svc-checkout") == "payments"

    code, out, _ = _deploy(*targets, "--dry-run")
    assert code == 0 and "dry run: 0 changes planned" in out


def test_a_token_grafana_refuses_fails_the_deploy_naming_grafana(
    grafana: FakeGrafana, tmp_path: Path
) -> None:
    token = tmp_path / "grafana-token"
    token.write_text("wrong\n")
    grafana.token = "right"
    code, _, err = _deploy(f"--grafana-url={grafana.url}", f"--grafana-token-file={token}", "--apply")
    assert code == 1
    assert f"{grafana.url}/api/" in err and "401" in err
    assert "wrong" not in err  # the secret itself is never printed


def test_an_empty_credentials_file_is_a_usage_error(grafana: FakeGrafana, tmp_path: Path) -> None:
    token = tmp_path / "grafana-token"
    token.write_text("")
    code, _, err = _deploy(f"--grafana-url={grafana.url}", f"--grafana-token-file={token}")
    assert code == 2 and "grafana-token" in err
