"""Alertmanager as code: the generated tree, receivers and intervals, and mistakes in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import checks
from generator.model import Model
from generator.pipeline import BuildResult, build
from generator.routing import receivers_for
from tests.conftest import WriteFiles, messages

ALERTMANAGER = """
kind: Alertmanager
default_receiver: fallback
smtp: {smarthost: "smtp:587", from: am@example.com}
history: {url: "http://receiver:8080/webhook", credentials_file: /run/secrets/receiver-token}
inhibit_rules:
  - {source: ['severity="critical"'], target: ['severity="warning"'], equal: [alertname, service]}
"""
RECEIVERS = """
kind: Receiver
name: fallback
email: [{to: sre@example.com}]
---
kind: Receiver
name: pager
team: payments
pagerduty: [{routing_key_file: /run/secrets/pd}]
---
kind: Receiver
name: tickets
team: payments
slack: [{channel: "#payments", api_url_file: /run/secrets/slack}]
---
kind: Receiver
name: audit
webhook: [{url: "http://audit:9000/alerts", credentials_file: /run/secrets/audit}]
"""
TEAM = """
kind: Team
name: payments
working_hours: {weekdays: ["monday:friday"], times: ["09:00-17:30"], location: Europe/Berlin}
routing:
  receiver: tickets
  group_by: [alertname, service]
  routes:
    - {matchers: ['severity="critical"'], receiver: audit, continue: true}
    - {matchers: ['severity="critical"'], receiver: pager, repeat_interval: 1h}
    - {matchers: ['service=~"kpi.*"'], receiver: tickets, active_time_intervals: [payments-working-hours]}
"""
SERVICE = """
kind: Service
name: checkout
team: payments
alerts: [{name: Down, severity: critical, metric: up, op: "==", value: 0}]
"""


def _build(make_repo: WriteFiles, **overrides: str) -> BuildResult:
    files = {
        "alertmanager/alertmanager.yaml": ALERTMANAGER,
        "alertmanager/receivers.yaml": RECEIVERS,
        "alertmanager/teams.yaml": TEAM,
        "rules/checkout.yaml": SERVICE,
    }
    files.update({k.replace("__", "/") + ".yaml": v for k, v in overrides.items()})
    return build(make_repo(files))


def _config(result: BuildResult) -> dict[str, Any]:
    assert result.ok, messages(result.diagnostics)
    return dict(yaml.safe_load(result.files["alertmanager/alertmanager.yml"]))


def _model(result: BuildResult) -> Model:
    assert result.ok and result.model is not None, messages(result.diagnostics)
    return result.model


def test_the_tree_is_a_default_route_with_one_route_per_team(make_repo: WriteFiles) -> None:
    config = _config(_build(make_repo))
    root = config["route"]
    assert root["receiver"] == "fallback"
    assert root["group_by"] == ["alertname", "team", "service"]
    (team,) = root["routes"]
    assert team["matchers"] == ['team="payments"'] and team["receiver"] == "tickets"
    assert team["group_by"] == ["alertname", "service"]
    assert [r["receiver"] for r in team["routes"]] == ["audit", "pager", "tickets"]
    assert team["routes"][0]["continue"] is True
    assert team["routes"][1]["repeat_interval"] == "1h"
    assert team["routes"][2]["active_time_intervals"] == ["payments-working-hours"]
    assert config["inhibit_rules"][1:] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "service"],
        }
    ]
    assert config["templates"] == ["templates/*.tmpl"]


def test_history_is_a_webhook_on_every_receiver_and_secrets_are_files(make_repo: WriteFiles) -> None:
    config = _config(_build(make_repo))
    history = {
        "url": "http://receiver:8080/webhook",
        "send_resolved": True,
        "http_config": {
            "authorization": {"type": "Bearer", "credentials_file": "/run/secrets/receiver-token"}
        },
    }
    assert all(history in r["webhook_configs"] for r in config["receivers"])
    by_name = {r["name"]: r for r in config["receivers"]}
    assert by_name["pager"]["pagerduty_configs"][0]["routing_key_file"] == "/run/secrets/pd"
    assert by_name["tickets"]["slack_configs"][0]["api_url_file"] == "/run/secrets/slack"
    assert by_name["tickets"]["slack_configs"][0]["text"] == '{{ template "maac.slack.text" . }}'
    assert by_name["fallback"]["email_configs"][0]["headers"] == {"Subject": '{{ template "maac.title" . }}'}


def test_working_hours_become_a_time_interval(make_repo: WriteFiles) -> None:
    config = _config(_build(make_repo))
    assert config["time_intervals"] == [
        {
            "name": "payments-working-hours",
            "time_intervals": [
                {
                    "times": [{"start_time": "09:00", "end_time": "17:30"}],
                    "weekdays": ["monday:friday"],
                    "location": "Europe/Berlin",
                }
            ],
        }
    ]


def test_the_generated_templates_ship_with_the_config_and_users_templates_are_copied(
    make_repo: WriteFiles,
) -> None:
    make_repo({"alertmanager/templates/mine.tmpl": '{{ define "mine" }}x{{ end }}\n'})
    result = _build(make_repo)
    assert 'define "maac.slack.text"' in result.files["alertmanager/templates/notifications.tmpl"].decode()
    assert result.files["alertmanager/templates/mine.tmpl"] == b'{{ define "mine" }}x{{ end }}\n'


def test_without_an_alertmanager_definition_nothing_of_alertmanager_is_generated(
    make_repo: WriteFiles,
) -> None:
    result = build(make_repo({"rules/t.yaml": "kind: Team\nname: payments\n"}))
    assert result.ok and not any(path.startswith("alertmanager/") for path in result.files)


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "alertmanager/receivers.yaml",
            RECEIVERS + "---\nkind: Receiver\nname: silent\n",
            "alertmanager/receivers.yaml:20:7: name: receiver 'silent' has no channel: alerts routed to it are dropped",
        ),
        (
            "alertmanager/teams.yaml",
            TEAM.replace("receiver: pager", "receiver: pagr"),
            "alertmanager/teams.yaml:9:53: routing.routes[1].receiver: unknown receiver 'pagr'",
        ),
        (
            "alertmanager/teams.yaml",
            TEAM.replace("[payments-working-hours]", "[office-hours]"),
            "alertmanager/teams.yaml:10:83: routing.routes[2].active_time_intervals[0]: unknown time interval "
            "'office-hours'",
        ),
        (
            "alertmanager/alertmanager.yaml",
            ALERTMANAGER.replace('smtp: {smarthost: "smtp:587", from: am@example.com}\n', ""),
            "alertmanager/receivers.yaml:3:8: email: email needs the mail server: set `smtp` in the Alertmanager definition",
        ),
        (
            "alertmanager/receivers.yaml",
            RECEIVERS.replace(", api_url_file: /run/secrets/slack", ""),
            "alertmanager/receivers.yaml:13:9: slack[0]: no Slack webhook: give `api_url_file` here or "
            "`slack_api_url_file` in the Alertmanager definition",
        ),
        (
            "alertmanager/receivers.yaml",
            RECEIVERS.replace("http://audit:9000/alerts", "http://audit:9000/alerts?token=abc"),
            "alertmanager/receivers.yaml:17:17: webhook[0].url: the URL's query parameter 'token' looks like a secret",
        ),
        (
            "alertmanager/receivers.yaml",
            RECEIVERS.replace("name: pager", "name: Pager"),
            "alertmanager/receivers.yaml:6:7: name: expected lower-case letters, digits, `-` and `_` (Alertmanager "
            'escapes anything else in webhook payloads), got "Pager"',
        ),
        (
            "alertmanager/teams.yaml",
            TEAM.replace(
                "['severity=\"critical\"'], receiver: audit", "['severity=critical\"'], receiver: audit"
            ),
            "alertmanager/teams.yaml:8:19: routing.routes[0].matchers[0]: expected an Alertmanager matcher such as "
            'severity="critical" or service=~"cart|checkout", got "severity=critical\\""',
        ),
    ],
    ids=[
        "receiver-without-channels",
        "unknown-receiver",
        "unknown-time-interval",
        "email-without-smtp",
        "slack-without-webhook",
        "token-in-a-webhook-url",
        "receiver-name-with-capitals",
        "malformed-matcher",
    ],
)
def test_mistakes_point_at_the_definition(make_repo: WriteFiles, file: str, text: str, expected: str) -> None:
    files = {
        "alertmanager/alertmanager.yaml": ALERTMANAGER,
        "alertmanager/receivers.yaml": RECEIVERS,
        "alertmanager/teams.yaml": TEAM,
        "rules/checkout.yaml": SERVICE,
        file: text,
    }
    result = build(make_repo(files))
    assert messages(result.diagnostics) == [expected]


def test_routing_follows_alertmanagers_semantics(make_repo: WriteFiles) -> None:
    root = _model(_build(make_repo)).alertmanager.root  # type: ignore[union-attr]
    assert receivers_for(root, {"team": "payments", "severity": "critical"}) == ["audit", "pager"]
    assert receivers_for(root, {"team": "payments", "severity": "warning"}) == ["tickets"]
    assert receivers_for(root, {"team": "payments", "service": "kpis"}) == ["tickets"]
    assert receivers_for(root, {"team": "other"}) == ["fallback"]
    assert receivers_for(root, {}) == ["fallback"]


def _findings(model: Model, check_id: str) -> list[str]:
    return [d.message for d in checks.run(model) if d.code == check_id]


def test_routing_checks_are_quiet_on_a_sound_tree(make_repo: WriteFiles) -> None:
    model = _model(_build(make_repo))
    assert [m for m in messages(checks.run(model)) if "routing/" in m or "receiver" in m] == []
    assert [d for d in checks.run(model) if d.code.startswith(("routing/", "secrets/"))] == []


def test_a_shadowed_route_is_reported(make_repo: WriteFiles) -> None:
    shadowing = TEAM.replace(
        "    - {matchers: ['severity=\"critical\"'], receiver: audit, continue: true}\n",
        "    - {matchers: [], receiver: audit}\n",
    )
    model = _model(_build(make_repo, alertmanager__teams=shadowing))
    assert _findings(model, "routing/shadowed") == [
        "this route is never reached: the route at line 8 (no matchers) takes all its alerts first",
        "this route is never reached: the route at line 8 (no matchers) takes all its alerts first",
    ]


def test_a_team_with_alerts_but_no_routing_is_reported(make_repo: WriteFiles) -> None:
    model = _model(
        _build(
            make_repo, alertmanager__teams="kind: Team\nname: payments\n", alertmanager__receivers=RECEIVERS
        )
    )
    assert _findings(model, "routing/team-route") == [
        "team 'payments' owns alerts but has no `routing`: they all go to the default receiver 'fallback'"
    ]
    assert sorted(_findings(model, "routing/unused-receiver")) == [
        "receiver 'audit' is not used by any route",
        "receiver 'pager' is not used by any route",
        "receiver 'tickets' is not used by any route",
    ]


def test_an_alert_that_reaches_only_a_webhook_reaches_no_human(make_repo: WriteFiles) -> None:
    webhook_only = TEAM.replace("receiver: tickets\n  group_by", "receiver: audit\n  group_by").replace(
        "receiver: tickets, active", "receiver: audit, active"
    )
    model = _model(_build(make_repo, alertmanager__teams=webhook_only))
    assert _findings(model, "routing/human") == [
        "a warning alert of team payments (checkout) reaches only ['audit'], which no human reads",
        "a info alert of team payments (checkout) reaches only ['audit'], which no human reads",
    ]


def test_routing_test_cases_are_evaluated_offline(make_repo: WriteFiles) -> None:
    cases = (
        "kind: RoutingTest\nname: payments\ncases:\n"
        "  - {labels: {team: payments, severity: critical}, receivers: [audit, pager]}\n"
        "  - {labels: {team: payments, severity: warning}, receivers: [pager]}\n"
    )
    model = _model(_build(make_repo, alertmanager__tests=cases))
    (finding,) = [d for d in checks.run(model) if d.code == "routing/tests"]
    assert finding.message == (
        "routing test 'payments': {severity=warning, team=payments} reaches tickets, expected pager"
    )
    assert str(finding.location) == "alertmanager/tests.yaml:5:5"


def test_secret_files_are_checked_where_they_are_present(make_repo: WriteFiles, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    receivers = RECEIVERS.replace("/run/secrets", str(secrets))
    model = _model(_build(make_repo, alertmanager__receivers=receivers))
    assert _findings(model, "secrets/files-exist") == []  # none present: not the stack's host, nothing to say
    (secrets / "pd").write_text("key")
    (secrets / "slack").write_text("https://hooks.example.invalid")
    found = _findings(_model(_build(make_repo, alertmanager__receivers=receivers)), "secrets/files-exist")
    assert found == [
        "secret file /run/secrets/receiver-token does not exist on this host, though 2 other referenced file(s) do",
        f"secret file {secrets}/audit does not exist on this host, though 2 other referenced file(s) do",
    ]


def test_a_users_template_may_not_take_the_generated_templates_name(make_repo: WriteFiles) -> None:
    make_repo({"alertmanager/templates/notifications.tmpl": '{{ define "x" }}{{ end }}\n'})
    result = _build(make_repo)
    assert messages(result.diagnostics) == [
        "alertmanager/templates/notifications.tmpl: notifications.tmpl is the name of the generated templates file"
    ]


def test_members_and_escalation_are_kept_and_checked(make_repo: WriteFiles) -> None:
    team = (
        TEAM
        + "members: [{name: Alice, email: alice@example.com}]\nescalation: [{receiver: pager, wait: 10m}, {receiver: fallback}]\n"
    )
    model = _model(_build(make_repo, alertmanager__teams=team))
    (payments,) = model.teams
    assert [m.name for m in payments.members] == ["Alice"]
    assert [(r, str(w)) for r, w in payments.escalation] == [("pager", "10m"), ("fallback", "15m")]
    broken = _build(
        make_repo, alertmanager__teams=team.replace("receiver: pager, wait", "receiver: pagr, wait")
    )
    assert messages(broken.diagnostics) == [
        "alertmanager/teams.yaml:12:25: escalation[0].receiver: unknown receiver 'pagr'"
    ]


def test_escalated_pages_route_to_the_next_contact_only() -> None:
    """The receiver service re-posts an unacked page with `escalation_target`; the generated tree
    sends it to that contact, ahead of the team routes that would page the first contact again."""
    from generator.pipeline import build
    from tests.conftest import REPO, generated_yaml

    result = build(REPO)
    assert result.ok
    config = generated_yaml(result.files, "alertmanager/alertmanager.yml")
    routes = config["route"]["routes"]
    escalation = [r for r in routes if any("escalation_target" in m for m in r.get("matchers", []))]
    assert [(r["receiver"], r["matchers"]) for r in escalation] == [
        ("oncall-fallback", ['escalation_target="oncall-fallback"'])
    ]
    first_team_route = next(
        i for i, r in enumerate(routes) if any(m.startswith("team=") for m in r.get("matchers", []))
    )
    assert routes.index(escalation[0]) < first_team_route
    # The first contacts (payments-pager, platform-pager) are the teams' own routing, not targets.
    assert not any(r["receiver"].endswith("-pager") for r in escalation)
    receiver = generated_yaml(result.files, "receiver/receiver.yml")
    assert {p["name"]: [s["target"] for s in p["steps"]] for p in receiver["escalation"]} == {
        "payments": ["oncall-fallback"],
        "platform": ["oncall-fallback"],
    }


def test_a_watchdog_fallback_url_with_credentials_is_refused(make_repo: WriteFiles) -> None:
    from generator.pipeline import build

    root = make_repo(
        {
            "alertmanager/alertmanager.yaml": """
            kind: Alertmanager
            default_receiver: hook
            history: {url: "http://receiver:8080/webhook", watchdog_fallback_url: "https://bob:secret@hooks.example.com/x"}
            """,
            "alertmanager/receivers.yaml": """
            kind: Receiver
            name: hook
            webhooks: [{url: "http://hooks.example.com/alert"}]
            """,
        }
    )
    result = build(root)
    assert not result.ok
    assert any(d.path == "history.watchdog_fallback_url" for d in result.diagnostics), messages(
        result.diagnostics
    )
