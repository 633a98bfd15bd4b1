"""Signals: the quantities alerts compare, computed from a service's metric shortcuts.

A threshold, an anomaly band or a forecast all start from a signal: a counter's summed rate, a
ratio of two counters, a histogram quantile, a gauge, or a selector as written. The intermediate
series are recorded once per owner (shared by every alert that needs them) under the names in
`conventions`, and problems are reported at the field that caused them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from generator import conventions as names
from generator.diagnostics import Diagnostic, Location
from generator.durations import Duration
from generator.humanize import guess_unit
from generator.model import MetricShortcut, Pairs, RecordingRule
from generator.promql import PromQLError, aggregate, format_number, parse_selector
from generator.source import PosDict, format_path, locate
from generator.spec.alerts import SignalSpec, ThresholdAlert

SignalSource = ThresholdAlert | SignalSpec


def _pairs(labels: dict[str, str]) -> Pairs:
    return tuple(sorted(labels.items()))


@dataclass
class Owner:
    """The service or alert group whose rules are being resolved, and what they inherit."""

    name: str
    team: str
    service: str | None
    raw: PosDict
    base_labels: dict[str, str]  # service label plus the owner's labels: on every rule
    shortcuts: dict[str, MetricShortcut]
    rate_window: str
    default_for: Duration
    runbook_base_url: str | None
    dashboard_url: str | None
    # Shortcuts that failed to resolve (already reported): alerts using them stay quiet.
    broken: frozenset[str] = frozenset()
    diagnostics: list[Diagnostic] = field(default_factory=list)
    records: dict[tuple[str, Pairs], RecordingRule] = field(default_factory=dict)

    def where(self, *path: str | int) -> Location:
        return locate(self.raw, path)

    def problem(
        self, path: tuple[str | int, ...], message: str, hint: str = "", *, key: bool = False
    ) -> None:
        location = locate(self.raw, path, key=key)
        self.diagnostics.append(Diagnostic(location, message, path=format_path(path), hint=hint))


@dataclass(frozen=True)
class Signal:
    """A quantity an alert compares: its PromQL, a phrase for messages, and its unit."""

    expr: str
    phrase: str
    unit: str


def record(owner: Owner, record: str, expr: str, location: Location) -> str:
    """Add a generated recording rule once; return a selector of its series for this owner."""
    labels = _pairs(owner.base_labels)
    if (record, labels) not in owner.records:
        owner.records[(record, labels)] = RecordingRule(
            expr=expr,
            labels=labels,
            location=location,
            expr_location=location,
            generated_expr=True,
            disabled_checks=frozenset(),
            owner=owner.name,
            record=record,
        )
    if owner.service is None:
        return record
    return f'{record}{{{names.SERVICE_LABEL}="{owner.service}"}}'


def _rate(
    owner: Owner, name: str, shortcut: MetricShortcut, window: str, by: list[str], location: Location
) -> str:
    """The recorded, summed per-second rate of a counter shortcut."""
    expr = aggregate("sum", by, f"rate({shortcut.selector}[{window}])")
    return record(owner, names.rate_record(name, window, by), expr, location)


def compute_signal(owner: Owner, spec: SignalSource, path: tuple[str | int, ...]) -> Signal | None:
    by = list(spec.by or [])
    location = owner.where(*path, "metric")
    if spec.metric in owner.broken or (spec.per or "") in owner.broken:
        return None
    shortcut = owner.shortcuts.get(spec.metric)
    window = spec.rate or owner.rate_window
    if shortcut is None:
        return _selector_signal(owner, spec, path)
    if spec.aggregate and shortcut.type != "gauge" and spec.aggregate != "sum":
        owner.problem(
            (*path, "aggregate"),
            f"{spec.metric!r} is a {shortcut.type}: its rates are summed, "
            f"aggregate {spec.aggregate!r} does not apply",
            hint="remove `aggregate`",
        )
        return None
    if spec.quantile is not None and shortcut.type != "histogram":
        owner.problem(
            (*path, "quantile"), f"`quantile` applies to histograms, {spec.metric!r} is a {shortcut.type}"
        )
        return None
    phrase = shortcut.description or spec.metric.replace("_", " ")
    if shortcut.type == "histogram":
        if spec.quantile is None:
            owner.problem(
                (*path, "metric"),
                f"{spec.metric!r} is a histogram: say which `quantile` to compare",
                hint="add `quantile: 0.99` (or 0.95, 0.5) to the alert",
            )
            return None
        buckets = record(
            owner,
            names.bucket_rate_record(spec.metric, window, by),
            f"{aggregate('sum', by, f'rate({bucket_selector(shortcut.selector)}[{window}])', ('le',))}",
            location,
        )
        quantile = record(
            owner,
            names.quantile_record(spec.metric, spec.quantile, window, by),
            f"histogram_quantile({format_number(spec.quantile)}, {buckets})",
            location,
        )
        return Signal(quantile, f"{names.quantile_tag(spec.quantile)} {phrase}", shortcut.unit)
    if shortcut.type == "counter":
        numerator = _rate(owner, spec.metric, shortcut, window, by, location)
        if spec.per is None:
            return Signal(numerator, f"{phrase} per second", "requests_per_second")
        other = _other_shortcut(owner, spec, path, "counter")
        if other is None:
            return None
        denominator = _rate(owner, spec.per, other, window, by, location)
        ratio = record(
            owner,
            names.ratio_record(spec.metric, spec.per, window, by),
            f"{numerator}\n/\n{denominator}",
            location,
        )
        return Signal(ratio, f"ratio of {phrase} to {shortcut_phrase(owner, spec.per)}", "ratio")
    # A gauge: compared per series unless aggregated.
    if spec.per is not None:
        other = _other_shortcut(owner, spec, path, "gauge")
        if other is None:
            return None
        operator = spec.aggregate or "sum"
        expr = f"{aggregate(operator, by, shortcut.selector)}\n/\n{aggregate(operator, by, other.selector)}"
        return Signal(expr, f"ratio of {phrase} to {shortcut_phrase(owner, spec.per)}", "ratio")
    if spec.aggregate is None and by:
        owner.problem((*path, "by"), "`by` needs an `aggregate` (sum, max, min, avg or count) for a gauge")
        return None
    expr = shortcut.selector if spec.aggregate is None else aggregate(spec.aggregate, by, shortcut.selector)
    return Signal(expr, phrase, shortcut.unit)


def shortcut_phrase(owner: Owner, shortcut: str) -> str:
    found = owner.shortcuts.get(shortcut)
    return (found.description if found else "") or shortcut.replace("_", " ")


def _other_shortcut(
    owner: Owner, spec: SignalSource, path: tuple[str | int, ...], expected: str
) -> MetricShortcut | None:
    other = owner.shortcuts.get(spec.per or "")
    if other is None or other.type != expected:
        known = sorted(n for n, s in owner.shortcuts.items() if s.type == expected)
        what = f"{spec.per!r} is a {other.type}" if other is not None else f"{spec.per!r} is not a shortcut"
        owner.problem(
            (*path, "per"),
            f"`per` must name a {expected} shortcut of the service, got {spec.per!r}",
            hint=f"{what}; {expected} shortcuts: " + (", ".join(known) or "none"),
        )
        return None
    return other


def bucket_selector(selector: str) -> str:
    name, brace, rest = selector.partition("{")
    return f"{name}_bucket{brace}{rest}"


def _selector_signal(owner: Owner, spec: SignalSource, path: tuple[str | int, ...]) -> Signal | None:
    close = difflib.get_close_matches(spec.metric, list(owner.shortcuts), n=1, cutoff=0.75)
    if close and "{" not in spec.metric:
        owner.problem(
            (*path, "metric"),
            f"{spec.metric!r} is not a metric shortcut of {owner.name}",
            hint=f"did you mean {close[0]!r}? (a metric name that is not a shortcut is used as "
            "a selector as it is)",
        )
        return None
    try:
        selector = parse_selector(spec.metric)
    except PromQLError as error:
        owner.problem(
            (*path, "metric"),
            f"{error}: {spec.metric!r}",
            hint="use a shortcut of the service or a selector; for anything else write `expr`",
        )
        return None
    by = list(spec.by or [])
    if spec.per is not None:
        owner.problem(
            (*path, "per"),
            "`per` divides two metric shortcuts of a service",
            hint="declare both under `metrics:` or write the ratio as `expr`",
        )
        return None
    unit = guess_unit(selector.metric)
    if spec.quantile is not None:
        window = spec.rate or owner.rate_window
        buckets = aggregate("sum", by, f"rate({bucket_selector(selector.render())}[{window}])", ("le",))
        return Signal(
            f"histogram_quantile({format_number(spec.quantile)}, {buckets})",
            f"{names.quantile_tag(spec.quantile)} {selector.metric}",
            unit,
        )
    expr = selector.render()
    if spec.rate is not None:
        expr = f"rate({expr}[{spec.rate}])"
        unit = "requests_per_second" if unit == "none" else unit
    if spec.aggregate is not None:
        expr = aggregate(spec.aggregate, by, expr)
    elif by:
        owner.problem((*path, "by"), "`by` needs an `aggregate` (sum, max, min, avg or count)")
        return None
    return Signal(expr, selector.metric, unit)
