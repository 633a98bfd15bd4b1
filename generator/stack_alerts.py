"""Monitoring the monitors: alerts on Prometheus, Alertmanager and scraping, for the team that runs
the stack (Settings `stack_alerts`).

The Watchdog always fires: the notification history receiver expects it every minute and raises
the alarm when it stops (a dead man's switch), so a silent pipeline is noticed. The others watch
the metrics Prometheus 2.42 and Alertmanager 0.25 export about themselves; the expressions are
written here from those metrics' documented meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import conventions as names
from generator import model as m
from generator.diagnostics import Location
from generator.durations import Duration, parse_duration


@dataclass(frozen=True)
class StackAlert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str


WATCHDOG = "Watchdog"

STACK_ALERTS: tuple[StackAlert, ...] = (
    StackAlert(
        WATCHDOG,
        "vector(1)",
        "0s",
        "info",
        "The alerting pipeline works",
        "Always firing. The notification history receiver expects it every minute; when it stops, "
        "Prometheus, Alertmanager or the path between them is broken.",
    ),
    StackAlert(
        "PrometheusRuleEvaluationFailures",
        "sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total[5m])) > 0",
        "10m",
        "critical",
        "Rules of {{ $labels.rule_group }} fail to evaluate",
        "Prometheus could not evaluate rules of {{ $labels.rule_group }}: their alerts cannot fire.",
    ),
    StackAlert(
        "PrometheusRuleGroupTooSlow",
        "sum by (rule_group) (increase(prometheus_rule_group_iterations_missed_total[10m])) > 0",
        "10m",
        "warning",
        "{{ $labels.rule_group }} misses evaluations",
        "The rule group takes longer than its interval, so evaluations are skipped.",
    ),
    StackAlert(
        "PrometheusNotConnectedToAlertmanagers",
        "max_over_time(prometheus_notifications_alertmanagers_discovered[5m]) < 1",
        "10m",
        "critical",
        "Prometheus has no Alertmanager to send alerts to",
        "Alerts fire in Prometheus but reach no one.",
    ),
    StackAlert(
        "PrometheusNotificationsFailing",
        "rate(prometheus_notifications_errors_total[5m]) / rate(prometheus_notifications_sent_total[5m])"
        " > 0.01",
        "15m",
        "critical",
        "Prometheus fails to send alerts to {{ $labels.alertmanager }}",
        "{{ $value | humanizePercentage }} of the alerts sent to this Alertmanager fail.",
    ),
    StackAlert(
        "AlertmanagerNotificationsFailing",
        "sum by (integration) (rate(alertmanager_notifications_failed_total[5m]))\n/\n"
        "sum by (integration) (rate(alertmanager_notifications_total[5m]))\n> 0.01",
        "10m",
        "critical",
        "Alertmanager fails to deliver {{ $labels.integration }} notifications",
        "{{ $value | humanizePercentage }} of the {{ $labels.integration }} notifications fail.",
    ),
    StackAlert(
        "PrometheusConfigReloadFailed",
        "max_over_time(prometheus_config_last_reload_successful[5m]) == 0",
        "10m",
        "warning",
        "Prometheus could not load its new configuration",
        "Prometheus still runs the previous configuration; the deploy did not take effect.",
    ),
    StackAlert(
        "AlertmanagerConfigReloadFailed",
        "max_over_time(alertmanager_config_last_reload_successful[5m]) == 0",
        "10m",
        "warning",
        "Alertmanager could not load its new configuration",
        "Alertmanager still runs the previous configuration; routing changes did not take effect.",
    ),
    StackAlert(
        "TargetsDown",
        "100 * count by (job) (up == 0) / count by (job) (up) > 10",
        "10m",
        "warning",
        "{{ $value | humanize }}% of the {{ $labels.job }} targets are down",
        "Prometheus cannot scrape them: their alerts and dashboards go blind.",
    ),
    StackAlert(
        "PrometheusTSDBCompactionsFailing",
        "increase(prometheus_tsdb_compactions_failed_total[3h]) > 0",
        "0s",
        "warning",
        "Prometheus fails to compact its storage",
        "Disk use grows and queries slow down.",
    ),
    StackAlert(
        "PrometheusTSDBReloadsFailing",
        "increase(prometheus_tsdb_reloads_failures_total[3h]) > 0",
        "0s",
        "warning",
        "Prometheus fails to load storage blocks",
        "Some history may not be queryable.",
    ),
    StackAlert(
        "PrometheusTSDBWALCorruptions",
        "increase(prometheus_tsdb_wal_corruptions_total[3h]) > 0",
        "0s",
        "critical",
        "Prometheus' write-ahead log is corrupted",
        "Recent samples may be lost on restart.",
    ),
)


def _annotations(alert: StackAlert, runbook_base_url: str | None) -> m.Pairs:
    annotations = {"summary": alert.summary, "description": alert.description}
    if runbook_base_url:
        annotations["runbook_url"] = names.runbook_url(runbook_base_url, names.STACK_GROUP, alert.name)
    return tuple(sorted(annotations.items()))


def stack_group(
    team: str, location: Location, interval: Duration, runbook_base_url: str | None
) -> m.RuleGroup:
    rules = tuple(
        m.AlertRule(
            expr=alert.expr,
            labels=((names.SEVERITY_LABEL, alert.severity), (names.TEAM_LABEL, team)),
            location=location,
            expr_location=location,
            generated_expr=True,
            disabled_checks=frozenset(),
            owner=names.STACK_GROUP,
            alert=alert.name,
            for_=parse_duration(alert.for_),
            annotations=_annotations(alert, runbook_base_url),
            severity=alert.severity,
            kind="stack",
        )
        for alert in STACK_ALERTS
    )
    return m.RuleGroup(
        name=names.STACK_GROUP,
        file=names.rule_file(team, names.STACK_GROUP),
        team=team,
        service=None,
        interval=interval,
        rules=rules,
        sources=(location.file,),
        location=location,
    )
