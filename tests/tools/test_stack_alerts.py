"""The stack's own alerts fire on the failures they name (promtool on synthetic self-metrics)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from generator.pipeline import build
from generator.write import plan, write
from tests.conftest import TEAM, WriteFiles, messages

pytestmark = pytest.mark.tools


def test_watchdog_always_fires_and_failures_fire_their_alerts(make_repo: WriteFiles, promtool: str) -> None:
    root = make_repo(
        {
            "alertmanager/teams.yaml": TEAM,
            "prometheus/settings.yaml": "kind: Settings\nstack_alerts: {team: payments}\n",
        }
    )
    result = build(root)
    assert result.ok, messages(result.diagnostics)
    out = root / "generated"
    write(out, result.files, plan(out, result.files))

    def firing(alert: str, at: str, count: int) -> dict[str, object]:
        expr = f'count(ALERTS{{alertname="{alert}", alertstate="firing"}})'
        return {
            "expr": expr,
            "eval_time": at,
            "exp_samples": [{"labels": "{}", "value": count}] if count else [],
        }

    tests = [
        {
            "interval": "1m",
            "input_series": [
                {"series": "prometheus_config_last_reload_successful", "values": "1x20 0x40"},
                {"series": 'up{job="node", instance="a"}', "values": "1x60"},
                {"series": 'up{job="node", instance="b"}', "values": "1x20 0x40"},
                {"series": 'alertmanager_notifications_total{integration="slack"}', "values": "0+100x60"},
                {
                    "series": 'alertmanager_notifications_failed_total{integration="slack"}',
                    "values": "0x20 0+10x40",
                },
                {"series": "prometheus_notifications_alertmanagers_discovered", "values": "2x60"},
            ],
            "promql_expr_test": [
                firing("Watchdog", "1m", 1),
                firing("Watchdog", "50m", 1),
                firing("PrometheusConfigReloadFailed", "20m", 0),
                firing("PrometheusConfigReloadFailed", "40m", 1),
                firing("TargetsDown", "15m", 0),
                firing("TargetsDown", "40m", 1),
                firing("AlertmanagerNotificationsFailing", "15m", 0),
                firing("AlertmanagerNotificationsFailing", "45m", 1),
                firing("PrometheusNotConnectedToAlertmanagers", "50m", 0),
            ],
        }
    ]
    (out / "t.yml").write_text(
        yaml.safe_dump(
            {
                "rule_files": ["prometheus/rules/payments/stack.yml"],
                "evaluation_interval": "1m",
                "tests": tests,
            }
        )
    )
    completed = subprocess.run(
        [promtool, "test", "rules", "t.yml"], cwd=out, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
