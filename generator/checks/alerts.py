"""Checks on alerting rules: what a notification needs to be useful."""

from __future__ import annotations

from collections.abc import Iterator

from generator.checks import Finding, check, iter_alerts
from generator.diagnostics import Severity
from generator.durations import format_duration
from generator.model import Model

SEVERITIES = ("info", "warning", "critical")
# Prometheus forgets pending alerts across a restart longer than --rules.alert.for-outage-tolerance
# (default 1h); a `for` of a day or more cannot survive ordinary maintenance and belongs in a report.
LONGEST_FOR_MS = 24 * 3_600_000


@check("alerts/severity", Severity.ERROR)
def severity(model: Model) -> Iterator[Finding]:
    """Every alert carries a `severity` label of info, warning or critical, which routing needs."""
    for _, rule in iter_alerts(model):
        value = dict(rule.labels).get("severity")
        if value not in SEVERITIES:
            yield Finding(
                rule.location,
                f"alert {rule.alert} has severity {value!r}",
                hint="use one of " + ", ".join(SEVERITIES),
                rule=rule,
            )


@check("alerts/summary", Severity.ERROR)
def summary(model: Model) -> Iterator[Finding]:
    """Every alert has a non-empty `summary` annotation: it is the notification's title."""
    for _, rule in iter_alerts(model):
        if not dict(rule.annotations).get("summary", "").strip():
            yield Finding(
                rule.location,
                f"alert {rule.alert} has an empty summary",
                hint='remove `summary: ""` to get a generated one, or write one line',
                rule=rule,
            )


@check("alerts/runbook", Severity.WARNING)
def runbook(model: Model) -> Iterator[Finding]:
    """Paging alerts link a runbook, so whoever is woken up knows the first step."""
    for _, rule in iter_alerts(model):
        if rule.severity == "critical" and "runbook_url" not in dict(rule.annotations):
            yield Finding(
                rule.location,
                f"critical alert {rule.alert} has no runbook_url",
                hint="set `runbook_url` on the alert or `runbook_base_url` in Settings",
                rule=rule,
            )


@check("alerts/for", Severity.WARNING)
def for_duration(model: Model) -> Iterator[Finding]:
    """`for` is at least one evaluation interval and less than a day.

    A `for` shorter than the group's interval behaves like one interval; a `for` of a day or more
    is reset by any Prometheus restart longer than the outage tolerance (1h by default) and is
    better served by a report or a ticket.
    """
    for group, rule in iter_alerts(model):
        for_ms = rule.for_.milliseconds
        interval = group.interval.milliseconds
        if 0 < for_ms < interval:
            yield Finding(
                rule.location,
                f"alert {rule.alert}: for {rule.for_} is shorter than the "
                f"evaluation interval {group.interval}, so it acts as {group.interval}",
                hint=f"use for: {format_duration(interval)} or more, or 0s",
                rule=rule,
            )
        elif for_ms >= LONGEST_FOR_MS:
            yield Finding(
                rule.location,
                f"alert {rule.alert}: for {rule.for_} is a day or longer; pending "
                "state is lost whenever Prometheus is down longer than its outage tolerance",
                hint="alert on a shorter window, or report it (gen report)",
                rule=rule,
            )
