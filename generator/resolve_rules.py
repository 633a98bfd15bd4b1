"""Resolve a service's or alert group's alerts and recording rules into Prometheus rules.

Threshold alerts become PromQL here: counters are `rate()`d and summed, histograms go through
`histogram_quantile`, and the intermediate series are recorded (shared by every alert of the
owner that needs them) under the names in `conventions`. Users' own PromQL is parsed first so a
mistake is reported at its line in the definition file.
"""

from __future__ import annotations

import re

from generator import conventions as names
from generator import resolve_dynamic as dynamic
from generator.diagnostics import Diagnostic, Location
from generator.durations import parse_duration
from generator.humanize import format_value, template_value
from generator.model import AlertRule, ForecastResource, Pairs, RecordingRule
from generator.promql import (
    PromQLError,
    format_number,
    parse,
    parse_selector,
    unbalanced_bracket,
    value_kind,
)
from generator.signals import Owner, bucket_selector, compute_signal, shortcut_phrase
from generator.source import format_path
from generator.spec import AbsentAlert, Alert, PromQLAlert, ThresholdAlert
from generator.spec import RecordingRule as RecordingSpec
from generator.spec.alerts import ALERT_KINDS, AnomalyAlert, ForecastAlert

OP_WORDS = {
    ">": "above",
    ">=": "at or above",
    "<": "below",
    "<=": "at or below",
    "==": "equal to",
    "!=": "not equal to",
}
DEFAULT_ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard")


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


def _absent_selector(owner: Owner, spec: AbsentAlert, path: tuple[str | int, ...]) -> str | None:
    if spec.absent in owner.broken:
        return None
    shortcut = owner.shortcuts.get(spec.absent)
    if shortcut is not None:
        return bucket_selector(shortcut.selector) if shortcut.type == "histogram" else shortcut.selector
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
    resource: ForecastResource | None = None
    if isinstance(spec, ThresholdAlert):
        expr_path = (*path, "metric")
        signal = compute_signal(owner, spec, path)
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
        missing = shortcut_phrase(owner, spec.absent) if spec.absent in owner.shortcuts else spec.absent
        summary = f"{where}: no data for {missing}"
        description = (
            f"No series matched {selector} for {for_}: the target is down, the scrape fails, "
            "or the code stopped reporting this metric."
        )
        generated = True
    elif isinstance(spec, AnomalyAlert | ForecastAlert):
        kind_key = "anomaly" if isinstance(spec, AnomalyAlert) else "forecast"
        expr_path = (*path, kind_key, "metric")
        built = (
            dynamic.anomaly(owner, spec.name, spec.anomaly, (*path, kind_key), where)
            if isinstance(spec, AnomalyAlert)
            else dynamic.forecast(owner, spec.name, spec.forecast, (*path, kind_key), where)
        )
        if built is None:
            return None
        expr, summary, description = built.expr, built.summary, built.description
        resource = built.resource
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
    panel_id = names.alert_panel_id(index)
    dashboard = spec.dashboard_url or (
        f"{owner.dashboard_url}?viewPanel={panel_id}" if owner.dashboard_url else None
    )
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
        panel_id=panel_id,
        kind=ALERT_KINDS[next(k for k in ALERT_KINDS if k in type(spec).model_fields)],
        resource=resource,
    )


def _words(name: str) -> str:
    """`CheckoutHighErrorRatio` -> `checkout high error ratio`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_", " ", name).strip()
    return spaced[:1].upper() + spaced[1:].lower()
