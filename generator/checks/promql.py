"""Checks on the PromQL of every rule: counters, rate windows, and what Prometheus 2.42 knows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import promql_parser as pp

from generator.checks import Finding, check, iter_rules
from generator.diagnostics import Severity
from generator.model import Model
from generator.promql import calls, parse, range_selectors, walk

# Suffixes Prometheus' naming guide gives counters and the counter parts of histograms and summaries.
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
RATE_FUNCTIONS = frozenset({"rate", "irate", "increase", "resets"})
# Functions that are meaningful on a raw counter (they do not read its absolute value as a level).
COUNTER_SAFE = RATE_FUNCTIONS | {
    "absent",
    "absent_over_time",
    "present_over_time",
    "changes",
    "timestamp",
    "count_over_time",
    "label_replace",
    "label_join",
}
COUNTER_SAFE_AGGREGATIONS = frozenset({"count", "group", "count_values"})

# Functions and aggregations of Prometheus 2.42 (promql/parser/functions.go and lex.go at v2.42.0).
# promql-parser follows 3.x, so newer names parse in Python and fail in Debian bookworm's Prometheus.
PROMETHEUS_2_42_FUNCTIONS = frozenset(
    [
        "abs",
        "absent",
        "absent_over_time",
        "acos",
        "acosh",
        "asin",
        "asinh",
        "atan",
        "atanh",
        "avg_over_time",
        "ceil",
        "changes",
        "clamp",
        "clamp_max",
        "clamp_min",
        "cos",
        "cosh",
        "count_over_time",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "deg",
        "delta",
        "deriv",
        "exp",
        "floor",
        "histogram_count",
        "histogram_fraction",
        "histogram_quantile",
        "histogram_sum",
        "holt_winters",
        "hour",
        "idelta",
        "increase",
        "irate",
        "label_join",
        "label_replace",
        "last_over_time",
        "ln",
        "log10",
        "log2",
        "max_over_time",
        "min_over_time",
        "minute",
        "month",
        "pi",
        "predict_linear",
        "present_over_time",
        "quantile_over_time",
        "rad",
        "rate",
        "resets",
        "round",
        "scalar",
        "sgn",
        "sin",
        "sinh",
        "sort",
        "sort_desc",
        "sqrt",
        "stddev_over_time",
        "stdvar_over_time",
        "sum_over_time",
        "tan",
        "tanh",
        "time",
        "timestamp",
        "vector",
        "year",
    ]
)
PROMETHEUS_2_42_AGGREGATIONS = frozenset(
    [
        "sum",
        "avg",
        "count",
        "min",
        "max",
        "group",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "count_values",
        "quantile",
    ]
)
# Recommended minimum range: four scrape intervals, so a missed scrape still leaves two samples.
RANGE_FACTOR = 4


def _counter_names(model: Model) -> set[str]:
    names = set()
    for service in model.services:
        for shortcut in service.metrics:
            if shortcut.type == "counter":
                names.add(shortcut.selector.partition("{")[0])
    return names


def _looks_like_counter(name: str, known: set[str]) -> bool:
    return name.endswith(COUNTER_SUFFIXES) or name in known


@check("promql/rate-counter", Severity.WARNING)
def rate_of_gauge(model: Model) -> Iterator[Finding]:
    """`rate()`, `irate()`, `increase()` and `resets()` are applied only to counters.

    On a gauge they read every decrease as a counter reset and return nonsense.
    """
    known = _counter_names(model)
    for _, rule in iter_rules(model):
        for call in calls(parse(rule.expr)):
            if call.func.name not in RATE_FUNCTIONS:
                continue
            for selector in range_selectors(call):
                name = selector.vector_selector.name
                if name and not _looks_like_counter(name, known) and ":" not in name:
                    yield Finding(
                        rule.expr_location,
                        f"{call.func.name}() of {name!r}, which does not look like a counter",
                        hint="use deriv() or delta() for gauges; counters end in _total",
                        rule=rule,
                    )


def _ancestors_allow(stack: list[Any]) -> bool:
    for node in stack:
        if isinstance(node, pp.Call) and node.func.name in COUNTER_SAFE:
            return True
        if isinstance(node, pp.AggregateExpr) and str(node.op) in COUNTER_SAFE_AGGREGATIONS:
            return True
    return False


@check("promql/counter-without-rate", Severity.WARNING)
def counter_without_rate(model: Model) -> Iterator[Finding]:
    """A counter is not compared or aggregated as it is: its value only says how long the process ran.

    Take its `rate()` or `increase()` first.
    """
    for _, rule in iter_rules(model):
        stack: list[Any] = []
        flagged: list[str] = []

        def enter(node: Any, stack: list[Any] = stack, flagged: list[str] = flagged) -> None:
            if (
                isinstance(node, pp.VectorSelector)
                and node.name
                and node.name.endswith("_total")
                and not _ancestors_allow(stack)
            ):
                flagged.append(node.name)
            stack.append(node)

        def leave(node: Any, stack: list[Any] = stack) -> None:
            stack.pop()

        pp.walk(parse(rule.expr), enter, leave)
        for name in sorted(set(flagged)):
            yield Finding(
                rule.expr_location,
                f"counter {name!r} is used without rate() or increase()",
                hint=f"for example rate({name}[5m])",
                rule=rule,
            )


def _job_intervals(model: Model) -> dict[str, int]:
    return {job.job_name: job.interval.milliseconds for job in model.scrape_jobs}


@check("promql/rate-window", Severity.WARNING)
def rate_window(model: Model) -> Iterator[Finding]:
    """Range selectors cover at least four scrape intervals, so one missed scrape leaves two samples."""
    jobs = _job_intervals(model)
    default = model.prometheus.scrape_interval.milliseconds
    for _, rule in iter_rules(model):
        for selector in range_selectors(parse(rule.expr)):
            vector = selector.vector_selector
            job = next(
                (
                    m.value
                    for m in vector.matchers.matchers
                    if m.name == "job" and str(m.op).endswith("Equal") and not str(m.op).endswith("NotEqual")
                ),
                None,
            )
            interval = jobs.get(job, default) if job else default
            window_ms = int(selector.range.total_seconds() * 1000)
            if window_ms < RANGE_FACTOR * interval:
                yield Finding(
                    rule.expr_location,
                    f"range [{pp.display_duration(selector.range)}] over "
                    f"{vector.name or 'a selector'} spans fewer than {RANGE_FACTOR} scrape intervals "
                    f"({interval // 1000}s each)",
                    hint=f"use at least [{RANGE_FACTOR * interval // 1000}s]",
                    rule=rule,
                )


@check("promql/compatibility", Severity.ERROR)
def compatibility(model: Model) -> Iterator[Finding]:
    """Expressions use only functions and aggregations that Prometheus 2.42 (Debian bookworm) knows.

    The Python parser follows Prometheus 3.x, so without this a newer function would pass here and
    fail to load on the reference server.
    """
    for _, rule in iter_rules(model):
        node = parse(rule.expr)
        for item in walk(node):
            name = None
            if isinstance(item, pp.Call) and item.func.name not in PROMETHEUS_2_42_FUNCTIONS:
                name = f"function {item.func.name}()"
            elif isinstance(item, pp.AggregateExpr) and str(item.op) not in PROMETHEUS_2_42_AGGREGATIONS:
                name = f"aggregation {item.op}"
            if name:
                yield Finding(
                    rule.expr_location,
                    f"{name} does not exist in Prometheus 2.42",
                    hint="the generated rules must load in Prometheus 2.42 and current releases",
                    rule=rule,
                )
