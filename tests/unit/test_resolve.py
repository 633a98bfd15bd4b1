"""Resolve: threshold alerts become the PromQL a careful person would write, with defaults filled in."""

from __future__ import annotations

from typing import Any

import pytest

from generator.pipeline import BuildResult, build
from tests.conftest import TEAM, WriteFiles, messages, rules_by_name

SERVICE = """
kind: Service
name: checkout
team: payments
metrics:
  requests: {counter: http_requests_total}
  errors: {counter: 'http_requests_total{code=~"5.."}', description: server errors}
  latency: {histogram: http_request_duration_seconds, description: response time}
  in_flight: {gauge: http_requests_in_flight}
  pool_used: {gauge: db_pool_in_use}
  pool_max: {gauge: db_pool_max}
alerts:
"""
RULES = "prometheus/rules/payments/checkout.yml"


def _build(make_repo: WriteFiles, alerts: str, extra: dict[str, str] | None = None) -> BuildResult:
    files = {"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": SERVICE + alerts, **(extra or {})}
    return build(make_repo(files))


def _rules(
    make_repo: WriteFiles, alerts: str, extra: dict[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    result = _build(make_repo, alerts, extra)
    assert result.ok, messages(result.diagnostics)
    return rules_by_name(result.files, RULES)


def test_a_ratio_of_two_counters_is_recorded_in_a_chain_and_compared(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - {name: HighErrors, severity: critical, metric: errors, per: requests, op: ">", value: 0.05}
    """,
    )
    assert (
        rules["service:errors:rate5m"]["expr"]
        == 'sum(rate(http_requests_total{code=~"5..", job="checkout"}[5m]))'
    )
    assert rules["service:requests:rate5m"]["expr"] == 'sum(rate(http_requests_total{job="checkout"}[5m]))'
    assert rules["service:errors_per_requests:ratio_rate5m"]["expr"] == (
        'service:errors:rate5m{service="checkout"}\n/\nservice:requests:rate5m{service="checkout"}'
    )
    alert = rules["HighErrors"]
    assert alert["expr"] == 'service:errors_per_requests:ratio_rate5m{service="checkout"} > 0.05'
    assert alert["for"] == "5m"  # the default of alert_defaults
    assert alert["labels"] == {"service": "checkout", "severity": "critical", "team": "payments"}
    assert alert["annotations"]["summary"] == "checkout: ratio of server errors to requests above 5%"
    assert "{{ $value | humanizePercentage }}" in alert["annotations"]["description"]
    # Every generated recording rule carries the service label, so one query shows all services.
    assert rules["service:requests:rate5m"]["labels"] == {"service": "checkout"}


def test_a_histogram_quantile_is_recorded_from_bucket_rates(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - {name: Slow, severity: warning, metric: latency, quantile: 0.99, op: ">", value: 0.25, by: [route]}
    """,
    )
    assert rules["service_route:latency_bucket:rate5m"]["expr"] == (
        'sum by (le, route) (rate(http_request_duration_seconds_bucket{job="checkout"}[5m]))'
    )
    assert rules["service_route:latency:p99_rate5m"]["expr"] == (
        'histogram_quantile(0.99, service_route:latency_bucket:rate5m{service="checkout"})'
    )
    alert = rules["Slow"]
    assert alert["expr"] == 'service_route:latency:p99_rate5m{service="checkout"} > 0.25'
    assert alert["annotations"]["summary"] == "checkout: p99 response time above 250ms on {{ $labels.route }}"
    assert "humanizeDuration" in alert["annotations"]["description"]


def test_alerts_of_a_service_share_recordings_and_windows_can_differ(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - {name: A, severity: critical, metric: errors, per: requests, op: ">", value: 0.05}
      - {name: B, severity: warning, metric: errors, per: requests, op: ">", value: 0.01, rate: 1h}
      - {name: C, severity: warning, metric: requests, op: "<", value: 1}
    """,
    )
    records = sorted(name for name, rule in rules.items() if "record" in rule)
    assert records == [
        "service:errors:rate1h",
        "service:errors:rate5m",
        "service:errors_per_requests:ratio_rate1h",
        "service:errors_per_requests:ratio_rate5m",
        "service:requests:rate1h",
        "service:requests:rate5m",
    ]
    assert rules["C"]["expr"] == 'service:requests:rate5m{service="checkout"} < 1'


def test_gauges_are_compared_per_series_unless_aggregated(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - {name: PerSeries, severity: warning, metric: in_flight, op: ">", value: 100}
      - {name: Summed, severity: warning, metric: in_flight, aggregate: sum, by: [instance], op: ">", value: 100}
      - {name: PoolFull, severity: critical, metric: pool_used, per: pool_max, by: [instance], op: ">=", value: 0.9}
    """,
    )
    assert rules["PerSeries"]["expr"] == 'http_requests_in_flight{job="checkout"} > 100'
    assert rules["Summed"]["expr"] == 'sum by (instance) (http_requests_in_flight{job="checkout"}) > 100'
    assert rules["PoolFull"]["expr"] == (
        '(\n  sum by (instance) (db_pool_in_use{job="checkout"})\n  /\n'
        '  sum by (instance) (db_pool_max{job="checkout"})\n)\n>= 0.9'
    )


def test_a_selector_that_is_not_a_shortcut_is_used_as_written(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - {name: DiskLow, severity: critical, metric: 'node_filesystem_avail_bytes{mountpoint="/"}', op: "<", value: 1073741824}
      - {name: Restarts, severity: warning, metric: process_restarts_total, rate: 15m, aggregate: max, op: ">", value: 0}
      - {name: Down, severity: critical, metric: up, op: "==", value: 0}
    """,
    )
    assert rules["DiskLow"]["expr"] == 'node_filesystem_avail_bytes{mountpoint="/"} < 1073741824'
    assert rules["DiskLow"]["annotations"]["summary"] == "checkout: node_filesystem_avail_bytes below 1GiB"
    assert rules["Restarts"]["expr"] == "max(rate(process_restarts_total[15m])) > 0"
    # `up` is a shortcut every service has: it is scoped to the service's selector.
    assert rules["Down"]["expr"] == 'up{job="checkout"} == 0'


def test_absent_alerts_watch_the_shortcuts_series(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - {name: NoRequests, severity: warning, absent: requests, for: 10m}
      - {name: NoLatency, severity: warning, absent: latency}
      - {name: NoBuildInfo, severity: info, absent: 'build_info{app="checkout"}'}
    """,
    )
    assert rules["NoRequests"]["expr"] == 'absent(http_requests_total{job="checkout"})'
    assert rules["NoRequests"]["for"] == "10m"
    assert rules["NoLatency"]["expr"] == 'absent(http_request_duration_seconds_bucket{job="checkout"})'
    assert rules["NoBuildInfo"]["expr"] == 'absent(build_info{app="checkout"})'


def test_raw_promql_passes_through_with_labels_and_annotations(make_repo: WriteFiles) -> None:
    rules = _rules(
        make_repo,
        """
      - name: TooManyRestarts
        severity: warning
        expr: |
          increase(kube_pod_container_status_restarts_total{container="checkout"}[1h]) > 3
        for: 0s
        labels: {component: api}
        summary: "{{ $labels.pod }} restarted {{ $value }} times"
        runbook_url: https://wiki.example.com/restarts
        annotations: {playbook: restart}
    """,
    )
    alert = rules["TooManyRestarts"]
    assert alert["expr"] == 'increase(kube_pod_container_status_restarts_total{container="checkout"}[1h]) > 3'
    assert "for" not in alert  # 0s is Prometheus' default, so it is left out
    assert alert["labels"] == {
        "component": "api",
        "service": "checkout",
        "severity": "warning",
        "team": "payments",
    }
    assert alert["annotations"]["summary"] == "{{ $labels.pod }} restarted {{ $value }} times"
    assert alert["annotations"]["runbook_url"] == "https://wiki.example.com/restarts"
    assert alert["annotations"]["playbook"] == "restart"
    assert list(alert["annotations"])[:2] == ["summary", "description"]


def test_links_are_filled_from_settings_and_the_teams_runbooks(make_repo: WriteFiles) -> None:
    settings = {
        "prometheus/settings.yaml": """
        kind: Settings
        grafana_url: https://grafana.example.com/
        runbook_base_url: https://runbooks.example.com
        alert_defaults: {for: 2m}
    """
    }
    rules = _rules(
        make_repo, "  - {name: A, severity: critical, metric: requests, op: '<', value: 1}\n", settings
    )
    annotations = rules["A"]["annotations"]
    assert annotations["runbook_url"] == "https://runbooks.example.com/checkout/A"
    assert annotations["dashboard"] == "https://grafana.example.com/d/svc-checkout?viewPanel=100"
    assert rules["A"]["for"] == "2m"
    team_with_runbooks = {
        "alertmanager/teams.yaml": TEAM + "runbook_base_url: https://payments.example.com/rb\n"
    }
    rules = _rules(
        make_repo,
        "  - {name: A, severity: critical, metric: requests, op: '<', value: 1}\n",
        {**settings, **team_with_runbooks},
    )
    assert rules["A"]["annotations"]["runbook_url"] == "https://payments.example.com/rb/checkout/A"


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        (
            "{name: A, severity: warning, metric: latency, op: '>', value: 1}",
            "rules/checkout.yaml:12:42: alerts[0].metric: 'latency' is a histogram: say which `quantile` to compare",
        ),
        (
            "{name: A, severity: warning, metric: errors, per: in_flight, op: '>', value: 1}",
            "rules/checkout.yaml:12:55: alerts[0].per: `per` must name a counter shortcut of the service, "
            "got 'in_flight'",
        ),
        (
            "{name: A, severity: warning, metric: errors, aggregate: max, op: '>', value: 1}",
            "rules/checkout.yaml:12:61: alerts[0].aggregate: 'errors' is a counter: its rates are summed, "
            "aggregate 'max' does not apply",
        ),
        (
            "{name: A, severity: warning, metric: in_flight, by: [pod], op: '>', value: 1}",
            "rules/checkout.yaml:12:57: alerts[0].by: `by` needs an `aggregate` (sum, max, min, avg or count) "
            "for a gauge",
        ),
        (
            "{name: A, severity: warning, metric: erors, op: '>', value: 1}",
            "rules/checkout.yaml:12:42: alerts[0].metric: 'erors' is not a metric shortcut of checkout",
        ),
        (
            "{name: A, severity: warning, metric: 'rate(x[5m])', op: '>', value: 1}",
            "rules/checkout.yaml:12:42: alerts[0].metric: expected a metric selector such as "
            "http_requests_total{code=~\"5..\"}, not an expression: 'rate(x[5m])'",
        ),
        (
            "{name: A, severity: warning, expr: 'x[5m]'}",
            "rules/checkout.yaml:12:40: alerts[0].expr: the expression returns a range vector, rules need an "
            "instant vector",
        ),
        (
            "{name: A, severity: warning, expr: 'sum(x'}",
            "rules/checkout.yaml:12:44: alerts[0].expr: invalid PromQL: unclosed left parenthesis",
        ),
        (
            "{name: A, severity: warning, expr: up, labels: {severity: page}}",
            "rules/checkout.yaml:12:53: alerts[0].labels.severity: label 'severity' is set by the generator",
        ),
        (
            "{name: A, severity: warning, expr: up, annotations: {summary: x}}",
            "rules/checkout.yaml:12:58: alerts[0].annotations.summary: annotation 'summary' has its own field",
        ),
        (
            "{name: A, severity: warning, quantile: 0.9, metric: errors, op: '>', value: 1}",
            "rules/checkout.yaml:12:44: alerts[0].quantile: `quantile` applies to histograms, 'errors' is a counter",
        ),
    ],
    ids=[
        "histogram-without-quantile",
        "per-names-a-gauge",
        "aggregate-on-a-counter",
        "by-without-aggregate",
        "typo-of-a-shortcut",
        "expression-where-a-selector-belongs",
        "range-vector-expression",
        "unbalanced-parenthesis",
        "reserved-label",
        "summary-under-annotations",
        "quantile-on-a-counter",
    ],
)
def test_mistakes_in_alerts_point_at_the_field(make_repo: WriteFiles, alert: str, expected: str) -> None:
    result = _build(make_repo, f"  - {alert}\n")
    assert not result.ok
    assert messages(result.diagnostics) == [expected]


def test_duplicate_alert_names_in_one_service_are_refused(make_repo: WriteFiles) -> None:
    result = _build(
        make_repo,
        """
      - {name: A, severity: warning, expr: up == 0}
      - {name: A, severity: critical, expr: up == 0}
    """,
    )
    assert messages(result.diagnostics) == [
        "rules/checkout.yaml:14:16: alerts[1].name: duplicate alert name 'A' in checkout"
    ]
