"""Alerts that learn or look ahead: anomaly bands and capacity forecasts.

Anomaly: the signal's expected value and spread are recorded (mean and standard deviation over a
baseline window, or, with weekly seasonality, the same window at the same time of the last weeks,
as TOOL-FACTS recommends over a plain mean), and the alert fires when the signal leaves the band
by the configured number of deviations, while the expected value is above a floor.

Forecast: a linear fit over a lookback window (`predict_linear`) must reach exhaustion within the
horizon, and only while little is left (the guard) and the trend points toward exhaustion, so
resources far from full or shrinking never fire (the three guards node-mixin uses for disks).
Days until exhaustion are recorded for dashboards and reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from generator import conventions as names
from generator.durations import Duration, format_duration, parse_duration
from generator.humanize import template_value
from generator.model import ForecastResource
from generator.promql import PromQLError, format_number, parse_selector
from generator.signals import Owner, compute_signal, record
from generator.spec.alerts import Anomaly, Forecast

WEEK = "1w"
DIRECTION_WORDS = {"up": "unusually high", "down": "unusually low", "both": "far from normal"}


@dataclass(frozen=True)
class Built:
    """An alert's expression and its default texts."""

    expr: str
    summary: str
    description: str
    resource: ForecastResource | None = None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _own_recording(owner: Owner, expr: str) -> bool:
    """Whether `expr` selects a series this owner already records (and so carries its labels)."""
    metric = expr.split("{", 1)[0]
    return any(key[0] == metric for key in owner.records)


def anomaly(owner: Owner, alert: str, spec: Anomaly, path: tuple[str | int, ...], where: str) -> Built | None:
    signal = compute_signal(owner, spec, path)
    if signal is None:
        return None
    location = owner.where(*path, "metric")
    by = list(spec.by or [])
    level = names.level(by)
    current = signal.expr
    if not _own_recording(owner, current):
        current = record(owner, f"{level}:{_snake(alert)}:signal", current, location)
    base = current.split("{", 1)[0]
    baseline = format_duration(parse_duration(spec.baseline).milliseconds)
    k = format_number(spec.deviations)
    if spec.seasonality == "weekly":
        weeks = range(1, spec.weeks + 1)
        mean_expr = _average(f"avg_over_time({current}[{baseline}] offset {w}w)" for w in weeks)
        spread_expr = _average(f"stddev_over_time({current}[{baseline}] offset {w}w)" for w in weeks)
        mean = record(owner, f"{base}_avg_over_time{baseline}_weekly{spec.weeks}", mean_expr, location)
        spread = record(owner, f"{base}_stddev_over_time{baseline}_weekly{spec.weeks}", spread_expr, location)
        normal = f"the same {baseline} of the last {spec.weeks} week{'s' if spec.weeks > 1 else ''}"
    else:
        mean = record(
            owner, f"{base}_avg_over_time{baseline}", f"avg_over_time({current}[{baseline}])", location
        )
        spread = record(
            owner, f"{base}_stddev_over_time{baseline}", f"stddev_over_time({current}[{baseline}])", location
        )
        normal = f"the last {baseline}"
    high = f"{current} > ({mean} + {k} * {spread})"
    low = f"{current} < ({mean} - {k} * {spread})"
    expr = {"up": high, "down": low, "both": f"({high})\nor\n({low})"}[spec.direction]
    if spec.floor is not None:
        expr = f"({expr})\nand\n{mean} >= {format_number(spec.floor)}"
    side = {"up": "above", "down": "below", "both": "away from"}[spec.direction]
    summary = f"{where}: {signal.phrase} is {DIRECTION_WORDS[spec.direction]}"
    description = (
        f"{signal.phrase} is {template_value(signal.unit)}, more than {k} standard deviations "
        f"{side} what {normal} makes normal."
    )
    return Built(expr, summary, description)


def _average(parts: Iterable[str]) -> str:
    items = list(parts)
    return f"({' + '.join(items)}) / {len(items)}" if len(items) > 1 else items[0]


def _number(value: str | float) -> float | None:
    """A capacity given as a number, also when YAML read `100e9` as text."""
    try:
        return float(value)
    except ValueError:
        return None


def _gauge(owner: Owner, text: str, what: str) -> str:
    shortcut = owner.shortcuts.get(text)
    if shortcut is not None:
        if shortcut.type != "gauge":
            raise PromQLError(f"{what} must be a gauge, {text!r} is a {shortcut.type}")
        return shortcut.selector
    return parse_selector(text).render()


def forecast(
    owner: Owner, alert: str, spec: Forecast, path: tuple[str | int, ...], where: str
) -> Built | None:
    try:
        current = _gauge(owner, spec.metric, "`metric`")
    except PromQLError as error:
        owner.problem(
            (*path, "metric"),
            f"{error}: {spec.metric!r}",
            hint="a gauge shortcut of the service or a selector such as node_filesystem_avail_bytes",
        )
        return None
    try:
        number = _number(spec.capacity)
        capacity = (
            format_number(number) if number is not None else _gauge(owner, str(spec.capacity), "`capacity`")
        )
    except PromQLError as error:
        owner.problem(
            (*path, "capacity"),
            f"{error}: {spec.capacity!r}",
            hint="a number or a selector with the metric's labels, such as node_filesystem_size_bytes",
        )
        return None
    lookback = format_duration(parse_duration(spec.lookback).milliseconds)
    horizon: Duration = parse_duration(spec.within)
    seconds = format_number(horizon.milliseconds / 1000)
    guard = format_number(spec.guard)
    trend = f"deriv({current}[{lookback}])"
    if spec.measures == "remaining":
        expr = (
            f"predict_linear({current}[{lookback}], {seconds}) < 0\nand\n{current} < {guard} * {capacity}\n"
            f"and\n{trend} < 0"
        )
        days = f"{current} / -({trend} < 0) / 86400"
        end = "runs out"
    else:
        expr = (
            f"predict_linear({current}[{lookback}], {seconds}) > {capacity}\nand\n"
            f"{current} > (1 - {guard}) * {capacity}\nand\n{trend} > 0"
        )
        days = f"({capacity} - {current}) / ({trend} > 0) / 86400"
        end = "reaches its capacity"
    slug = spec.metric if spec.metric in owner.shortcuts else parse_selector(current).metric
    record(owner, names.days_until_full_record(slug), days, owner.where(*path, "metric"))
    phrase = owner.shortcuts[spec.metric].description if spec.metric in owner.shortcuts else slug
    summary = f"{where}: {phrase or slug} {end} within {spec.within}"
    description = (
        f"At the trend of the last {lookback}, {phrase or slug} {end} within {spec.within}; "
        f"less than {format_number(spec.guard * 100)}% of its capacity is left."
    )
    resource = ForecastResource(
        current=current,
        capacity=capacity,
        lookback=lookback,
        measures=spec.measures,
        days_record=names.days_until_full_record(slug),
        phrase=phrase or slug,
        horizon=spec.within,
    )
    return Built(expr, summary, description, resource)
