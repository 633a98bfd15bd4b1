"""Scenarios that prove each SLO's alerts with `promtool test rules` (run by `gen check`).

For every SLO four scenarios run on synthetic counters, against rules generated exactly as the
SLO's own (same objective, period, windows, thresholds, tiers) but reading two synthetic counters,
so the proof does not depend on what the service happens to export:

1. a total outage pages within the workbook's detection time (threshold x long window, 0.86
   minutes at 14.4x for 99.9%), plus one evaluation interval and the tier's `for`;
2. a burn at 10x the sustainable rate pages through the second page window (6h for 30 days) and
   not the first, once the workbook's detection time for that window has passed;
3. an error rate at 0.9x the budget never raises any alert over a whole period;
4. after an outage ends, the fast page stops within its short window.

Users' own scenarios (`tests:` on the SLO) run against the real generated rule file.
Alert states are read from the `ALERTS` series, so the expectations need no annotation text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from generator import conventions as names
from generator import model as m
from generator.compile.prometheus_rules import compile_group
from generator.durations import parse_duration
from generator.promql import aggregate
from generator.resolve_slos import SLIQuery, all_windows, sli_rules, slo_rules
from generator.slo_windows import detection_time_ms
from generator.yamlout import dump

SCENARIO_DIR = "slo-scenarios"
ERRORS = "slo_scenario_errors_total"
TOTAL = "slo_scenario_requests_total"
RATE_PER_MINUTE = 6000  # requests a minute: 100/s
MINUTE = 60_000


@dataclass(frozen=True)
class ScenarioRun:
    """One promtool test file, and what a failure of it means for the user."""

    test_file: str
    slo: m.SLO
    what: str
    location: Any


def _query(kind: str, by: tuple[str, ...]) -> SLIQuery:
    if kind == "raw":
        return SLIQuery("raw", ratio=lambda w: f"sum(rate({ERRORS}[{w}])) / sum(rate({TOTAL}[{w}]))")
    return SLIQuery(
        "events",
        errors=lambda w, total: aggregate("sum", list(by), f"rate({ERRORS}[{w}])") + f"\nor\n0 * {total}",
        total=lambda w: aggregate("sum", list(by), f"rate({TOTAL}[{w}])"),
        by=by,
    )


def _minutes(milliseconds: int) -> int:
    return math.ceil(milliseconds / MINUTE)


def _series(name: str, per_minute: list[float]) -> dict[str, str]:
    """A counter from per-minute increments, in promtool's expanding notation."""
    parts: list[str] = []
    value = 0.0
    index = 0
    while index < len(per_minute):
        step = per_minute[index]
        run = index
        while run + 1 < len(per_minute) and per_minute[run + 1] == step:
            run += 1
        count = run - index + 1
        start = value + step
        parts.append(f"{_num(start)}+{_num(step)}x{count - 1}")
        value += step * count
        index = run + 1
    return {"series": name, "values": "0 " + " ".join(parts)}


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _alerts_query(slo: m.SLO, extra: str = "") -> str:
    return (
        f'max by (tier, long_window) (ALERTS{{alertname="{names.SLO_BURN_ALERT}", alertstate="firing", '
        f'service="{slo.service}", slo="{slo.name}"{extra}}})'
    )


def _quiet(slo: m.SLO, at_ms: int) -> dict[str, Any]:
    query = f'count(ALERTS{{service="{slo.service}", slo="{slo.name}"}})'
    return {"expr": query, "eval_time": f"{_minutes(at_ms)}m", "exp_samples": []}


def _generated_tests(slo: m.SLO) -> list[dict[str, Any]]:
    budget = Decimal(slo.error_budget)
    fast, second = slo.windows[0], slo.windows[1]
    fast_w, second_w = str(fast.long), str(second.long)
    tests: list[dict[str, Any]] = []
    interval = MINUTE

    if slo.page.enabled:
        # 1. Total outage after two healthy hours: the fast page window fires in time.
        start = 120
        detect = detection_time_ms(fast, budget)
        bound = _minutes(detect) * MINUTE + interval + slo.page.for_.milliseconds
        length = start + _minutes(bound) + 10
        errors = [0.0] * start + [float(RATE_PER_MINUTE)] * (length - start)
        fast_only = f', tier="page", long_window="{fast_w}"'
        tests.append(
            {
                "interval": "1m",
                "input_series": [_series(TOTAL, [float(RATE_PER_MINUTE)] * length), _series(ERRORS, errors)],
                "promql_expr_test": [
                    _quiet(slo, (start - 1) * MINUTE),
                    {
                        "expr": _alerts_query(slo, fast_only),
                        "eval_time": f"{_minutes(start * MINUTE + bound)}m",
                        "exp_samples": [{"labels": f'{{long_window="{fast_w}", tier="page"}}', "value": 1}],
                    },
                ],
            }
        )
        # 2. After a healthy stretch as long as the second page window, a burn at 10x the budget:
        # the second page window fires once its detection time has passed, the first never does.
        healthy = _minutes(second.long.milliseconds)
        ratio = budget * 10
        detect_second = detection_time_ms(second, budget, ratio)
        check_at = healthy * MINUTE + detect_second + 15 * MINUTE + slo.page.for_.milliseconds
        length = _minutes(check_at) + 5
        errors = [0.0] * healthy + [float(ratio * RATE_PER_MINUTE)] * (length - healthy)
        early = healthy * MINUTE + int(detect_second * 0.8)
        tests.append(
            {
                "interval": "1m",
                "input_series": [_series(TOTAL, [float(RATE_PER_MINUTE)] * length), _series(ERRORS, errors)],
                "promql_expr_test": [
                    {
                        "expr": _alerts_query(slo, ', tier="page"'),
                        "eval_time": f"{_minutes(early)}m",
                        "exp_samples": [],
                    },
                    {
                        "expr": _alerts_query(slo, ', tier="page"'),
                        "eval_time": f"{_minutes(check_at)}m",
                        "exp_samples": [{"labels": f'{{long_window="{second_w}", tier="page"}}', "value": 1}],
                    },
                ],
            }
        )
        # 4. An hour-long outage, then recovery: the fast page stops within its short window.
        outage = 60
        after = _minutes(fast.short.milliseconds) + 3
        length = start + outage + after + 2
        errors = [0.0] * start + [float(RATE_PER_MINUTE)] * outage + [0.0] * (length - start - outage)
        tests.append(
            {
                "interval": "1m",
                "input_series": [_series(TOTAL, [float(RATE_PER_MINUTE)] * length), _series(ERRORS, errors)],
                "promql_expr_test": [
                    {
                        "expr": _alerts_query(slo, f', tier="page", long_window="{fast_w}"'),
                        "eval_time": f"{start + outage + after}m",
                        "exp_samples": [],
                    }
                ],
            }
        )
    return tests


def _steady_test(slo: m.SLO) -> dict[str, Any]:
    """3. 0.9x the budget rate over a whole period: nothing ever fires (evaluated every 30m)."""
    minutes = _minutes(slo.period.milliseconds)
    rate = float(Decimal(slo.error_budget) * Decimal("0.9") * RATE_PER_MINUTE)
    checks = sorted({minutes // 8 * k for k in range(1, 9)} | {minutes})
    return {
        "interval": "1m",
        "input_series": [
            _series(TOTAL, [float(RATE_PER_MINUTE)] * minutes),
            _series(ERRORS, [rate] * minutes),
        ],
        "promql_expr_test": [
            {
                "expr": f'count(ALERTS{{service="{slo.service}", slo="{slo.name}"}})',
                "eval_time": f"{at}m",
                "exp_samples": [],
            }
            for at in checks
        ],
    }


def _rule_file(slo: m.SLO) -> dict[str, Any]:
    synthetic = replace(slo, no_data=replace(slo.no_data, enabled=False))
    query = _query(slo.sli_kind, slo.by)
    windows = all_windows(slo.period, slo.windows)
    rules = [
        *sli_rules(slo.service, slo.sli, query, windows, slo.location),
        *slo_rules(synthetic, query.kind),
    ]
    group = m.RuleGroup(
        name=f"{slo.service}-{slo.name}-scenarios",
        file="",
        team=slo.team,
        service=slo.service,
        interval=parse_duration("1m"),
        rules=tuple(rules),
        sources=(),
        location=slo.location,
    )
    return {"groups": [compile_group(group, 60_000)]}


def _user_tests(slo: m.SLO) -> list[dict[str, Any]]:
    out = []
    for scenario in slo.scenarios:
        checks = []
        for expectation in scenario.expect:
            query = (
                f'max by (tier) (ALERTS{{alertstate="firing", service="{slo.service}", slo="{slo.name}"}})'
            )
            checks.append(
                {
                    "expr": query,
                    "eval_time": expectation.at,
                    "exp_samples": [
                        {"labels": f'{{tier="{tier}"}}', "value": 1} for tier in sorted(expectation.firing)
                    ],
                }
            )
        out.append(
            {
                "name": scenario.name,
                "interval": scenario.interval,
                "input_series": [{"series": s.series, "values": s.values} for s in scenario.input_series],
                "promql_expr_test": checks,
            }
        )
    return out


def scenario_files(model: m.Model) -> tuple[dict[str, bytes], list[ScenarioRun]]:
    """Rule and test files to write beside the generated tree, and what each test file proves."""
    files: dict[str, bytes] = {}
    runs: list[ScenarioRun] = []
    rule_file_of = {
        g.service: g.file for g in model.rule_groups if g.name == names.slo_rule_group(g.service or "")
    }
    for slo in model.slos:
        stem = f"{SCENARIO_DIR}/{slo.service}-{slo.name}"
        files[f"{stem}.rules.yml"] = dump(_rule_file(slo)).encode()
        generated = _generated_tests(slo)
        if generated:
            files[f"{stem}.test.yml"] = dump(
                {
                    "rule_files": [f"{slo.service}-{slo.name}.rules.yml"],
                    "evaluation_interval": "1m",
                    "tests": generated,
                }
            ).encode()
            runs.append(
                ScenarioRun(f"{stem}.test.yml", slo, "outage, 10x burn and recovery scenarios", slo.location)
            )
        files[f"{stem}.steady.test.yml"] = dump(
            {
                "rule_files": [f"{slo.service}-{slo.name}.rules.yml"],
                "evaluation_interval": "30m",
                "tests": [_steady_test(slo)],
            }
        ).encode()
        runs.append(
            ScenarioRun(f"{stem}.steady.test.yml", slo, "0.9x budget over a whole period", slo.location)
        )
        if slo.scenarios and slo.service in rule_file_of:
            files[f"{stem}.user.test.yml"] = dump(
                {
                    "rule_files": [f"../{rule_file_of[slo.service]}"],
                    "evaluation_interval": "1m",
                    "tests": _user_tests(slo),
                }
            ).encode()
            runs.append(
                ScenarioRun(
                    f"{stem}.user.test.yml", slo, "your scenarios", slo.scenarios_location or slo.location
                )
            )
    return files, runs
