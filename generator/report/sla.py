"""SLA figures per service and SLO over a report window, from the SLO recordings in Prometheus.

Compliance is traffic-weighted, as the SLO rules compute it: the sum over the window of the
recorded 5-minute error rates over the sum of the recorded total rates (each sample weighs the
same evaluation interval, so the interval cancels out). Raw-ratio SLIs have no events to weigh
and average their recorded 5-minute ratio instead. The error budget consumed is the error ratio
over the budget (1 - objective); the burn-down per day divides the errors so far by the budget of
the whole window, so it ends at the budget left.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from generator import conventions as names
from generator.model import SLO, Model
from generator.report.periods import DAY_S, Window
from generator.report.prometheus import Prometheus, PrometheusError
from generator.report.receiver_history import Incident, ReceiverHistory

MAX_POINTS = 10_000  # Prometheus refuses query_range answers over 11,000 points per series
WORST_DAYS = 3


@dataclass
class Day:
    end: float
    error_ratio: float | None  # None: no traffic that day
    burned: float  # share of the window's error budget burned by the end of this day


@dataclass
class FiredAlert:
    alertname: str
    severity: str
    windows: str  # "1h/5m"
    firings: int
    firing_seconds: float
    first: float


@dataclass
class Response:
    """How fast people reacted, from the receiver's incident history."""

    incidents: int
    acknowledged: int
    ack_median_s: float | None
    ack_max_s: float | None
    resolve_median_s: float | None
    resolve_max_s: float | None


@dataclass
class SLOResult:
    service: str
    slo: str
    team: str
    objective: float
    sli_kind: str
    description: str
    error_ratio: float | None = None
    days: list[Day] = field(default_factory=list)
    alerts: list[FiredAlert] = field(default_factory=list)
    response: Response | None = None
    missing: str | None = None

    @property
    def budget(self) -> float:
        return 1 - self.objective

    @property
    def compliance(self) -> float | None:
        return None if self.error_ratio is None else 1 - self.error_ratio

    @property
    def budget_consumed(self) -> float | None:
        return None if self.error_ratio is None else self.error_ratio / self.budget

    @property
    def budget_remaining(self) -> float | None:
        consumed = self.budget_consumed
        return None if consumed is None else 1 - consumed

    @property
    def met(self) -> bool | None:
        compliance = self.compliance
        # Compare in ratios rounded far below any reported digit, so 0.999 achieved meets 99.9%.
        return None if compliance is None else round(compliance, 12) >= round(self.objective, 12)

    def worst_days(self) -> list[Day]:
        days = [d for d in self.days if d.error_ratio is not None and d.error_ratio > 0]
        return sorted(days, key=lambda d: (-(d.error_ratio or 0), d.end))[:WORST_DAYS]


@dataclass
class SLAReport:
    window: Window
    prometheus: str
    generated_at: float
    slos: list[SLOResult]
    warnings: list[str] = field(default_factory=list)


def _selector(slo: SLO) -> str:
    return f'{{{names.SERVICE_LABEL}="{slo.service}", {names.SLI_LABEL}="{slo.sli}"}}'


def _sum(prometheus: Prometheus, expr: str, at: float) -> float | None:
    values = [v for _, v in prometheus.query(expr, at) if not math.isnan(v)]
    return sum(values) if values else None


def sla_report(
    model: Model,
    prometheus: Prometheus,
    span: Window,
    now: float,
    receiver: ReceiverHistory | None = None,
    progress: Callable[[str], None] = lambda _message: None,
    services: tuple[str, ...] = (),
) -> SLAReport:
    slos = [s for s in model.slos if not services or s.service in services]
    if not slos:
        raise PrometheusError(
            "no SLOs to report on: the definitions declare none"
            + (f" for {', '.join(services)}" if services else "")
        )
    report = SLAReport(span, prometheus.url, now, [])
    incidents = receiver.incidents(span) if receiver is not None else None
    for number, slo in enumerate(slos, start=1):
        progress(f"[{number}/{len(slos)}] {slo.service} / {slo.name}")
        result = SLOResult(
            slo.service, slo.name, slo.team, float(slo.objective), slo.sli_kind, slo.description
        )
        _compliance(prometheus, slo, span, result)
        if result.missing is None:
            _days(prometheus, slo, span, result)
        result.alerts = _alerts(prometheus, slo, span)
        if incidents is not None:
            result.response = _response([i for i in incidents if i.belongs_to(slo.service, slo.name)])
        if result.missing:
            report.warnings.append(f"{slo.service} / {slo.name}: {result.missing}")
        report.slos.append(result)
    if all(r.missing for r in report.slos):
        raise PrometheusError(
            f"Prometheus at {prometheus.url} has none of the SLO series for {span.label}; "
            f"{report.slos[0].service} / {report.slos[0].slo}: {report.slos[0].missing}"
        )
    return report


def _compliance(prometheus: Prometheus, slo: SLO, span: Window, result: SLOResult) -> None:
    selector = _selector(slo)
    if slo.sli_kind == "raw":
        ratio = _sum(
            prometheus, f"avg(avg_over_time({names.slo_error_ratio('5m')}{selector}[{span.range}]))", span.end
        )
        if ratio is None:
            result.missing = _missing(names.slo_error_ratio("5m"), slo)
        result.error_ratio = ratio
        return
    total = _sum(prometheus, f"sum(sum_over_time({names.slo_total('5m')}{selector}[{span.range}]))", span.end)
    if total is None:
        result.missing = _missing(names.slo_total("5m"), slo)
        return
    errors = _sum(
        prometheus, f"sum(sum_over_time({names.slo_errors('5m')}{selector}[{span.range}]))", span.end
    )
    # No error series at all is no errors: the rules record 0 then, but a backfill may not.
    result.error_ratio = (errors or 0.0) / total if total > 0 else 0.0


def _missing(record: str, slo: SLO) -> str:
    return (
        f"no {record}{_selector(slo)} series in the window: are the generated rule files loaded "
        "(rule_files in prometheus.yml), and was Prometheus running then?"
    )


def _days(prometheus: Prometheus, slo: SLO, span: Window, result: SLOResult) -> None:
    """Per day: the error ratio, and the share of the window's budget burned so far."""
    selector = _selector(slo)
    ends = _day_ends(span)
    if slo.sli_kind == "raw":
        series = _per_day(
            prometheus, f"avg(avg_over_time({names.slo_error_ratio('5m')}{selector}[1d]))", span, ends
        )
        seen: list[float] = []
        for end in ends:
            ratio = series.get(end)
            if ratio is not None:
                seen.append(ratio)
            mean = statistics.fmean(seen) if seen else 0.0
            fraction = (end - span.start) / span.seconds
            result.days.append(Day(end, ratio, mean * fraction / result.budget))
        return
    errors = _per_day(prometheus, f"sum(sum_over_time({names.slo_errors('5m')}{selector}[1d]))", span, ends)
    totals = _per_day(prometheus, f"sum(sum_over_time({names.slo_total('5m')}{selector}[1d]))", span, ends)
    window_total = sum(totals.values()) or 1.0
    burned = 0.0
    for end in ends:
        total = totals.get(end)
        error = errors.get(end, 0.0)
        burned += error
        ratio = error / total if total else None
        result.days.append(Day(end, ratio, burned / window_total / result.budget))


def _day_ends(span: Window) -> list[float]:
    ends = []
    moment = span.start + DAY_S
    while moment <= span.end + 1e-6:
        ends.append(moment)
        moment += DAY_S
    if not ends or ends[-1] < span.end - 1:
        ends.append(span.end)  # a last, partial day
    return ends


def _per_day(prometheus: Prometheus, expr: str, span: Window, ends: list[float]) -> dict[float, float]:
    """`expr` (a [1d] aggregation) at the end of each whole day; the last, partial day gets its
    own range."""
    found: dict[float, float] = {}
    whole = [e for e in ends if e - DAY_S >= span.start - 1e-6]
    if whole:
        for _, points in prometheus.query_range(expr, whole[0], whole[-1], DAY_S):
            for moment, value in points:
                if not math.isnan(value):
                    found[_nearest(moment, whole)] = found.get(_nearest(moment, whole), 0.0) + value
    partial = [e for e in ends if e not in whole]
    for end in partial:
        seconds = round(end - max(span.start, end - DAY_S))
        partial_value = _sum(prometheus, expr.replace("[1d]", f"[{seconds}s]"), end)
        if partial_value is not None:
            found[end] = partial_value
    return found


def _nearest(moment: float, candidates: list[float]) -> float:
    return min(candidates, key=lambda c: abs(c - moment))


def _alerts(prometheus: Prometheus, slo: SLO, span: Window) -> list[FiredAlert]:
    """Firing periods of the SLO's alerts, from Prometheus's own ALERTS series."""
    step = max(60.0, math.ceil(span.seconds / MAX_POINTS))
    expr = (
        f'ALERTS{{alertstate="firing", {names.SERVICE_LABEL}="{slo.service}", '
        f'{names.SLO_LABEL}="{slo.name}"}}'
    )
    grouped: dict[tuple[str, str, str], FiredAlert] = {}
    for labels, points in prometheus.query_range(expr, span.start + step, span.end, step):
        windows = "/".join(
            w for w in (labels.get(names.LONG_WINDOW_LABEL), labels.get(names.SHORT_WINDOW_LABEL)) if w
        )
        key = (labels.get("alertname", ""), labels.get(names.SEVERITY_LABEL, ""), windows)
        fired = grouped.setdefault(
            key, FiredAlert(key[0], key[1], key[2], 0, 0.0, points[0][0] if points else 0)
        )
        previous: float | None = None
        for moment, _ in points:
            if previous is None or moment - previous > step * 1.5:
                fired.firings += 1
            fired.firing_seconds += step
            fired.first = min(fired.first, moment)
            previous = moment
    return sorted(grouped.values(), key=lambda a: (a.first, a.alertname))


def _response(incidents: list[Incident]) -> Response:
    acks = [i.acknowledged_at - i.starts_at for i in incidents if i.acknowledged_at is not None]
    resolves = [i.ends_at - i.starts_at for i in incidents if i.ends_at is not None]
    return Response(
        len(incidents),
        len(acks),
        statistics.median(acks) if acks else None,
        max(acks) if acks else None,
        statistics.median(resolves) if resolves else None,
        max(resolves) if resolves else None,
    )


def when(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M")
