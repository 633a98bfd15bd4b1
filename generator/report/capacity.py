"""Capacity: every resource a forecast alert watches, with its current use, its growth per day
at the trend of the alert's lookback, the days until it runs out and what to do about it.

The figures use the alert's own PromQL (the model keeps it: `AlertRule.resource`), so the report
says what the alert would say: growth is `deriv(current[lookback])` per day, the days left the
same formula as the `resource:*:days_until_exhausted` recording the dashboards show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from generator.durations import parse_duration
from generator.model import AlertRule, ForecastResource, Model
from generator.report.periods import DAY_S
from generator.report.prometheus import Labels, Prometheus, PrometheusError

TREND_DAYS = 7
TREND_POINTS = 200
# Recommendation classes, by days until exhausted (and the alert's own horizon: act now).
THIS_WEEK_DAYS = 7
THIS_QUARTER_DAYS = 92
ACT_NOW_DAYS = 2


@dataclass
class Resource:
    owner: str
    team: str
    alert: str
    phrase: str
    measures: str
    labels: Labels
    current: float
    capacity: float | None
    growth_per_day: float  # in the resource's unit, + toward exhaustion
    days_left: float | None
    recommendation: str
    horizon: str
    trend: list[tuple[float, float]] = field(default_factory=list)

    @property
    def used(self) -> float | None:
        if self.capacity is None or self.capacity <= 0:
            return None
        fraction = self.current / self.capacity
        return 1 - fraction if self.measures == "remaining" else fraction

    @property
    def name(self) -> str:
        keep = [f"{k}={v}" for k, v in sorted(self.labels.items()) if k not in ("job", "service", "team")]
        return f"{self.phrase} ({', '.join(keep)})" if keep else self.phrase


@dataclass
class CapacityReport:
    prometheus: str
    at: float
    resources: list[Resource]
    warnings: list[str] = field(default_factory=list)


def recommendation(days_left: float | None, horizon_days: float) -> str:
    if days_left is None:
        return "no action"
    if days_left <= max(ACT_NOW_DAYS, horizon_days):
        return "act now"
    if days_left <= THIS_WEEK_DAYS:
        return "this week"
    if days_left <= THIS_QUARTER_DAYS:
        return "this quarter"
    return "no action"


def _key(labels: Labels) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k != "__name__"))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def forecast_alerts(model: Model) -> list[tuple[AlertRule, str]]:
    found = []
    for group in model.rule_groups:
        for rule in group.rules:
            if isinstance(rule, AlertRule) and rule.resource is not None:
                found.append((rule, group.team))
    return found


def capacity_report(
    model: Model, prometheus: Prometheus, at: float, progress: Callable[[str], None] = lambda _m: None
) -> CapacityReport:
    alerts = forecast_alerts(model)
    if not alerts:
        raise PrometheusError("no resources to report on: the definitions declare no forecast alerts")
    report = CapacityReport(prometheus.url, at, [])
    for number, (rule, team) in enumerate(alerts, start=1):
        assert rule.resource is not None
        progress(f"[{number}/{len(alerts)}] {rule.owner} / {rule.alert}")
        found = _resources(prometheus, rule, rule.resource, team, at)
        if not found:
            report.warnings.append(
                f"{rule.owner} / {rule.alert}: no {rule.resource.current} series now: is it scraped?"
            )
        report.resources += found
    report.resources.sort(key=lambda r: (r.days_left is None, r.days_left or 0.0, r.owner, r.name))
    return report


def _resources(
    prometheus: Prometheus, rule: AlertRule, spec: ForecastResource, team: str, at: float
) -> list[Resource]:
    current = {_key(labels): (labels, value) for labels, value in prometheus.query(spec.current, at)}
    if not current:
        return []
    fixed = _number(spec.capacity)
    capacities = (
        {}
        if fixed is not None
        else {_key(labels): value for labels, value in prometheus.query(spec.capacity, at)}
    )
    growth = {
        _key(labels): value
        for labels, value in prometheus.query(f"deriv({spec.current}[{spec.lookback}]) * 86400", at)
    }
    start = at - TREND_DAYS * DAY_S
    trends = {
        _key(labels): points
        for labels, points in prometheus.query_range(
            spec.current, start, at, TREND_DAYS * DAY_S / TREND_POINTS
        )
    }
    horizon_days = parse_duration(spec.horizon).milliseconds / 1000 / DAY_S
    out = []
    for key, (labels, value) in sorted(current.items()):
        capacity = fixed if fixed is not None else capacities.get(key)
        slope = growth.get(key, 0.0)
        slope = 0.0 if math.isnan(slope) else slope
        toward = -slope if spec.measures == "remaining" else slope
        if toward <= 0:
            days = None
        elif spec.measures == "remaining":
            days = value / toward
        else:
            days = None if capacity is None else max(0.0, (capacity - value) / toward)
        out.append(
            Resource(
                rule.owner,
                team,
                rule.alert,
                spec.phrase,
                spec.measures,
                {k: v for k, v in labels.items() if k != "__name__"},
                value,
                capacity,
                toward,
                days,
                recommendation(days, horizon_days),
                spec.horizon,
                trends.get(key, []),
            )
        )
    return out
