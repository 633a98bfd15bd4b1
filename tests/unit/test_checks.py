"""Offline checks: each one reports what it promises, with its stable id, and can be switched off."""

from __future__ import annotations

import pytest

from generator import checks
from generator.checks.templates import template_problems
from generator.diagnostics import Severity
from generator.model import Model
from generator.pipeline import build
from tests.conftest import TEAM, WriteFiles, messages

SERVICE = """
kind: Service
name: checkout
team: payments
scrape: {targets: ["checkout:8080"], interval: 30s}
metrics:
  requests: {counter: http_requests_total}
  in_flight: {gauge: http_requests_in_flight}
"""


def _model(make_repo: WriteFiles, body: str, extra: dict[str, str] | None = None) -> Model:
    result = build(
        make_repo({"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": SERVICE + body, **(extra or {})})
    )
    assert result.ok and result.model is not None, messages(result.diagnostics)
    return result.model


def _findings(model: Model, check_id: str) -> list[str]:
    return [d.message for d in checks.run(model) if d.code == check_id]


CASES = [
    (
        "alerts/summary",
        "alerts:\n  - {name: A, severity: warning, expr: up == 0, summary: ' '}\n",
        ["alert A has an empty summary"],
    ),
    (
        "alerts/runbook",
        "alerts:\n  - {name: A, severity: critical, expr: up == 0}\n",
        ["critical alert A has no runbook_url"],
    ),
    (
        "alerts/for",
        "alerts:\n  - {name: A, severity: warning, expr: up == 0, for: 10s}\n",
        ["alert A: for 10s is shorter than the evaluation interval 30s, so it acts as 30s"],
    ),
    (
        "alerts/for",
        "alerts:\n  - {name: A, severity: warning, expr: up == 0, for: 2d}\n",
        [
            "alert A: for 2d is a day or longer; pending state is lost whenever Prometheus is down longer than "
            "its outage tolerance"
        ],
    ),
    (
        "alerts/template",
        "alerts:\n  - {name: A, severity: warning, expr: up == 0, summary: '{{ $value | humanise }}'}\n",
        ["alert A, annotation summary: function 'humanise' is not defined in Prometheus templates"],
    ),
    (
        "alerts/template",
        "alerts:\n  - {name: A, severity: warning, expr: up == 0, summary: '{{ $value '}\n",
        ["alert A, annotation summary: an opening `{{` has no closing `}}`"],
    ),
    (
        "alerts/template-labels",
        "alerts:\n  - {name: A, severity: warning, expr: 'sum by (job) (up) == 0', summary: '{{ $labels.instance }}'}\n",
        ["alert A, annotation summary: $labels.instance is always empty, the expression keeps only: job"],
    ),
    (
        "promql/rate-counter",
        "alerts:\n  - {name: A, severity: warning, expr: 'rate(http_requests_in_flight[5m]) > 1'}\n",
        ["rate() of 'http_requests_in_flight', which does not look like a counter"],
    ),
    (
        "promql/counter-without-rate",
        "alerts:\n  - {name: A, severity: warning, expr: 'http_requests_total > 100'}\n",
        ["counter 'http_requests_total' is used without rate() or increase()"],
    ),
    (
        "promql/rate-window",
        "alerts:\n  - {name: A, severity: warning, expr: 'rate(http_requests_total{job=\"checkout\"}[1m]) > 1'}\n",
        ["range [1m] over http_requests_total spans fewer than 4 scrape intervals (30s each)"],
    ),
    (
        "promql/compatibility",
        "alerts:\n  - {name: A, severity: warning, expr: 'histogram_avg(x) > 1'}\n",
        ["function histogram_avg() does not exist in Prometheus 2.42"],
    ),
    (
        "promql/compatibility",
        "alerts:\n  - {name: A, severity: warning, expr: 'limitk(2, x) > 1'}\n",
        ["aggregation limitk does not exist in Prometheus 2.42"],
    ),
    (
        "rules/record-name",
        "recording:\n  - {record: checkout_requests, expr: 'sum(rate(http_requests_total[5m]))'}\n",
        ["recording rule 'checkout_requests' does not follow level:metric:operations"],
    ),
]


@pytest.mark.parametrize(
    ("check_id", "body", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_check_reports_its_finding(
    make_repo: WriteFiles, check_id: str, body: str, expected: list[str]
) -> None:
    assert _findings(_model(make_repo, body), check_id) == expected


def test_well_written_rules_produce_no_findings(make_repo: WriteFiles) -> None:
    model = _model(
        make_repo,
        """
alerts:
  - name: A
    severity: critical
    expr: sum by (instance) (rate(http_requests_total{job="checkout"}[2m])) > 1
    runbook_url: https://runbooks.example.com/a
    summary: "{{ $labels.instance }}: {{ $value | humanize }} requests/s"
  - {name: B, severity: warning, metric: requests, op: "<", value: 1, for: 10m}
  - {name: C, severity: info, absent: requests}
recording:
  - {record: 'job:http_requests:rate5m', expr: 'sum by (job) (rate(http_requests_total[5m]))'}
""",
    )
    assert messages(checks.run(model)) == []


def test_checks_can_be_switched_off_per_run_per_repository_and_per_rule(make_repo: WriteFiles) -> None:
    body = "alerts:\n  - {name: A, severity: warning, expr: 'http_requests_total > 1'}\n"
    model = _model(make_repo, body)
    assert _findings(model, "promql/counter-without-rate")
    assert not [
        d
        for d in checks.run(model, ["promql/counter-without-rate"])
        if d.code == "promql/counter-without-rate"
    ]
    settings = {
        "prometheus/settings.yaml": "kind: Settings\nchecks: {disabled: [promql/counter-without-rate]}\n"
    }
    assert not _findings(_model(make_repo, body, settings), "promql/counter-without-rate")
    per_rule = body.replace("}", ", disable_checks: [promql/counter-without-rate]}")
    assert not _findings(_model(make_repo, per_rule), "promql/counter-without-rate")


def test_findings_carry_the_checks_id_severity_and_the_definitions_location(make_repo: WriteFiles) -> None:
    model = _model(make_repo, "alerts:\n  - {name: A, severity: warning, expr: 'histogram_avg(x) > 1'}\n")
    (finding,) = [d for d in checks.run(model) if d.code == "promql/compatibility"]
    assert finding.severity is Severity.ERROR
    assert str(finding.location) == "rules/checkout.yaml:9:40"


def test_every_check_is_documented_and_ids_are_unique_and_stable() -> None:
    listed = checks.all_checks()
    ids = [c.id for c in listed]
    assert len(ids) == len(set(ids))
    assert all(c.summary for c in listed)
    assert all("/" in c.id for c in listed)
    assert {
        "alerts/severity",
        "alerts/summary",
        "promql/rate-counter",
        "alerts/for",
        "promtool/rules",
        "promtool/config",
    } <= set(ids)
    assert checks.unknown_ids(["alerts/summary", "nope/never"]) == ["nope/never"]


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("{{ $value | humanizePercentage }}", []),
        ('{{ printf "%.2f" $value }} on {{ $labels.instance }}', []),
        ("{{ if gt $value 1.0 }}high{{ else }}low{{ end }}", []),
        ('{{ range query "up" }}{{ .Labels.job }}{{ end }}', []),
        ("{{ if true }}x", ["an if, range or with block has no `{{ end }}`"]),
        ("x{{ end }}", ["`{{ end }}` without an opening if, range or with"]),
        ("{{ $value }} }}", ["a closing `}}` has no opening `{{`"]),
        ("{{ safeUrl $value }}", ["function 'safeUrl' is not defined in Prometheus templates"]),
    ],
    ids=[
        "pipe-to-a-function",
        "printf-with-a-string",
        "if-else-end",
        "range-over-query",
        "if-without-end",
        "end-without-if",
        "stray-closing-braces",
        "function-from-a-newer-release",
    ],
)
def test_template_syntax(text: str, problems: list[str]) -> None:
    assert template_problems(text) == problems


def test_a_rule_without_a_valid_severity_is_caught(make_repo: WriteFiles) -> None:
    # Definitions cannot produce this (severity is a required field and a reserved label), but rules
    # can reach the model other ways (imports, future kinds); the check guards the output itself.
    import dataclasses

    model = _model(make_repo, "alerts:\n  - {name: A, severity: warning, expr: up == 0}\n")
    group = model.rule_groups[0]
    rule = group.rules[0]
    broken_rule = dataclasses.replace(rule, labels=tuple(p for p in rule.labels if p[0] != "severity"))
    broken = dataclasses.replace(model, rule_groups=(dataclasses.replace(group, rules=(broken_rule,)),))
    assert _findings(broken, "alerts/severity") == ["alert A has severity None"]
