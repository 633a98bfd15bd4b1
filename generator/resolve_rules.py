"""Resolve a service's or alert group's alerts and recording rules into Prometheus rules.

Threshold alerts become PromQL here: counters are `rate()`d and summed, histograms go through
`histogram_quantile`, and the intermediate series are recorded (shared by every alert of the
owner that needs them) under the names in `conventions`. Users' own PromQL is parsed first so a
mistake is reported at its line in the definition file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from generator import conventions as names
from generator.diagnostics import Diagnostic, Location
from generator.durations import Duration, parse_duration
from generator.humanize import format_value, guess_unit, template_value
from generator.model import AlertRule, MetricShortcut, Pairs, RecordingRule
from generator.promql import (
    PromQLError,
    aggregate,
    format_number,
    parse,
    parse_selector,
    unbalanced_bracket,
    value_kind,
)
from generator.source import PosDict, format_path, locate
from generator.spec import AbsentAlert, Alert, PromQLAlert, ThresholdAlert
from generator.spec import RecordingRule as RecordingSpec

OP_WORDS = {
    ">": "above",
    ">=": "at or above",
    "<": "below",
    "<=": "at or below",
    "==": "equal to",
    "!=": "not equal to",
}
DEFAULT_ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard")


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


def resolve_rules(
    owner: Owner,
    alerts: list[Alert],
    recording: list[RecordingSpec],
) -> list[RecordingRule | AlertRule]:
    """Recording rules (generated first, then the user's) followed by alerts."""
    user_records = [r for i, spec in enumerate(recording) if (r := _recording(owner, spec, i)) is not None]
    alert_rules: list[AlertRule] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(alerts):
        if spec.name in seen:
            owner.problem(
                ("alerts", index, "name"),
                f"duplicate alert name {spec.name!r} in {owner.name}",
                hint=f"the first is at line {owner.where('alerts', seen[spec.name], 'name').line}; "
                "names must be unique per service or group",
            )
            continue
        seen[spec.name] = index
        rule = _alert(owner, spec, index)
        if rule is not None:
            alert_rules.append(rule)
    seen_records: set[tuple[str, Pairs]] = set(owner.records)
    for record in user_records:
        key = (record.record, record.labels)
        if key in seen_records:
            owner.diagnostics.append(
                Diagnostic(
                    record.location,
                    f"recording rule {record.record!r} is defined twice with the same labels",
                    path="recording",
                )
            )
        seen_records.add(key)
    return [*owner.records.values(), *user_records, *alert_rules]


def _pairs(labels: dict[str, str]) -> Pairs:
    return tuple(sorted(labels.items()))


def _check_labels(owner: Owner, path: tuple[str | int, ...], labels: dict[str, str]) -> None:
    for key in sorted(labels):
        if key in names.RESERVED_LABELS:
            owner.problem(
                (*path, key),
                f"label {key!r} is set by the generator",
                hint=names.RESERVED_LABEL_HINTS[key],
                key=True,
            )


def _offset_location(value: Location, text: str, offset: int) -> Location:
    """The file position of `text[offset]`, for a value that starts at `value`.

    A multi-line value is a `|` block: its lines follow one another at the block's indentation. A
    one-line value sits on its line, one column further when it is quoted.
    """
    before = text[:offset]
    line_index = before.count("\n")
    if line_index == 0 and "\n" not in text.strip():
        quoted = value.width >= len(text) + 2
        return Location(value.file, value.line, value.column + offset + (1 if quoted else 0), 1)
    leading = len(text) - len(text.lstrip("\n"))
    column = offset - (before.rfind("\n") + 1)
    return Location(value.file, value.line + line_index - leading, value.column + column, 1)


def _one_line(text: str, limit: int = 100) -> str:
    """An expression on one line for a hint: whitespace folded, long ones shortened."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 3] + "..."


def _parse_expr(owner: Owner, path: tuple[str | int, ...], expr: str) -> str | None:
    text = expr.strip()
    try:
        node = parse(text)
    except PromQLError as error:
        location = owner.where(*path)
        offset = unbalanced_bracket(expr)
        if offset is not None:
            location = _offset_location(location, expr, offset)
        owner.diagnostics.append(
            Diagnostic(
                location,
                f"invalid PromQL: {error}",
                path=format_path(path),
                hint=f"this `{expr[offset]}` is not closed"
                if offset is not None and expr[offset] in "([{"
                else f"this `{expr[offset]}` closes nothing"
                if offset is not None
                else "in: " + _one_line(text),
            )
        )
        return None
    kind = value_kind(node)
    if kind in ("matrix", "string"):
        owner.problem(
            path,
            f"the expression returns a {'range vector' if kind == 'matrix' else 'string'}, "
            "rules need an instant vector",
            hint="wrap a range in a function such as rate() or avg_over_time()",
        )
        return None
    return text


def _recording(owner: Owner, spec: RecordingSpec, index: int) -> RecordingRule | None:
    path: tuple[str | int, ...] = ("recording", index)
    expr = _parse_expr(owner, (*path, "expr"), spec.expr)
    _check_labels(owner, (*path, "labels"), spec.labels)
    if expr is None:
        return None
    return RecordingRule(
        expr=expr,
        labels=_pairs({**owner.base_labels, **spec.labels}),
        location=owner.where(*path, "record"),
        expr_location=owner.where(*path, "expr"),
        generated_expr=False,
        disabled_checks=frozenset(spec.disable_checks),
        owner=owner.name,
        record=spec.record,
    )


def _record(owner: Owner, record: str, expr: str, location: Location) -> str:
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
    return _record(owner, names.rate_record(name, window, by), expr, location)


def _signal(owner: Owner, spec: ThresholdAlert, path: tuple[str | int, ...]) -> Signal | None:
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
        buckets = _record(
            owner,
            names.bucket_rate_record(spec.metric, window, by),
            f"{aggregate('sum', by, f'rate({_bucket_selector(shortcut.selector)}[{window}])', ('le',))}",
            location,
        )
        quantile = _record(
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
        ratio = _record(
            owner,
            names.ratio_record(spec.metric, spec.per, window, by),
            f"{numerator}\n/\n{denominator}",
            location,
        )
        return Signal(ratio, f"ratio of {phrase} to {_phrase(owner, spec.per)}", "ratio")
    # A gauge: compared per series unless aggregated.
    if spec.per is not None:
        other = _other_shortcut(owner, spec, path, "gauge")
        if other is None:
            return None
        operator = spec.aggregate or "sum"
        expr = f"{aggregate(operator, by, shortcut.selector)}\n/\n{aggregate(operator, by, other.selector)}"
        return Signal(expr, f"ratio of {phrase} to {_phrase(owner, spec.per)}", "ratio")
    if spec.aggregate is None and by:
        owner.problem((*path, "by"), "`by` needs an `aggregate` (sum, max, min, avg or count) for a gauge")
        return None
    expr = shortcut.selector if spec.aggregate is None else aggregate(spec.aggregate, by, shortcut.selector)
    return Signal(expr, phrase, shortcut.unit)


def _phrase(owner: Owner, shortcut: str) -> str:
    found = owner.shortcuts.get(shortcut)
    return (found.description if found else "") or shortcut.replace("_", " ")


def _other_shortcut(
    owner: Owner, spec: ThresholdAlert, path: tuple[str | int, ...], expected: str
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


def _bucket_selector(selector: str) -> str:
    name, brace, rest = selector.partition("{")
    return f"{name}_bucket{brace}{rest}"


def _selector_signal(owner: Owner, spec: ThresholdAlert, path: tuple[str | int, ...]) -> Signal | None:
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
        buckets = aggregate("sum", by, f"rate({_bucket_selector(selector.render())}[{window}])", ("le",))
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


def _absent_selector(owner: Owner, spec: AbsentAlert, path: tuple[str | int, ...]) -> str | None:
    if spec.absent in owner.broken:
        return None
    shortcut = owner.shortcuts.get(spec.absent)
    if shortcut is not None:
        return _bucket_selector(shortcut.selector) if shortcut.type == "histogram" else shortcut.selector
    try:
        return parse_selector(spec.absent).render()
    except PromQLError as error:
        owner.problem(
            (*path, "absent"),
            f"{error}: {spec.absent!r}",
            hint="name a metric shortcut of the service or write a selector"
            if owner.service is not None
            else 'write a selector such as up{job="node"}',
        )
        return None


def _alert(owner: Owner, spec: Alert, index: int) -> AlertRule | None:
    path: tuple[str | int, ...] = ("alerts", index)
    _check_labels(owner, (*path, "labels"), spec.labels)
    for key in sorted(spec.annotations):
        if key in DEFAULT_ANNOTATIONS or key == "dashboard_url":
            owner.problem(
                (*path, "annotations", key),
                f"annotation {key!r} has its own field",
                hint=f"write `{'dashboard_url' if key.startswith('dashboard') else key}:` on the alert",
                key=True,
            )
    for_ = parse_duration(spec.for_) if spec.for_ is not None else owner.default_for
    where = owner.name if owner.service is None else owner.service
    summary: str
    description: str
    expr_path: tuple[str | int, ...]
    if isinstance(spec, ThresholdAlert):
        expr_path = (*path, "metric")
        signal = _signal(owner, spec, path)
        if signal is None:
            return None
        unit = spec.unit or signal.unit
        threshold = format_value(spec.value, unit)
        on = "".join(f" on {{{{ $labels.{label} }}}}" for label in spec.by or [])
        expr = f"{signal.expr} {spec.op} {format_number(spec.value)}"
        if "\n" in signal.expr:
            indented = signal.expr.replace("\n", "\n  ")
            expr = f"(\n  {indented}\n)\n{spec.op} {format_number(spec.value)}"
        summary = f"{where}: {signal.phrase} {OP_WORDS[spec.op]} {threshold}{on}"
        description = (
            f"{where}{on}: {signal.phrase} has been {template_value(unit)} for at least {for_} "
            f"(threshold: {OP_WORDS[spec.op]} {threshold})."
        )
        generated = True
    elif isinstance(spec, AbsentAlert):
        expr_path = (*path, "absent")
        selector = _absent_selector(owner, spec, path)
        if selector is None:
            return None
        expr = f"absent({selector})"
        missing = _phrase(owner, spec.absent) if spec.absent in owner.shortcuts else spec.absent
        summary = f"{where}: no data for {missing}"
        description = (
            f"No series matched {selector} for {for_}: the target is down, the scrape fails, "
            "or the code stopped reporting this metric."
        )
        generated = True
    else:
        assert isinstance(spec, PromQLAlert)
        expr_path = (*path, "expr")
        parsed = _parse_expr(owner, expr_path, spec.expr)
        if parsed is None:
            return None
        expr = parsed
        summary = f"{where}: {_words(spec.name)}"
        description = f"{spec.name} has been firing for {for_}: the value is {{{{ $value }}}}."
        generated = False

    labels = {
        **owner.base_labels,
        names.TEAM_LABEL: owner.team,
        names.SEVERITY_LABEL: spec.severity,
        **spec.labels,
    }
    annotations = dict(spec.annotations)
    annotations["summary"] = spec.summary if spec.summary is not None else summary
    annotations["description"] = spec.description if spec.description is not None else description
    runbook = spec.runbook_url or (
        names.runbook_url(owner.runbook_base_url, where, spec.name) if owner.runbook_base_url else None
    )
    if runbook:
        annotations["runbook_url"] = runbook
    dashboard = spec.dashboard_url or owner.dashboard_url
    if dashboard:
        annotations["dashboard"] = dashboard
    return AlertRule(
        expr=expr,
        labels=_pairs(labels),
        location=owner.where(*path, "name"),
        expr_location=owner.where(*expr_path),
        generated_expr=generated,
        disabled_checks=frozenset(spec.disable_checks),
        owner=owner.name,
        alert=spec.name,
        for_=for_,
        annotations=_pairs(annotations),
        severity=spec.severity,
        kind="threshold"
        if isinstance(spec, ThresholdAlert)
        else "absent"
        if isinstance(spec, AbsentAlert)
        else "promql",
    )


def _words(name: str) -> str:
    """`CheckoutHighErrorRatio` -> `checkout high error ratio`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_", " ", name).strip()
    return spaced[:1].upper() + spaced[1:].lower()
