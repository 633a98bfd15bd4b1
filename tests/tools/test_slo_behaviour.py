"""SLO rules on synthetic series, in promtool: traffic-weighted ratios, no NaN without traffic,
0 before the first error, and the SLA series a report reads."""

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
  requests: {counter: http_requests_total}
  errors: {counter: 'http_requests_total{code=~"5.."}'}
slos:
  - {name: availability, objective: 99.9, period: 7d, sli: {events: {errors: errors, total: requests}}}
"""
RULES = "prometheus/rules/payments/checkout.yml"
SEL = '{service="checkout", sli="availability"}'


def _run(make_repo: WriteFiles, promtool: str, tests: list[dict[str, Any]]) -> None:
    root = make_repo({"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": SERVICE})
    result = build(root)
    assert result.ok, messages(result.diagnostics)
    out = root / "generated"
    write(out, result.files, plan(out, result.files))
    (out / "t.yml").write_text(
        yaml.safe_dump({"rule_files": [RULES], "evaluation_interval": "1m", "tests": tests})
    )
    completed = subprocess.run(
        [promtool, "test", "rules", "t.yml"], cwd=out, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _expect(expr: str, at: str, value: float | None, labels: str = "{}") -> dict[str, Any]:
    samples = [] if value is None else [{"labels": labels, "value": value}]
    return {"expr": expr, "eval_time": at, "exp_samples": samples}


def test_the_long_window_ratio_is_weighted_by_traffic_not_an_average_of_ratios(
    make_repo: WriteFiles, promtool: str
) -> None:
    # First hour: 6000 requests a minute, 10% failing. Second hour: 60 a minute, none failing.
    # Weighted by traffic the 2h error ratio is 36000 / 363600 = 0.099; an average of the two
    # hours' ratios (Sloth's shape) would say 0.05. The 7d SLO's 16h48m window holds both hours.
    ok = "0+5400x60 324000+60x60"
    failed = "0+600x60 36000x60"
    _run(
        make_repo,
        promtool,
        [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": ok},
                    {"series": 'http_requests_total{job="checkout", code="500"}', "values": failed},
                ],
                "promql_expr_test": [
                    _expect(
                        f"round(slo:sli_error:ratio_rate16h48m{SEL}, 0.01)",
                        "125m",
                        0.1,
                        '{service="checkout", sli="availability"}',
                    )
                ],
            }
        ],
    )


def test_no_traffic_is_a_ratio_of_zero_and_no_errors_yet_is_zero(
    make_repo: WriteFiles, promtool: str
) -> None:
    _run(
        make_repo,
        promtool,
        [
            {  # Traffic stops: counters flat. 0/0 would be NaN; the ratio must read 0.
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": "100x120"},
                    {"series": 'http_requests_total{job="checkout", code="500"}', "values": "5x120"},
                ],
                "promql_expr_test": [
                    _expect(
                        f"slo:sli_error:ratio_rate5m{SEL}",
                        "60m",
                        0,
                        labels=('slo:sli_error:ratio_rate5m{service="checkout", sli="availability"}'),
                    ),
                    _expect(
                        f"slo:sli_error:ratio_rate16h48m{SEL}",
                        "60m",
                        0,
                        labels=('slo:sli_error:ratio_rate16h48m{service="checkout", sli="availability"}'),
                    ),
                ],
            },
            {  # Traffic, but no 5xx series exists at all: 0, not "no data".
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": "0+60x120"}
                ],
                "promql_expr_test": [
                    _expect(
                        f"slo:sli_error:ratio_rate14m{SEL}",
                        "90m",
                        0,
                        labels=('slo:sli_error:ratio_rate14m{service="checkout", sli="availability"}'),
                    )
                ],
                "alert_rule_test": [{"eval_time": "90m", "alertname": "SLONoData", "exp_alerts": []}],
            },
        ],
    )


def test_compliance_and_remaining_budget_for_the_sla_report(make_repo: WriteFiles, promtool: str) -> None:
    # 0.05% of requests fail over the whole (short) history: compliance 99.95%, half the budget left.
    _run(
        make_repo,
        promtool,
        [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{job="checkout", code="200"}', "values": "0+19990x180"},
                    {"series": 'http_requests_total{job="checkout", code="500"}', "values": "0+10x180"},
                ],
                "promql_expr_test": [
                    _expect(
                        "round(slo:compliance:ratio, 0.0001)",
                        "170m",
                        0.9995,
                        '{service="checkout", sli="availability", slo="availability"}',
                    ),
                    _expect(
                        "round(slo:error_budget_remaining:ratio, 0.01)",
                        "170m",
                        0.5,
                        '{service="checkout", sli="availability", slo="availability"}',
                    ),
                    _expect(
                        "slo:objective:ratio",
                        "170m",
                        0.999,
                        'slo:objective:ratio{service="checkout", sli="availability", slo="availability"}',
                    ),
                ],
            }
        ],
    )


def test_slo_rule_file_passes_promtool_with_lint(
    make_repo: WriteFiles, promtool: str, tmp_path: Path
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
