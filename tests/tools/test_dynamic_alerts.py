"""Anomaly bands and capacity forecasts, proven in promtool on synthetic series.

A spike three deviations out fires and a normal daily cycle does not; a weekly-seasonal drop fires
where the same hour last week was busy; a disk filling at a steady rate fires hours before it is
full while a stable or emptying disk never does.
"""

from __future__ import annotations

import math
import subprocess
from typing import Any

import pytest
import yaml

from generator.pipeline import build
from generator.write import plan, write
from tests.conftest import TEAM, WriteFiles, messages

pytestmark = pytest.mark.tools

RULES = "prometheus/rules/payments/shop.yml"


def _service(alerts: str) -> str:
    return f"""
kind: Service
name: shop
team: payments
metrics:
  requests: {{counter: http_requests_total}}
  sessions: {{gauge: shop_active_sessions}}
  free: {{gauge: shop_disk_free_bytes}}
alerts:
{alerts}
"""


def _run(
    make_repo: WriteFiles, promtool: str, alerts: str, tests: list[dict[str, Any]], interval: str = "5m"
) -> None:
    root = make_repo({"alertmanager/teams.yaml": TEAM, "rules/shop.yaml": _service(alerts)})
    result = build(root)
    assert result.ok, messages(result.diagnostics)
    out = root / "generated"
    write(out, result.files, plan(out, result.files))
    (out / "t.yml").write_text(
        yaml.safe_dump({"rule_files": [RULES], "evaluation_interval": interval, "tests": tests})
    )
    completed = subprocess.run(
        [promtool, "test", "rules", "t.yml"], cwd=out, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _values(numbers: list[float]) -> str:
    return " ".join(f"{n:.3f}" for n in numbers)


def _firing(alert: str, at: str, count: int) -> dict[str, Any]:
    expr = f'count(ALERTS{{alertname="{alert}", alertstate="firing"}})'
    return {"expr": expr, "eval_time": at, "exp_samples": [{"labels": "{}", "value": count}] if count else []}


ANOMALY = """
  - name: SessionsSpike
    severity: warning
    anomaly: {metric: sessions, direction: up, deviations: 3, baseline: 1d, floor: 10}
    for: 10m
"""


def test_a_daily_cycle_stays_inside_the_band_and_a_spike_fires(make_repo: WriteFiles, promtool: str) -> None:
    per_day = 288  # 5-minute samples
    cycle = [100 + 50 * math.sin(2 * math.pi * i / per_day) for i in range(3 * per_day)]
    spiky = list(cycle)
    start = 2 * per_day + per_day // 2  # day 3, 12:00
    for i in range(start, start + 6):  # 30 minutes at 400: far above mean + 3 sigma (about 206)
        spiky[i] = 400
    checks_quiet = [
        _firing("SessionsSpike", f"{day * 24 + hour}h", 0) for day in (1, 2) for hour in (0, 6, 12, 18)
    ]
    _run(
        make_repo,
        promtool,
        ANOMALY,
        [
            {
                "interval": "5m",
                "input_series": [{"series": 'shop_active_sessions{job="shop"}', "values": _values(cycle)}],
                "promql_expr_test": checks_quiet,
            },
            {
                "interval": "5m",
                "input_series": [{"series": 'shop_active_sessions{job="shop"}', "values": _values(spiky)}],
                "promql_expr_test": [
                    _firing("SessionsSpike", "60h", 0),
                    _firing("SessionsSpike", "60h20m", 1),
                ],
            },
        ],
    )


WEEKLY = """
  - name: TrafficDrop
    severity: warning
    anomaly: {metric: requests, direction: down, deviations: 3, baseline: 1h, seasonality: weekly, weeks: 1, floor: 1}
    for: 15m
"""


def test_a_weekly_seasonal_drop_fires_only_against_last_weeks_same_hour(
    make_repo: WriteFiles, promtool: str
) -> None:
    hours = 24 * 8 + 12

    # Busy (10 requests/s) 8:00-20:00 every day, quiet (2/s) at night, with a small ripple; in the
    # second week's day 8 traffic stays at night level through the morning: an outage of demand.
    def rate(hour: float, broken: bool) -> float:
        busy = 8 <= hour % 24 < 20
        if broken and 24 * 7 + 8 <= hour < 24 * 7 + 12:
            busy = False
        return (10 if busy else 2) + 0.2 * math.sin(hour * 7)

    def counter(broken: bool) -> str:
        total, values = 0.0, []
        for step in range(hours * 12):
            values.append(total)
            total += rate(step / 12, broken) * 300
        return _values(values)

    series = 'http_requests_total{job="shop"}'
    _run(
        make_repo,
        promtool,
        WEEKLY,
        [
            {
                "interval": "5m",
                "input_series": [{"series": series, "values": counter(False)}],
                "promql_expr_test": [_firing("TrafficDrop", f"{24 * 7 + h}h", 0) for h in (3, 9, 10, 11, 21)],
            },
            {
                "interval": "5m",
                "input_series": [{"series": series, "values": counter(True)}],
                "promql_expr_test": [
                    _firing("TrafficDrop", f"{24 * 7 + 10}h", 1),
                    _firing("TrafficDrop", "175h", 0),
                ],
            },
        ],
    )


FORECAST = """
  - name: DiskFillingUp
    severity: warning
    forecast: {metric: free, capacity: 100e9, within: 4h, lookback: 6h, guard: 0.4}
    for: 30m
"""


def test_a_disk_filling_steadily_fires_hours_ahead_and_stable_disks_never(
    make_repo: WriteFiles, promtool: str
) -> None:
    gb = 1e9
    filling = [50 * gb - i * gb / 12 for i in range(12 * 50)]  # 1 GB an hour from 50 GB free
    _run(
        make_repo,
        promtool,
        FORECAST,
        [
            {
                "interval": "5m",
                "input_series": [{"series": 'shop_disk_free_bytes{job="shop"}', "values": _values(filling)}],
                "promql_expr_test": [
                    _firing("DiskFillingUp", "40h", 0),  # 10 GB left: more than 4h away
                    _firing("DiskFillingUp", "46h45m", 1),  # about 3 GB left: out in about 3 hours
                    {
                        "expr": 'round(resource:free:days_until_exhausted{service="shop"}, 0.01)',
                        "eval_time": "40h",
                        "exp_samples": [{"labels": '{job="shop", service="shop"}', "value": 0.42}],
                    },
                ],
            },
            {
                "interval": "5m",
                "input_series": [  # 5% free, but not moving; and a disk being emptied
                    {"series": 'shop_disk_free_bytes{job="shop", disk="stable"}', "values": f"{5 * gb}x600"},
                    {
                        "series": 'shop_disk_free_bytes{job="shop", disk="emptying"}',
                        "values": f"{gb}+{gb / 12}x600",
                    },
                ],
                "promql_expr_test": [_firing("DiskFillingUp", f"{h}h", 0) for h in (10, 30, 49)],
            },
        ],
    )
