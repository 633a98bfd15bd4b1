"""Noise reduction (generated inhibitions, digests) and the stack's own alerts (the Watchdog)."""

from __future__ import annotations

from typing import Any

import yaml

from generator import checks
from generator.pipeline import BuildResult, build
from generator.routing import receivers_for
from generator.stack_alerts import STACK_ALERTS
from tests.conftest import WriteFiles, messages
from tests.unit.test_alertmanager import ALERTMANAGER, RECEIVERS, TEAM

SERVICES = """
kind: Service
name: checkout
team: payments
depends_on: [orders-db]
alerts: [{name: CheckoutDown, severity: critical, metric: up, op: "==", value: 0}]
---
kind: Service
name: orders-db
team: payments
alerts: [{name: OrdersDbDown, severity: critical, metric: up, op: "==", value: 0}]
"""
SETTINGS = "kind: Settings\nrunbook_base_url: https://rb.example.com\nstack_alerts: {team: payments}\n"


def _build(make_repo: WriteFiles, **files: str) -> BuildResult:
    base = {
        "alertmanager/alertmanager.yaml": ALERTMANAGER,
        "alertmanager/receivers.yaml": RECEIVERS,
        "alertmanager/teams.yaml": TEAM,
        "rules/services.yaml": SERVICES,
        "prometheus/settings.yaml": SETTINGS,
    }
    base.update({k.replace("__", "/") + ".yaml": v for k, v in files.items()})
    return build(make_repo(base))


def _config(result: BuildResult) -> dict[str, Any]:
    assert result.ok, messages(result.diagnostics)
    return dict(yaml.safe_load(result.files["alertmanager/alertmanager.yml"]))


def test_generated_inhibitions_come_first_and_cover_dependencies(make_repo: WriteFiles) -> None:
    rules = _config(_build(make_repo))["inhibit_rules"]
    assert rules[0] == {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity="warning"'],
        "equal": ["alertname", "service", "instance"],
    }
    assert rules[1] == {
        "source_matchers": ['service="orders-db"', 'severity="critical"'],
        "target_matchers": ['service="checkout"'],
    }
    # The user's own rule follows the generated ones.
    assert rules[2]["source_matchers"] == ['severity="critical"'] and rules[2]["equal"] == [
        "alertname",
        "service",
    ]


def test_the_critical_over_warning_rule_can_be_switched_off(make_repo: WriteFiles) -> None:
    config = _config(
        _build(make_repo, alertmanager__alertmanager=ALERTMANAGER + "inhibit_warning_when_critical: false\n")
    )
    assert all(r.get("equal") != ["alertname", "service", "instance"] for r in config["inhibit_rules"])


def test_a_digest_batches_low_severities_before_the_teams_routes(make_repo: WriteFiles) -> None:
    team = TEAM.replace(
        "  group_by: [alertname, service]\n",
        "  group_by: [alertname, service]\n  digest: {severities: [info, warning], group_interval: 12h}\n",
    )
    result = _build(make_repo, alertmanager__teams=team)
    payments = _config(result)["route"]["routes"][1]
    assert payments["routes"][0] == {
        "matchers": ['severity=~"info|warning"'],
        "group_by": ["team", "severity"],
        "group_wait": "10m",
        "group_interval": "12h",
        "repeat_interval": "1d",
    }
    assert result.model is not None and result.model.alertmanager is not None
    root = result.model.alertmanager.root
    assert receivers_for(root, {"team": "payments", "severity": "warning"}) == [
        "tickets"
    ]  # the team's receiver
    assert receivers_for(root, {"team": "payments", "severity": "critical"}) == ["audit", "pager"]


def test_the_watchdog_goes_to_its_own_receiver_every_minute(make_repo: WriteFiles) -> None:
    result = _build(make_repo)
    config = _config(result)
    route = config["route"]["routes"][0]
    assert route == {
        "receiver": "watchdog",
        "matchers": ['alertname="Watchdog"'],
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "1m",
    }
    watchdog = next(r for r in config["receivers"] if r["name"] == "watchdog")
    assert [w["url"] for w in watchdog["webhook_configs"]] == ["http://receiver:8080/webhook"]  # the history
    assert result.model is not None and result.model.alertmanager is not None
    assert receivers_for(result.model.alertmanager.root, {"alertname": "Watchdog", "team": "payments"}) == [
        "watchdog"
    ]


def test_the_stack_alerts_are_generated_for_the_team_with_runbooks(make_repo: WriteFiles) -> None:
    result = _build(make_repo)
    assert result.ok, messages(result.diagnostics)
    rules = yaml.safe_load(result.files["prometheus/rules/payments/stack.yml"])["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == [a.name for a in STACK_ALERTS]
    assert rules[0]["alert"] == "Watchdog" and rules[0]["expr"] == "vector(1)"
    assert all(r["labels"]["team"] == "payments" for r in rules)
    assert (
        rules[1]["annotations"]["runbook_url"]
        == "https://rb.example.com/stack/PrometheusRuleEvaluationFailures"
    )
    assert result.model is not None
    assert [d for d in checks.run(result.model) if d.code.startswith(("alerts/", "promql/"))] == []


def test_mistakes_in_dependencies_and_stack_settings(make_repo: WriteFiles) -> None:
    result = _build(
        make_repo,
        rules__services=SERVICES.replace("depends_on: [orders-db]", "depends_on: [orders-bd, checkout]"),
        prometheus__settings=SETTINGS.replace("{team: payments}", "{team: paymnets}"),
        alertmanager__receivers=RECEIVERS
        + "---\nkind: Receiver\nname: watchdog\nemail: [{to: x@example.com}]\n",
    )
    assert messages(result.diagnostics) == [
        "alertmanager/receivers.yaml:20:7: name: the receiver name 'watchdog' is taken by the generated Watchdog route",
        "prometheus/settings.yaml:3:22: stack_alerts.team: unknown team 'paymnets'",
        "rules/services.yaml:4:14: depends_on[0]: unknown service 'orders-bd'",
        "rules/services.yaml:4:25: depends_on[1]: a service cannot depend on itself",
    ]
