"""Grafana dashboards generated from the definitions (https://grafana.com/docs/grafana/latest/dashboards/).

Every service gets one (its shortcuts in the RED method's order, a panel per alert with its
threshold, its SLOs); every SLO one (compliance, budget, burn rates, burn-down over the period);
every node_exporter job one (the USE method); every alert group one; every team an overview; and
the executives one of SLO compliance and business KPIs linking down. Alerts' `dashboard` links open
the panel of their own alert (`?viewPanel=<id>`, ids from `conventions`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import promql_parser as pp

from generator import conventions as names
from generator import panels as p
from generator.compile import Artifact
from generator.compile.exporters import PROBE_JOB, SQL_JOB
from generator.durations import format_duration
from generator.model import SLO, AlertRule, Model, RuleGroup, Service
from generator.promql import Selector, parse, parse_selector
from generator.resolve_slos import decimal_text

COMPARISONS = {">", ">=", "<", "<=", "==", "!="}
INSTANCE = 'instance=~"$instance"'


def _matchers(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f'{key}="{value}"' for key, value in pairs)


def _url(model: Model, uid: str) -> str:
    base = (model.settings.grafana_url or "").rstrip("/")
    return f"{base}/d/{uid}"


def _with_instance(selector: str) -> str:
    parsed = parse_selector(selector)
    if any(m.name == "instance" for m in parsed.matchers):
        return selector
    return Selector(
        parsed.metric, (*parsed.matchers, *parse_selector("x{" + INSTANCE + "}").matchers)
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
                f"{slo.service} {slo.name} SLO", _url(model, names.slo_dashboard_uid(slo.service, slo.name))
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
    links = [p.dashboard_link(f"Team {service.team}", _url(model, names.team_dashboard_uid(service.team)))]
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


def slo_dashboard(model: Model, slo: SLO) -> dict[str, Any]:
    sli = f'service="{slo.service}", sli="{slo.sli}"'
    labels = f'service="{slo.service}", slo="{slo.name}"'
    budget = decimal_text(slo.error_budget)
    period = format_duration(slo.period.milliseconds)
    fast = float(slo.windows[0].burn_rate)
    stats = [
        p.stat(
            "Objective",
            [p.Query(f"{names.SLO_OBJECTIVE}{{{labels}}}")],
            unit="ratio",
            decimals=3,
            graph=False,
        ),
        p.stat(
            f"Compliance over {period}",
            [p.Query(f"{names.SLO_COMPLIANCE}{{{labels}}}")],
            unit="ratio",
            decimals=3,
            steps=[(None, "red"), (float(slo.objective), "green")],
            graph=False,
        ),
        p.stat(
            "Error budget left",
            [p.Query(f"{names.SLO_BUDGET_REMAINING}{{{labels}}}")],
            unit="ratio",
            decimals=1,
            steps=[(None, "red"), (0.25, "orange"), (0.5, "green")],
            graph=False,
        ),
        p.stat(
            "Burn rate now",
            [p.Query(f"{names.SLO_CURRENT_BURN_RATE}{{{labels}}}")],
            decimals=2,
            steps=[(None, "green"), (1, "orange"), (fast, "red")],
            graph=False,
        ),
    ]
    windows = sorted({w.long.milliseconds for w in slo.windows} | {w.short.milliseconds for w in slo.windows})
    burn = p.timeseries(
        "Burn rate by window",
        [
            p.Query(f"{names.slo_error_ratio(format_duration(ms))}{{{sli}}} / {budget}", format_duration(ms))
            for ms in windows
        ],
        steps=[(None, "green"), (1, "orange"), (fast, "red")],
        threshold_line=True,
        width=12,
        description="How many times faster than sustainable the error budget burns, per window; the lines "
        "are the ticket (1x) and fast page thresholds.",
        panel_id=names.SLO_BURN_PANEL_ID,
    )
    burndown = p.timeseries(
        f"Error budget left over the {period}",
        [p.Query(f"{names.SLO_BUDGET_REMAINING}{{{labels}}}", "budget left")],
        unit="ratio",
        maximum=1,
        width=12,
        steps=[(None, "red"), (0, "orange"), (0.5, "green")],
        threshold_line=True,
    )
    ratio = p.timeseries(
        "Error ratio",
        [
            p.Query(f"{names.slo_error_ratio('5m')}{{{sli}}}", "5m"),
            p.Query(f"{names.slo_error_ratio('1h')}{{{sli}}}", "1h"),
        ],
        unit="ratio",
        steps=[(None, "green"), (float(slo.error_budget), "red")],
        threshold_line=True,
        width=12,
    )
    daily = p.timeseries(
        "Compliance per day",
        [p.Query(f"1 - avg_over_time({names.slo_error_ratio('5m')}{{{sli}}}[1d])", "compliance")],
        unit="ratio",
        steps=[(None, "red"), (float(slo.objective), "green")],
        threshold_line=True,
        width=12,
    )
    return p.dashboard(
        names.slo_dashboard_uid(slo.service, slo.name),
        f"SLO: {slo.service} {slo.name}",
        [*stats, burn, burndown, ratio, daily],
        tags=[slo.team, "slo", slo.service],
        description=slo.description,
        time_from=f"now-{period}",
        refresh="5m",
        links=[
            p.dashboard_link(f"Service {slo.service}", _url(model, names.service_dashboard_uid(slo.service)))
        ],
        datasource_uid=model.settings.grafana_datasource_uid,
    )


def hosts_dashboard(model: Model, job: str, team: str | None) -> dict[str, Any]:
    s = f'job="{job}", {INSTANCE}'
    fs = f'{s}, fstype!~"tmpfs|overlay|squashfs", mountpoint!~"/run.*"'
    rate = "$__rate_interval"
    idle = f'node_cpu_seconds_total{{mode="idle", {s}}}'
    idle_rate = f"rate({idle}[{rate}])"
    items: list[p.Panel | p.Row] = [
        p.Row(
            "CPU",
            [
                p.timeseries(
                    "CPU utilisation",
                    [
                        p.Query(
                            f"1 - avg by (instance) ({idle_rate})",
                            "{{instance}}",
                        )
                    ],
                    unit="ratio",
                    maximum=1,
                    steps=[(None, "green"), (0.9, "red")],
                    threshold_line=True,
                ),
                p.timeseries(
                    "CPU saturation (load per core)",
                    [
                        p.Query(
                            f"node_load1{{{s}}} / on (instance) count by (instance) ({idle})",
                            "{{instance}}",
                        )
                    ],
                    steps=[(None, "green"), (1, "red")],
                    threshold_line=True,
                ),
            ],
        ),
        p.Row(
            "Memory",
            [
                p.timeseries(
                    "Memory utilisation",
                    [
                        p.Query(
                            f"1 - node_memory_MemAvailable_bytes{{{s}}} / node_memory_MemTotal_bytes{{{s}}}",
                            "{{instance}}",
                        )
                    ],
                    unit="ratio",
                    maximum=1,
                    steps=[(None, "green"), (0.95, "red")],
                    threshold_line=True,
                ),
                p.timeseries(
                    "Memory saturation (major page faults)",
                    [p.Query(f"rate(node_vmstat_pgmajfault{{{s}}}[{rate}])", "{{instance}}")],
                ),
            ],
        ),
        p.Row(
            "Disk",
            [
                p.timeseries(
                    "Disk space used",
                    [
                        p.Query(
                            f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}",
                            "{{instance}} {{mountpoint}}",
                        )
                    ],
                    unit="ratio",
                    maximum=1,
                    steps=[(None, "green"), (0.9, "red")],
                    threshold_line=True,
                    width=8,
                ),
                p.timeseries(
                    "Disk IO utilisation",
                    [
                        p.Query(
                            f"rate(node_disk_io_time_seconds_total{{{s}}}[{rate}])", "{{instance}} {{device}}"
                        )
                    ],
                    unit="ratio",
                    width=8,
                ),
                p.timeseries(
                    "Disk IO saturation",
                    [
                        p.Query(
                            f"rate(node_disk_io_time_weighted_seconds_total{{{s}}}[{rate}])",
                            "{{instance}} {{device}}",
                        )
                    ],
                    width=8,
                ),
            ],
        ),
        p.Row(
            "Network",
            [
                p.timeseries(
                    "Network received",
                    [
                        p.Query(
                            f'rate(node_network_receive_bytes_total{{{s}, device!="lo"}}[{rate}])',
                            "{{instance}} {{device}}",
                        )
                    ],
                    unit="Bps",
                ),
                p.timeseries(
                    "Network sent",
                    [
                        p.Query(
                            f'rate(node_network_transmit_bytes_total{{{s}, device!="lo"}}[{rate}])',
                            "{{instance}} {{device}}",
                        )
                    ],
                    unit="Bps",
                ),
                p.timeseries(
                    "Network errors and drops",
                    [
                        p.Query(
                            f'rate(node_network_receive_errs_total{{{s}, device!="lo"}}[{rate}])',
                            "rx errors {{instance}}",
                        ),
                        p.Query(
                            f'rate(node_network_transmit_errs_total{{{s}, device!="lo"}}[{rate}])',
                            "tx errors {{instance}}",
                        ),
                        p.Query(
                            f'rate(node_network_receive_drop_total{{{s}, device!="lo"}}[{rate}])',
                            "rx drops {{instance}}",
                        ),
                    ],
                    width=24,
                ),
            ],
        ),
    ]
    return p.dashboard(
        names.hosts_dashboard_uid(job),
        f"Hosts: {job}",
        items,
        tags=["hosts", "use", *([team] if team else [])],
        description="The USE method (utilisation, saturation, errors) for every resource of the hosts.",
        variables=[p.query_variable("instance", f'label_values(node_uname_info{{job="{job}"}}, instance)')],
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
        links=[p.dashboard_link(f"Team {group.team}", _url(model, names.team_dashboard_uid(group.team)))],
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
            links=[p.link(f"Service {s.name}", _url(model, names.service_dashboard_uid(s.name)))],
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
    links = [p.dashboard_link("Executive overview", _url(model, names.EXECUTIVE_DASHBOARD_UID))]
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
                                _url(model, names.service_dashboard_uid(service.name)),
                            )
                        ],
                    )
                )
    items: list[p.Panel | p.Row] = [p.Row("SLO compliance", _slo_stats(model, model.slos))]
    if kpis:
        items.append(p.Row("Business KPIs", kpis))
    links = [
        p.dashboard_link(f"Team {t.display_name}", _url(model, names.team_dashboard_uid(t.name)))
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
