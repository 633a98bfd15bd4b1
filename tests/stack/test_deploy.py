"""`gen deploy` against a real Prometheus 2.42 and a clustered pair of Alertmanager 0.25 (run by
LocalStack): a dry run shows what a rebuild changed and applies nothing; --apply reloads and the
servers then run exactly the files; a config the servers refuse fails the deploy and leaves the
old one running."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.stack.local import LocalStack, running_stack
from tests.conftest import require_tool
from tests.stack import scenario
from tests.stack.scenario import http_json

pytestmark = pytest.mark.tools


def gen(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


class Deployed:
    def __init__(self, root: Path, stack: LocalStack) -> None:
        self.root, self.stack = root, stack

    def deploy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        urls = [
            f"--prometheus-url={self.stack.url('prometheus')}",
            f"--alertmanager-url={self.stack.url('alertmanager-1')}",
            f"--alertmanager-url={self.stack.url('alertmanager-2')}",
        ]
        return gen("deploy", "--config-dir", str(self.stack.localized.folder), *urls, *extra, cwd=self.root)

    def rebuild(self, name: str, change: Any) -> None:
        """Edit one definition file, `gen build`, translate again (what `gen dev` does on a build)."""
        path = self.root / name
        path.write_text(change(path.read_text()))
        result = gen("build", "-q", cwd=self.root)
        assert result.returncode == 0, result.stderr
        self.stack.relocalize()

    def alert_names(self) -> set[str]:
        groups = http_json("GET", f"{self.stack.url('prometheus')}/api/v1/rules")["data"]["groups"]
        return {rule["name"] for group in groups for rule in group["rules"] if rule["type"] == "alerting"}

    def group_wait(self, member: str) -> str:
        original = http_json("GET", f"{self.stack.url(member)}/api/v2/status")["config"]["original"]
        return str(yaml.safe_load(original)["route"]["group_wait"])


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    require_tool("prometheus")
    require_tool("prometheus-alertmanager")
    root = tmp_path_factory.mktemp("deploy")
    options = scenario.prepare(root, "http://127.0.0.1:9/healthz", "http://127.0.0.1:9", fast_receiver=False)
    with running_stack(options) as stack:
        yield Deployed(root, stack)


def test_nothing_to_change_right_after_start(deployed: Deployed) -> None:
    result = deployed.deploy("--dry-run", "-v")
    assert result.returncode == 0, result.stderr
    assert "dry run: 0 changes planned" in result.stdout
    # Every generated group is listed as unchanged, and both Alertmanagers.
    assert "unchanged rule group rules/payments/checkout.yml:checkout-health-checks" in result.stdout
    assert result.stdout.count("unchanged config") == 3  # Prometheus and both Alertmanagers


def test_a_rebuild_is_shown_by_a_dry_run_then_applied_and_checked(deployed: Deployed) -> None:
    deployed.rebuild(
        "rules/nightly-import.yaml",
        lambda text: text.replace(
            "    for: 2s\n",
            "    for: 2s\n  - name: ImportErrorsHigh\n    severity: warning\n    metric: errors\n"
            '    rate: 5s\n    op: ">"\n    value: 10\n    for: 1m\n',
            1,
        ),
    )
    deployed.rebuild(
        "alertmanager/alertmanager.yaml", lambda text: text.replace("group_wait: 1s", "group_wait: 3s")
    )
    assert "ImportErrorsHigh" not in deployed.alert_names()

    dry = deployed.deploy("--dry-run", "--diff")
    assert dry.returncode == 0, dry.stderr
    assert "update    rule group rules/platform/nightly-import.yml:nightly-import" in dry.stdout
    assert "+  alert: ImportErrorsHigh" in dry.stdout or "alert: ImportErrorsHigh" in dry.stdout
    assert "+  group_wait: 3s" in dry.stdout
    assert "nothing applied" in dry.stdout
    assert "ImportErrorsHigh" not in deployed.alert_names()  # a dry run changes nothing
    assert deployed.group_wait("alertmanager-1") == "1s"

    applied = deployed.deploy("--apply")
    assert applied.returncode == 0, applied.stderr
    assert f"applied: Prometheus {deployed.stack.url('prometheus')}" in applied.stdout
    assert "ImportErrorsHigh" in deployed.alert_names()
    assert deployed.group_wait("alertmanager-1") == "3s" == deployed.group_wait("alertmanager-2")
    again = deployed.deploy("--dry-run")
    assert "dry run: 0 changes planned" in again.stdout, again.stdout


def test_in_ci_a_dry_run_is_the_default(deployed: Deployed) -> None:
    deployed.rebuild(
        "alertmanager/alertmanager.yaml",
        lambda text: text.replace("group_interval: 2s", "group_interval: 4s"),
    )
    urls = [f"--prometheus-url={deployed.stack.url('prometheus')}", "--skip=prometheus"]
    urls += [f"--alertmanager-url={deployed.stack.url('alertmanager-1')}"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "deploy",
            "--config-dir",
            str(deployed.stack.localized.folder),
            *urls,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=deployed.root,
        env={"PATH": "/usr/bin:/bin", "CI": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert "dry run: 1 changes planned" in result.stdout
    assert deployed.deploy("--apply").returncode == 0


def test_a_rule_file_prometheus_refuses_fails_the_deploy_and_the_old_rules_keep_running(
    deployed: Deployed,
) -> None:
    rules = deployed.root / "generated" / "prometheus" / "rules" / "platform" / "nightly-import.yml"
    saved = rules.read_text()
    before = deployed.alert_names()
    try:
        rules.write_text(saved.replace("> 0", "> > 0", 1))
        result = deployed.deploy("--apply")
        assert result.returncode == 1
        assert "refused the new config and keeps running the old one" in result.stderr
        # Prometheus only says "one or more errors occurred"; promtool names the file and the error.
        assert "nightly-import.yml" in result.stderr and "parse error" in result.stderr, result.stderr
        assert deployed.alert_names() == before
    finally:
        rules.write_text(saved)
    assert deployed.deploy("--apply").returncode == 0


def test_an_alertmanager_config_it_refuses_fails_the_deploy(deployed: Deployed) -> None:
    config = deployed.stack.localized.files["alertmanager/alertmanager.yml"]
    saved = config.read_text()
    try:
        config.write_text(saved.replace("receiver: oncall-fallback", "receiver: nobody", 1))
        result = deployed.deploy("--apply", "--skip=prometheus")
        assert result.returncode == 1
        assert "Alertmanager at" in result.stderr and "keeps running the old one" in result.stderr
        assert "nobody" in result.stderr
    finally:
        config.write_text(saved)


def test_an_unreachable_server_is_named(deployed: Deployed, tmp_path: Path) -> None:
    shutil.copytree(deployed.stack.localized.folder, tmp_path / "config")
    result = gen(
        "deploy", "--config-dir", str(tmp_path / "config"), "--prometheus-url=http://127.0.0.1:9", "--skip=alertmanager",
        cwd=deployed.root,
    )  # fmt: skip
    assert result.returncode == 1
    assert "GET http://127.0.0.1:9/api/v1/status/config: no answer" in result.stderr


def test_gen_devs_reload_on_rebuild_says_what_it_did(deployed: Deployed) -> None:
    """What `gen dev` runs when generated/ changed (in-process here, the subprocess in test_dev)."""
    from generator.stack.command import _describe, _stamp, apply_changes

    before = _stamp(deployed.root / "generated")
    assert apply_changes(deployed.stack) == "generated/ changed; nothing the servers read did"
    deployed.rebuild(
        "alertmanager/alertmanager.yaml",
        lambda text: text.replace("repeat_interval: 1h", "repeat_interval: 2h"),
    )
    assert _stamp(deployed.root / "generated") != before
    message = apply_changes(deployed.stack)
    assert message.startswith("reloaded: Alertmanager") and deployed.stack.url("alertmanager-2") in message
    assert "Prometheus" not in message  # its files did not change

    rules = deployed.root / "generated" / "prometheus" / "rules" / "payments" / "checkout.yml"
    saved = rules.read_text()
    try:
        rules.write_text(saved.replace("== 0", "=== 0", 1))
        failed = apply_changes(deployed.stack)
        assert failed.startswith("reload failed, the old config keeps running: Prometheus at")
    finally:
        rules.write_text(saved)
    description = "\n".join(_describe(deployed.stack))
    assert f"prometheus      {deployed.stack.url('prometheus')}" in description
    assert "grafana         not started" in description
