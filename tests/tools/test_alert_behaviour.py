"""Generated alerts behave as promised, proven by `promtool test rules` on synthetic series.

Each scenario builds definitions, writes the generated rule files, and runs Prometheus' own rule
evaluator over series with a known shape: the alert fires when the condition holds longer than
`for`, stays quiet on noise below the threshold, and its annotations render as users will read
them (templates included).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.pipeline import build
from generator.write import plan, write
from tests.conftest import TEAM, WriteFiles, messages

pytestmark = pytest.mark.tools

SERVICE = """
kind: Service
name: checkout
team: payments
metrics:
  requests: {counter: http_requests_total, description: requests}
  errors: {counter: 'http_requests_total{code=~"5.."}', description: server errors}
  latency: {histogram: http_request_duration_seconds, description: response time}
  depth: {gauge: queue_depth, description: queued jobs}
alerts:
  - {name: HighErrors, severity: critical, metric: errors, per: requests, op: ">", value: 0.05, for: 5m}
  - {name: SlowP99, severity: warning, metric: latency, quantile: 0.99, op: ">", value: 0.5, for: 5m}
  - {name: QueueBacklog, severity: warning, metric: depth, aggregate: max, by: [instance], op: ">", value: 100,
     for: 10m}
  - {name: NoRequests, severity: warning, absent: requests, for: 5m}
"""
SETTINGS = "kind: Settings\ngrafana_url: http://grafana:3000\nrunbook_base_url: https://rb.example.com\n"
RULES = "prometheus/rules/payments/checkout.yml"
LABELS = {"service": "checkout", "team": "payments"}
PANELS = {"HighErrors": 100, "SlowP99": 101, "QueueBacklog": 102, "NoRequests": 103}


def _annotations(alert: str, summary: str, description: str) -> dict[str, str]:
    return {
        "summary": summary,
        "description": description,
        "runbook_url": f"https://rb.example.com/checkout/{alert}",
        # Each alert links to its own panel of the service dashboard, numbered in writing order.
        "dashboard": f"http://grafana:3000/d/svc-checkout?viewPanel={PANELS[alert]}",
    }


def _promtool_test(make_repo: WriteFiles, promtool: str, tests: list[dict[str, Any]]) -> None:
    root = make_repo(
        {
            "alertmanager/teams.yaml": TEAM,
            "rules/checkout.yaml": SERVICE,
            "prometheus/settings.yaml": SETTINGS,
        }
    )
    result = build(root)
    assert result.ok, messages(result.diagnostics)
    out = root / "generated"
    write(out, result.files, plan(out, result.files))
    test_file = out / "test.yml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": [RULES], "evaluation_interval": "1m", "tests": tests}, sort_keys=False)
    )
    completed = subprocess.run(
        [promtool, "test", "rules", test_file.name], cwd=out, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_error_ratio_fires_after_for_and_not_on_noise(make_repo: WriteFiles, promtool: str) -> None:
    firing = {
        "exp_labels": {**LABELS, "severity": "critical"},
        "exp_annotations": _annotations(
            "HighErrors",
            "checkout: ratio of server errors to requests above 5%",
            "checkout: ratio of server errors to requests has been 10% for at least 5m (threshold: above 5%).",
        ),
    }
    _promtool_test(
        make_repo,
        promtool,
        [
            {  # 10% of requests fail from the start: pending from the first evaluation, firing 5m later.
                "interval": "1m",
                "input_series": [
                    {
                        "series": 'http_requests_total{job="checkout", code="200", instance="a"}',
                        "values": "0+540x30",
                    },
                    {
                        "series": 'http_requests_total{job="checkout", code="500", instance="a"}',
                        "values": "0+60x30",
                    },
                ],
                "promql_expr_test": [
                    {
                        "expr": 'service:errors_per_requests:ratio_rate5m{service="checkout"}',
                        "eval_time": "10m",
                        "exp_samples": [
                            {
                                "labels": 'service:errors_per_requests:ratio_rate5m{service="checkout"}',
                                "value": 0.1,
                            }
                        ],
                    }
                ],
                "alert_rule_test": [
                    {"eval_time": "4m", "alertname": "HighErrors", "exp_alerts": []},
                    {"eval_time": "10m", "alertname": "HighErrors", "exp_alerts": [firing]},
                ],
            },
            {  # 0.5% errors: below the threshold, never fires.
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": "0+597x30"},
                    {"series": 'http_requests_total{job="checkout", code="503"}', "values": "0+3x30"},
                ],
                "alert_rule_test": [{"eval_time": "25m", "alertname": "HighErrors", "exp_alerts": []}],
            },
            {  # Another job's errors are not checkout's.
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": "0+600x30"},
                    {"series": 'http_requests_total{job="billing", code="500"}', "values": "0+600x30"},
                ],
                "alert_rule_test": [{"eval_time": "25m", "alertname": "HighErrors", "exp_alerts": []}],
            },
        ],
    )


def test_p99_latency_from_histogram_buckets(make_repo: WriteFiles, promtool: str) -> None:
    def buckets(slow_share: int) -> list[dict[str, str]]:
        # 100 requests a minute; `slow_share` of them take between 1s and 2.5s, the rest under 0.1s.
        series = 'http_request_duration_seconds_bucket{job="checkout", le="%s"}'
        fast = 100 - slow_share
        return [
            {"series": series % "0.1", "values": f"0+{fast}x30"},
            {"series": series % "1", "values": f"0+{fast}x30"},
            {"series": series % "2.5", "values": "0+100x30"},
            {"series": series % "+Inf", "values": "0+100x30"},
        ]

    # With 5 slow requests in 100, rank 99 lies 4/5 into the (1s, 2.5s] bucket: 1 + 0.8 * 1.5 = 2.2s.
    slow = {
        "exp_labels": {**LABELS, "severity": "warning"},
        "exp_annotations": _annotations(
            "SlowP99",
            "checkout: p99 response time above 500ms",
            "checkout: p99 response time has been 2.2s for at least 5m (threshold: above 500ms).",
        ),
    }
    _promtool_test(
        make_repo,
        promtool,
        [
            {
                "interval": "1m",
                "input_series": buckets(5),
                "alert_rule_test": [{"eval_time": "15m", "alertname": "SlowP99", "exp_alerts": [slow]}],
            },
            {
                "interval": "1m",
                "input_series": buckets(0),
                "alert_rule_test": [{"eval_time": "15m", "alertname": "SlowP99", "exp_alerts": []}],
            },
        ],
    )


def test_gauge_per_instance_needs_the_whole_for(make_repo: WriteFiles, promtool: str) -> None:
    backlog = {
        "exp_labels": {**LABELS, "severity": "warning", "instance": "b"},
        "exp_annotations": _annotations(
            "QueueBacklog",
            "checkout: queued jobs above 100 on b",
            "checkout on b: queued jobs has been 150 for at least 10m (threshold: above 100).",
        ),
    }
    _promtool_test(
        make_repo,
        promtool,
        [
            {
                "interval": "1m",
                "input_series": [
                    # a: a 5-minute spike, shorter than `for`; b: stays high.
                    {"series": 'queue_depth{job="checkout", instance="a"}', "values": "10x5 500x5 10x20"},
                    {"series": 'queue_depth{job="checkout", instance="b"}', "values": "150x30"},
                ],
                "alert_rule_test": [
                    {"eval_time": "9m", "alertname": "QueueBacklog", "exp_alerts": []},
                    {"eval_time": "12m", "alertname": "QueueBacklog", "exp_alerts": [backlog]},
                ],
            }
        ],
    )


def test_absent_fires_when_the_series_vanish(make_repo: WriteFiles, promtool: str) -> None:
    missing = {
        "exp_labels": {**LABELS, "severity": "warning", "job": "checkout"},
        "exp_annotations": _annotations(
            "NoRequests",
            "checkout: no data for requests",
            'No series matched http_requests_total{job="checkout"} for 5m: the target is down, the scrape fails, '
            "or the code stopped reporting this metric.",
        ),
    }
    _promtool_test(
        make_repo,
        promtool,
        [
            {
                "interval": "1m",
                # Reported for 5 minutes, then gone (staleness takes 5 minutes to forget the last sample).
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": "0+60x5"}
                ],
                "alert_rule_test": [
                    {"eval_time": "5m", "alertname": "NoRequests", "exp_alerts": []},
                    {"eval_time": "20m", "alertname": "NoRequests", "exp_alerts": [missing]},
                ],
            }
        ],
    )


def test_generated_rule_files_pass_promtool_lint(
    tmp_path: Path, make_repo: WriteFiles, promtool: str
) -> None:
    root = make_repo({"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": SERVICE})
    result = build(root)
    write(tmp_path, result.files, plan(tmp_path, result.files))
    completed = subprocess.run(
        [promtool, "check", "rules", "--lint=all", "--lint-fatal", RULES],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS: 9 rules found" in completed.stdout
