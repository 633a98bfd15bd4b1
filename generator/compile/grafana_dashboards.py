"""Grafana dashboards generated from the definitions (https://grafana.com/docs/grafana/latest/dashboards/).

Every service gets one (its shortcuts in the RED method's order, a panel per alert with its
threshold, its SLOs); every SLO one (compliance, budget, burn rates, burn-down over the period);
every node_exporter job one (the USE method); every alert group one; every team an overview; and
the executives one of SLO compliance and business KPIs linking down. Alerts' `dashboard` links open
the panel of their own alert (`?viewPanel=<id>`, ids from `conventions`). The SLO and host
dashboards are built in their own modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import promql_parser as pp

from generator import conventions as names
from generator import panels as p
from generator.compile import Artifact
from generator.compile.exporters import PROBE_JOB, SQL_JOB
from generator.compile.grafana_hosts_dashboard import hosts_dashboard
from generator.compile.grafana_slo_dashboard import slo_dashboard
from generator.model import SLO, AlertRule, Model, RuleGroup, Service
from generator.promql import Selector, parse, parse_selector
from generator.resolve_slos import decimal_text

COMPARISONS = {">", ">=", "<", "<=", "==", "!="}


def _matchers(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f'{key}="{value}"' for key, value in pairs)


def _with_instance(selector: str) -> str:
    parsed = parse_selector(selector)
    if any(m.name == "instance" for m in parsed.matchers):
        return selector
    return Selector(
        parsed.metric, (*parsed.matchers, *parse_selector("x{" + p.INSTANCE_MATCHER + "}").matchers)
    ).render()


def _shortcut_panels(service: Service) -> list[p.Panel]:
    out: list[p.Panel] = []
    for shortcut in service.metrics:
        title = shortcut.description or shortcut.name.replace("_", " ")
        selector = _with_instance(shortcut.selector)
        if shortcut.type == "counter":
            out.append(
                p.timeseries(
                    f"{title.capitalize()} per second",
                    [
                        p.Query(f"sum(rate({selector}[$__rate_interval]))", "total"),
                        p.Query(f"sum by (instance) (rate({selector}[$__rate_interval]))", "{{instance}}"),
                    ],
                    unit="requests_per_second" if shortcut.unit == "count" else shortcut.unit,
                    width=8,
                )
            )
        elif shortcut.type == "histogram":
            name, brace, rest = selector.partition("{")
            buckets = f"{name}_bucket{brace}{rest}"
            out.append(
                p.timeseries(
                    f"{title.capitalize()} percentiles",
                    [
                        p.Query(
                            f"histogram_quantile({q}, sum by (le) (rate({buckets}[$__rate_interval])))",
                            f"p{label}",
                        )
                        for q, label in (("0.5", "50"), ("0.9", "90"), ("0.99", "99"))
                    ],
                    unit=shortcut.unit,
                    width=8,
                )
            )
        else:
            out.append(
                p.timeseries(
                    title.capitalize(), [p.Query(selector, "{{instance}}")], unit=shortcut.unit, width=8
                )
            )
    return out


def _split_condition(expr: str) -> tuple[list[p.Query], list[tuple[float | None, str]], bool]:
    """What an alert panel plots: the alert's left side (and a computed bound), and its threshold."""
    node = parse(expr)
    while isinstance(node, pp.BinaryExpr) and str(node.op) in ("and", "or", "unless"):
        node = node.lhs
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if isinstance(node, pp.Call) and node.func.name == "absent":
        return [p.Query(f"count({node.args[0]})", "series")], [(None, "green")], False
    if isinstance(node, pp.BinaryExpr) and str(node.op) in COMPARISONS:
        value, bound = str(node.lhs), node.rhs
        while isinstance(bound, pp.ParenExpr):
            bound = bound.expr
        if isinstance(bound, pp.NumberLiteral):
            limit = float(bound.val)
            below = str(node.op) in ("<", "<=")
            steps: list[tuple[float | None, str]] = (
                [(None, "red"), (limit, "green")] if below else [(None, "green"), (limit, "red")]
            )
            return [p.Query(value, "{{instance}}")], steps, True
        return [p.Query(value, "value"), p.Query(str(bound), "bound")], [(None, "green")], False
    return [p.Query(expr, "")], [(None, "green")], False


def _alert_panels(rules: Iterable[AlertRule]) -> list[p.Panel]:
    out = []
    for rule in rules:
        if rule.panel_id is None:
            continue
        queries, steps, line = _split_condition(rule.expr)
        summary = dict(rule.annotations).get("summary", "")
        out.append(
            p.timeseries(
                f"{rule.alert} ({rule.severity})",
                queries,
                steps=steps,
                threshold_line=line,
                description=summary,
                panel_id=rule.panel_id,
                width=8,
            )
        )
    return out


def _health_panels(group: RuleGroup) -> list[p.Panel]:
    """What the probe exporter sees of the service's health checks; its alerts link here."""
    probes = sorted({dict(r.labels)["probe"] for r in group.rules if isinstance(r, AlertRule)})
    selector = f'job="{PROBE_JOB}", probe=~"{"|".join(probes)}"'
    kinds = {r.alert for r in group.rules if isinstance(r, AlertRule)}
    panels = [
        p.timeseries(
            "HealthCheckFailing: probe success per check",
            [p.Query(f"probe_success{{{selector}}}", "{{probe}}")],
            unit="bool_yes_no",
            minimum=0,
            maximum=1,
            description="1 while the check passes; the alert fires after the check's down_for at 0.",
            panel_id=names.HEALTH_PANEL_IDS["HealthCheckFailing"],
            width=12,
        ),
    ]
    if "CertificateExpiringSoon" in kinds:
        panels.append(
            p.timeseries(
                "CertificateExpiringSoon: time left on the certificates",
                [p.Query(f"probe_ssl_earliest_cert_expiry{{{selector}}} - time()", "{{probe}}")],
                unit="s",
                description="Seconds until the earliest certificate of each HTTPS check expires.",
                panel_id=names.HEALTH_PANEL_IDS["CertificateExpiringSoon"],
                width=12,
            )
        )
    return panels


def _slo_stats(model: Model, slos: Iterable[SLO], *, linked: bool = True) -> list[p.Panel]:
    out = []
    for slo in slos:
        labels = f'service="{slo.service}", slo="{slo.name}"'
        objective = float(slo.objective)
        links = [
            p.link(
                f"{slo.service} {slo.name} SLO",
                model.settings.dashboard_url(names.slo_dashboard_uid(slo.service, slo.name)),
            )
        ]
        out.append(
            p.stat(
                f"{slo.service} {slo.name}: compliance ({decimal_text(slo.objective * 100)}%)",
                [p.Query(f"{names.SLO_COMPLIANCE}{{{labels}}}")],
                unit="ratio",
                decimals=3,
                steps=[(None, "red"), (objective, "green")],
                links=links if linked else [],
                graph=False,
            )
        )
        out.append(
            p.stat(
                f"{slo.service} {slo.name}: budget left",
                [p.Query(f"{names.SLO_BUDGET_REMAINING}{{{labels}}}")],
                unit="ratio",
                decimals=1,
                steps=[(None, "red"), (0.25, "orange"), (0.5, "green")],
                links=links if linked else [],
                graph=False,
            )
        )
    return out


def _group_of(model: Model, service: str, name: str) -> RuleGroup | None:
    return next((g for g in model.rule_groups if g.service == service and g.name == name), None)


def service_dashboard(model: Model, service: Service) -> dict[str, Any]:
    group = _group_of(model, service.name, names.rule_group_name(service.name))
    alerts = [r for r in (group.rules if group else ()) if isinstance(r, AlertRule)]
    slos = [s for s in model.slos if s.service == service.name]
    selector = _matchers(service.selector)
    items: list[p.Panel | p.Row] = [p.Row("Traffic, errors, latency", _shortcut_panels(service))]
    if alerts:
        items.append(p.Row("Alerts", _alert_panels(alerts)))
    if slos:
        items.append(p.Row("SLOs", _slo_stats(model, slos)))
    health = _group_of(model, service.name, f"{service.name}-health-checks")
    if health is not None:
        items.append(p.Row("Health checks", _health_panels(health)))
    links = [
        p.dashboard_link(
            f"Team {service.team}",
            model.settings.dashboard_url(names.team_dashboard_uid(service.team)),
        )
    ]
    return p.dashboard(
        names.service_dashboard_uid(service.name),
        f"Service: {service.name}",
        items,
        tags=[service.team, service.category, "service"],
        description=service.description,
        variables=[p.query_variable("instance", f"label_values(up{{{selector}}}, instance)")],
        links=links,
        datasource_uid=model.settings.grafana_datasource_uid,
    )


def _kpi_rows(model: Model) -> list[p.Panel | p.Row]:
    """The SQL KPI exporter's numbers, and whether its queries run (the KPI alert links there)."""
    kpis = model.kpis
    metrics = [
        p.timeseries(
            f"{metric.name}",
            [p.Query(f"sum by ({', '.join(query.labels) or 'job'}) ({metric.name})", _legend(query.labels))],
            unit="short",
            description=metric.help,
            width=12,
        )
        for query in kpis.queries
        for metric in query.metrics
    ]
    health = p.timeseries(
        "KPIQueryFailing: queries that succeed",
        [p.Query(f'sql_query_success{{job="{SQL_JOB}"}}', "{{query}}")],
        unit="bool_yes_no",
        minimum=0,
        maximum=1,
        description="1 while the query's last run succeeded; KPIQueryFailing fires after failing_for at 0.",
        panel_id=names.KPI_QUERY_PANEL_ID,
        width=24,
    )
    return [p.Row("Business KPIs", metrics), p.Row("Queries", [health])]


def _legend(labels: Iterable[str]) -> str:
    return " ".join(f"{{{{{label}}}}}" for label in labels) or "{{job}}"


def group_dashboard(model: Model, group: RuleGroup) -> dict[str, Any]:
    alerts = [r for r in group.rules if isinstance(r, AlertRule)]
    rows: list[p.Panel | p.Row] = [p.Row("Alerts", _alert_panels(alerts))]
    if group.name == SQL_JOB and model.kpis is not None:
        rows = _kpi_rows(model)
    return p.dashboard(
        names.group_dashboard_uid(group.name),
        f"Alerts: {group.name}" if group.name != SQL_JOB else "Business KPIs from SQL",
        rows,
        tags=[group.team, "alerts"],
        variables=[p.query_variable("instance", "label_values(up, instance)")],
        links=[
            p.dashboard_link(
                f"Team {group.team}",
                model.settings.dashboard_url(names.team_dashboard_uid(group.team)),
            )
        ],
        datasource_uid=model.settings.grafana_datasource_uid,
    )


def team_dashboard(model: Model, team: str) -> dict[str, Any]:
    services = [s for s in model.services if s.team == team]
    up = [
        p.stat(
            f"{s.name}: targets up",
            [p.Query(f"sum(up{{{_matchers(s.selector)}}})")],
            steps=[(None, "red"), (1, "green")],
            graph=False,
            width=4,
            links=[
                p.link(
                    f"Service {s.name}",
                    model.settings.dashboard_url(names.service_dashboard_uid(s.name)),
                )
            ],
        )
        for s in services
    ]
    items: list[p.Panel | p.Row] = [
        p.table("Firing alerts", [p.Query(f'ALERTS{{team="{team}", alertstate="firing"}}')], width=24),
        p.Row("Services", up),
    ]
    slos = [s for s in model.slos if s.team == team]
    if slos:
        items.append(p.Row("SLOs", _slo_stats(model, slos)))
    links = [
        p.dashboard_link("Executive overview", model.settings.dashboard_url(names.EXECUTIVE_DASHBOARD_UID))
    ]
    return p.dashboard(
        names.team_dashboard_uid(team),
        f"Team: {team}",
        items,
        tags=[team, "team"],
        links=links,
        datasource_uid=model.settings.grafana_datasource_uid,
    )


def executive_dashboard(model: Model) -> dict[str, Any]:
    kpis = []
    for service in model.services:
        if service.category != "business":
            continue
        for shortcut in service.metrics:
            if shortcut.type == "counter":
                title = shortcut.description or shortcut.name.replace("_", " ")
                kpis.append(
                    p.stat(
                        f"{title.capitalize()} (24h)",
                        [p.Query(f"sum(increase({shortcut.selector}[1d]))")],
                        decimals=0,
                        links=[
                            p.link(
                                f"Service {service.name}",
                                names.uid_url(
                                    model.settings.grafana_url, names.service_dashboard_uid(service.name)
                                ),
                            )
                        ],
                    )
                )
    items: list[p.Panel | p.Row] = [p.Row("SLO compliance", _slo_stats(model, model.slos))]
    if kpis:
        items.append(p.Row("Business KPIs", kpis))
    links = [
        p.dashboard_link(
            f"Team {t.display_name}",
            model.settings.dashboard_url(names.team_dashboard_uid(t.name)),
        )
        for t in model.teams
    ]
    return p.dashboard(
        names.EXECUTIVE_DASHBOARD_UID,
        "Overview: SLOs and KPIs",
        items,
        tags=["overview"],
        description="Are we keeping our promises, and how is the business doing? Click through to the teams.",
        time_from="now-7d",
        refresh="5m",
        links=links,
        datasource_uid=model.settings.grafana_datasource_uid,
    )


def compile_dashboards(model: Model) -> list[Artifact]:
    out: list[Artifact] = []

    def add(folder: str, board: dict[str, Any], sources: Iterable[str]) -> None:
        out.append(
            Artifact(
                names.dashboard_file(folder, board["uid"]), board, tuple(sorted(set(sources))), format="json"
            )
        )

    for service in model.services:
        add(service.team, service_dashboard(model, service), [service.location.file])
    for slo in model.slos:
        add(slo.team, slo_dashboard(model, slo), [slo.location.file])
    for job in model.scrape_jobs:
        if job.exporter == "node":
            add(
                job.team or names.GENERAL_FOLDER, hosts_dashboard(model, job.job_name, job.team), [job.source]
            )
    for group in model.rule_groups:
        if (
            group.service is None
            and group.name != names.STACK_GROUP
            and any(isinstance(r, AlertRule) for r in group.rules)
        ):
            add(group.team, group_dashboard(model, group), group.sources)
    for team in model.teams:
        add(team.name, team_dashboard(model, team.name), [team.location.file])
    if model.slos or any(s.category == "business" for s in model.services):
        add(names.OVERVIEW_FOLDER, executive_dashboard(model), [])
    return out
