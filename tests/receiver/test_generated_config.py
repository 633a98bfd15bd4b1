"""The generator's receiver config is judged by its consumer: receiver/config.py loads it."""

from __future__ import annotations

from pathlib import Path

import yaml

from generator.compile.receiver_config import compile_receiver_config
from generator.pipeline import build
from receiver.config import Config, load_config
from tests.conftest import REPO, WriteFiles, messages


def test_the_repositorys_teams_become_escalation_policies_the_receiver_loads(tmp_path: Path) -> None:
    result = build(REPO)
    assert result.ok and result.model is not None, messages(result.diagnostics)
    (artifact,) = compile_receiver_config(result.model)
    assert artifact.path == "receiver/receiver.yml"
    path = tmp_path / "receiver.yml"
    path.write_text(yaml.safe_dump(artifact.content))
    config = load_config(path)
    payments = config.policy_named("payments")
    assert payments is not None and payments.match == {"team": "payments", "severity": "critical"}
    # payments: pager (routing notifies it), 15m without an ack, then the fallback.
    assert [(step.target, step.wait) for step in payments.steps] == [("oncall-fallback", 900.0)]
    assert config.watchdog.alertname == "Watchdog" and config.watchdog.interval == 60.0
    # The dead man's switch reports past Alertmanager, to the URL the definitions give.
    assert config.watchdog.fallback_url == "https://heartbeat.example.com/monitoring-as-code"
    assert config.policy_for({"team": "payments", "severity": "warning"}) is None


def test_no_history_receiver_means_no_receiver_config(make_repo: WriteFiles) -> None:
    root = make_repo(
        {
            "alertmanager/teams.yaml": """
            kind: Team
            name: payments
            routing: {receiver: hook}
            escalation:
              - {receiver: hook, wait: 5m}
            """,
            "alertmanager/receivers.yaml": """
            kind: Receiver
            name: hook
            webhook: [{url: "http://hooks.example.com/x"}]
            """,
            "alertmanager/alertmanager.yaml": "kind: Alertmanager\ndefault_receiver: hook\n",
        }
    )
    result = build(root)
    assert result.ok and result.model is not None, messages(result.diagnostics)
    assert compile_receiver_config(result.model) == []
    assert Config().escalation == []


def test_a_team_with_one_contact_gets_no_policy(make_repo: WriteFiles) -> None:
    root = make_repo(
        {
            "alertmanager/teams.yaml": """
            kind: Team
            name: payments
            routing: {receiver: hook}
            escalation:
              - {receiver: hook, wait: 5m}
            """,
            "alertmanager/receivers.yaml": """
            kind: Receiver
            name: hook
            webhook: [{url: "http://hooks.example.com/x"}]
            """,
            "alertmanager/alertmanager.yaml": """
            kind: Alertmanager
            default_receiver: hook
            history: {url: "http://receiver:8080/webhook"}
            """,
        }
    )
    result = build(root)
    assert result.ok and result.model is not None, messages(result.diagnostics)
    (artifact,) = compile_receiver_config(result.model)
    assert artifact.content["escalation"] == []  # the routing already notifies the only contact
    assert artifact.sources == ("alertmanager/teams.yaml",)
