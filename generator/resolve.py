"""Stage 3, resolve: validated specs to the frozen model.

Applies defaults, checks cross-references (teams, services), finds duplicates, parses durations
and selectors, and hands each service's and group's alerts to `resolve_rules`. All problems are
collected; the model is returned only when there are none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from generator import conventions as names
from generator import model as m
from generator import spec as s
from generator.compile.exporters import (
    PROBE_EXPORTER_ADDRESS,
    PROBE_JOB,
    PROBE_SCRAPE_TIMEOUT_S,
    PUSH_BRIDGE_ADDRESS,
    PUSH_JOB,
    SQL_EXPORTER_ADDRESS,
    SQL_JOB,
    ResolvedHealthCheck,
    health_alert_rules,
    kpi_alert_rules,
)
from generator.diagnostics import Diagnostic, Location
from generator.durations import Duration, parse_duration
from generator.grafanalib_dashboards import GrafanalibDashboard
from generator.humanize import guess_unit
from generator.problems import Problems, did_you_mean
from generator.promql import PromQLError, parse_selector
from generator.resolve_alertmanager import resolve_alertmanager
from generator.resolve_rules import resolve_rules
from generator.resolve_slos import resolve_slos
from generator.signals import Owner
from generator.source import locate
from generator.spec.health import HealthCheck
from generator.spec.validate import ParsedDocument
from generator.stack_alerts import stack_group

DEFAULTS_LOCATION = Location("<defaults>")
CREDENTIALS_INSTEAD = "use basic_auth.password_file or authorization.credentials_file"
T = TypeVar("T")
UP_SHORTCUT = "up"


def _pairs(labels: dict[str, str]) -> m.Pairs:
    return tuple(sorted(labels.items()))


def _duration(text: str | None, default: Duration) -> Duration:
    return parse_duration(text) if text is not None else default


def _http(spec: Any) -> m.HTTPClient:
    basic = spec.basic_auth
    auth = spec.authorization
    tls = spec.tls
    return m.HTTPClient(
        basic_auth=m.BasicAuth(basic.username, basic.password_file) if basic else None,
        authorization=m.Authorization(auth.type, auth.credentials_file) if auth else None,
        tls=m.TLS(tls.ca_file, tls.cert_file, tls.key_file, tls.server_name, tls.insecure_skip_verify)
        if tls
        else None,
    )


def _singleton(problems: Problems, documents: list[ParsedDocument], kind: str) -> ParsedDocument | None:
    found = [d for d in documents if d.kind == kind]
    for extra in found[1:]:
        problems.add(
            extra,
            ["kind"],
            f"a second {kind} definition; there can be only one",
            hint=f"the first is at {found[0].location}",
        )
    return found[0] if found else None


def _settings(document: ParsedDocument | None, problems: Problems) -> m.Settings:
    spec = document.spec if document is not None else s.Settings(kind="Settings")
    assert isinstance(spec, s.Settings)
    for field in ("grafana_url", "runbook_base_url"):
        value = getattr(spec, field)
        if value is not None and document is not None:
            problems.check_url(document, [field], value, CREDENTIALS_INSTEAD)
    return m.Settings(
        grafana_url=spec.grafana_url,
        runbook_base_url=spec.runbook_base_url,
        default_for=parse_duration(spec.alert_defaults.for_),
        disabled_checks=frozenset(spec.checks.disabled),
        grafana_datasource_url=spec.grafana_datasource_url,
        grafana_datasource_uid=spec.grafana_datasource_uid,
    )


def _prometheus(document: ParsedDocument | None, problems: Problems) -> m.PrometheusServer:
    spec = document.spec if document is not None else s.Prometheus(kind="Prometheus")
    assert isinstance(spec, s.Prometheus)
    scrape_interval = parse_duration(spec.scrape_interval)
    scrape_timeout = parse_duration(spec.scrape_timeout)
    if document is not None and scrape_timeout > scrape_interval:
        problems.add(
            document,
            ["scrape_timeout"],
            f"scrape_timeout {spec.scrape_timeout} is longer than scrape_interval {spec.scrape_interval}",
            hint="Prometheus refuses this configuration",
        )
    remote_write = []
    for index, rw in enumerate(spec.remote_write):
        if document is not None:
            problems.check_url(document, ["remote_write", index, "url"], rw.url, CREDENTIALS_INSTEAD)
        remote_write.append(m.RemoteWrite(rw.url, rw.name, _pairs(rw.headers), _http(rw)))
    return m.PrometheusServer(
        scrape_interval=scrape_interval,
        scrape_timeout=scrape_timeout,
        evaluation_interval=parse_duration(spec.evaluation_interval),
        external_labels=_pairs(spec.external_labels),
        alertmanagers=tuple(
            m.AlertmanagerTarget(
                tuple(a.targets),
                a.scheme,
                a.path_prefix,
                parse_duration(a.timeout) if a.timeout else None,
                _http(a),
            )
            for a in spec.alertmanagers
        ),
        remote_write=tuple(remote_write),
        source=document.raw.file if document is not None else "",
        location=document.location if document is not None else DEFAULTS_LOCATION,
    )


def _by_name(
    documents: list[ParsedDocument], kind: type[T], what: str, problems: Problems
) -> dict[str, tuple[T, ParsedDocument]]:
    """Definitions of one kind by name; a second one of the same name is reported."""
    found: dict[str, tuple[T, ParsedDocument]] = {}
    for document in documents:
        spec = document.spec
        if not isinstance(spec, kind):
            continue
        name = str(getattr(spec, "name", ""))
        if name in found:
            problems.add(
                document,
                ["name"],
                f"duplicate {what} {name!r}",
                hint=f"first declared at {found[name][1].location}",
            )
            continue
        found[name] = (spec, document)
    return found


def _team_ref(
    problems: Problems,
    document: ParsedDocument,
    teams: dict[str, Any],
    team: str | None,
    path: Sequence[str] = ("team",),
) -> bool:
    if team is None or team in teams:
        return True
    hint = did_you_mean(team, teams) or (
        "declared teams: " + ", ".join(sorted(teams)) if teams else "declare it with `kind: Team`"
    )
    problems.add(document, path, f"unknown team {team!r}", hint=hint, code="reference")
    return False


def _scrape_job(
    name: str,
    spec: s.ScrapeOptions,
    labels: dict[str, str],
    prometheus: m.PrometheusServer,
    document: ParsedDocument,
    problems: Problems,
    path: Sequence[str | int],
) -> m.ScrapeJob:
    interval = _duration(spec.interval, prometheus.scrape_interval)
    timeout = _duration(spec.timeout, prometheus.scrape_timeout)
    if timeout > interval:
        if spec.timeout is None:
            # The global timeout only; Prometheus would refuse, so shorten it the way Prometheus'
            # own default does for short intervals (timeout = interval).
            timeout = interval
        else:
            problems.add(
                document,
                [*path, "timeout"],
                f"scrape timeout {spec.timeout} is longer than the interval {interval}",
                hint="Prometheus refuses this configuration",
            )
    return m.ScrapeJob(
        job_name=name,
        targets=tuple(spec.targets),
        labels=_pairs({**spec.labels, **labels}),
        interval=interval,
        timeout=timeout,
        metrics_path=spec.metrics_path,
        scheme=spec.scheme,
        params=tuple(sorted((k, tuple(v)) for k, v in spec.params.items())),
        honor_labels=spec.honor_labels,
        http=_http(spec),
        location=locate(document.raw.data, path or ["name"]),
        source=document.raw.file,
        exporter=getattr(spec, "exporter", None),
        team=labels.get(names.TEAM_LABEL),
    )


def _shortcuts(
    service: s.Service, selector: dict[str, str], document: ParsedDocument, problems: Problems
) -> tuple[dict[str, m.MetricShortcut], frozenset[str]]:
    """The service's shortcuts with its selector applied, and the names of those that failed."""
    shortcuts: dict[str, m.MetricShortcut] = {}
    for name, shortcut in service.metrics.items():
        try:
            parsed = parse_selector(shortcut.selector)
        except PromQLError as error:
            problems.add(document, ["metrics", name, shortcut.type], f"{error}: {shortcut.selector!r}")
            continue
        if shortcut.type == "histogram" and parsed.metric.endswith("_bucket"):
            problems.add(
                document,
                ["metrics", name, "histogram"],
                "give the histogram's base name without `_bucket`",
                hint=f"histogram: {parsed.renamed(parsed.metric.removesuffix('_bucket')).render()}",
            )
            continue
        rendered = parsed.with_matchers(selector).render()
        unit = shortcut.unit or ("count" if shortcut.type == "counter" else guess_unit(parsed.metric))
        shortcuts[name] = m.MetricShortcut(name, shortcut.type, rendered, unit, shortcut.description or "")
    if UP_SHORTCUT not in shortcuts and UP_SHORTCUT not in service.metrics:
        # Every service has its targets' `up`, so "the service is down" needs no declaration.
        shortcuts[UP_SHORTCUT] = m.MetricShortcut(
            UP_SHORTCUT, "gauge", parse_selector("up").with_matchers(selector).render(), "none", "targets up"
        )
    return shortcuts, frozenset(service.metrics) - frozenset(shortcuts)


def resolve(
    documents: list[ParsedDocument],
    environment: str | None,
    files: Sequence[str],
    templates: tuple[tuple[str, str], ...] = (),
    grafanalib: Sequence[GrafanalibDashboard] = (),
) -> tuple[m.Model | None, list[Diagnostic]]:
    problems = Problems()
    alertmanager, alertmanager_problems = resolve_alertmanager(documents, templates)
    problems.items.extend(alertmanager_problems)
    settings_document = _singleton(problems, documents, "Settings")
    settings = _settings(settings_document, problems)
    prometheus = _prometheus(_singleton(problems, documents, "Prometheus"), problems)
    teams = _by_name(documents, s.Team, "team", problems)
    services = _by_name(documents, s.Service, "service", problems)

    scrape_jobs: list[m.ScrapeJob] = []
    slos: list[m.SLO] = []
    health_checks: list[_Check] = []
    resolved_services: list[m.Service] = []
    groups: list[m.RuleGroup] = []
    for name, (service, document) in services.items():
        _team_ref(problems, document, teams, service.team)
        selector = dict(service.selector) if service.selector is not None else {"job": service.name}
        shortcuts, broken = _shortcuts(service, selector, document, problems)
        resolved_services.append(
            m.Service(
                name=name,
                team=service.team,
                tier=service.tier,
                description=service.description or "",
                labels=_pairs(service.labels),
                selector=_pairs(selector),
                metrics=tuple(shortcuts.values()),
                location=document.location,
                category=service.category,
                scraped=service.scrape is not None,
            )
        )
        if service.scrape is not None:
            scrape_jobs.append(
                _scrape_job(
                    name,
                    service.scrape,
                    {names.SERVICE_LABEL: name, names.TEAM_LABEL: service.team},
                    prometheus,
                    document,
                    problems,
                    ["scrape"],
                )
            )
        team = teams.get(service.team)
        owner = Owner(
            name=name,
            team=service.team,
            service=name,
            raw=document.raw.data,
            base_labels={names.SERVICE_LABEL: name, **service.labels},
            shortcuts=shortcuts,
            broken=broken,
            rate_window=service.rate_window,
            default_for=settings.default_for,
            runbook_base_url=(team[0].runbook_base_url if team else None) or settings.runbook_base_url,
            dashboard_url=names.dashboard_url(settings.grafana_url, name) if settings.grafana_url else None,
        )
        _check_owner_labels(problems, document, service.labels)
        service_slos, slo_rules = resolve_slos(owner, service.slos, settings.grafana_url)
        slos.extend(service_slos)
        groups.extend(
            _group(owner, service.alerts, service.recording, service.interval, prometheus, document, problems)
        )
        if slo_rules and not owner.diagnostics:
            groups.append(
                _rule_group(
                    owner, names.slo_rule_group(name), slo_rules, service.interval, prometheus, document
                )
            )
        if service.health_checks:
            checks = _health_checks(owner, service.health_checks, document, problems)
            health_checks.extend(checks)
            alerts: list[m.RecordingRule | m.AlertRule] = [
                _health_alert(owner, rule, check.location)
                for check in checks
                for rule in health_alert_rules(check.resolved)
            ]
            groups.append(
                _rule_group(owner, f"{name}-health-checks", alerts, service.interval, prometheus, document)
            )

    if health_checks:
        scrape_jobs.append(_probe_job(health_checks[0], prometheus))
    kpis_doc = _singleton(problems, documents, "BusinessKPIs")
    push_doc = _singleton(problems, documents, "PushBridge")
    for doc, job, address, honor in (
        (kpis_doc, SQL_JOB, SQL_EXPORTER_ADDRESS, False),
        # Pushed series carry their own job/instance labels: keep them (as for a Pushgateway).
        (push_doc, PUSH_JOB, PUSH_BRIDGE_ADDRESS, True),
    ):
        if doc is not None:
            _team_ref(problems, doc, teams, _team_of(doc), ("team",))
            scrape_jobs.append(_exporter_job(job, address, honor, doc, prometheus))
    if kpis_doc is not None:
        groups.append(_kpi_group(kpis_doc, prometheus, settings.grafana_url))
    for document in documents:
        spec = document.spec
        if isinstance(spec, s.ScrapeJob):
            _team_ref(problems, document, teams, spec.team)
            scrape_jobs.append(
                _scrape_job(
                    spec.name,
                    spec,
                    {names.TEAM_LABEL: spec.team} if spec.team else {},
                    prometheus,
                    document,
                    problems,
                    [],
                )
            )
        elif isinstance(spec, s.AlertGroup):
            _team_ref(problems, document, teams, spec.team)
            if spec.service is not None and spec.service not in services:
                problems.add(
                    document,
                    ["service"],
                    f"unknown service {spec.service!r}",
                    hint=did_you_mean(spec.service, services) or "declare it with `kind: Service`",
                    code="reference",
                )
            team = teams.get(spec.team)
            base = {names.SERVICE_LABEL: spec.service} if spec.service else {}
            _check_owner_labels(problems, document, spec.labels)
            owner = Owner(
                name=spec.name,
                team=spec.team,
                service=spec.service,
                raw=document.raw.data,
                base_labels={**base, **spec.labels},
                shortcuts={},
                rate_window="5m",
                default_for=settings.default_for,
                runbook_base_url=(team[0].runbook_base_url if team else None) or settings.runbook_base_url,
                dashboard_url=names.group_dashboard_url(settings.grafana_url, spec.team, spec.name)
                if settings.grafana_url
                else None,
            )
            groups.extend(
                _group(owner, spec.alerts, spec.recording, spec.interval, prometheus, document, problems)
            )

    stack = getattr(settings_document.spec, "stack_alerts", None) if settings_document is not None else None
    if (
        settings_document is not None
        and stack is not None
        and stack.enabled
        and _team_ref(problems, settings_document, teams, stack.team, ("stack_alerts", "team"))
    ):
        location = locate(settings_document.raw.data, ["stack_alerts"])
        team_spec = teams[stack.team][0]
        runbooks = team_spec.runbook_base_url or settings.runbook_base_url
        groups.append(stack_group(stack.team, location, prometheus.evaluation_interval, runbooks))
    for name, (service, document) in services.items():
        for index, dependency in enumerate(service.depends_on):
            if dependency not in services:
                problems.add(
                    document,
                    ["depends_on", index],
                    f"unknown service {dependency!r}",
                    code="reference",
                    hint=did_you_mean(dependency, services) or "declare it with `kind: Service`",
                )
            elif dependency == name:
                problems.add(document, ["depends_on", index], "a service cannot depend on itself")
    generated_uids = {
        *(names.service_dashboard_uid(n) for n in services),
        *(names.team_dashboard_uid(t) for t in teams),
        *(names.group_dashboard_uid(g.name) for g in groups),
        *(names.hosts_dashboard_uid(j.job_name) for j in scrape_jobs),
        *(names.slo_dashboard_uid(slo.service, slo.name) for slo in slos),
        names.EXECUTIVE_DASHBOARD_UID,
    }
    dashboards = _dashboards(documents, teams, problems, generated_uids)
    grafanalib_boards = _grafanalib_boards(
        grafanalib, teams, problems, generated_uids, {d.uid: d.location for d in dashboards}
    )
    _unique(problems, documents, scrape_jobs, groups)
    if problems.items:
        return None, problems.items
    model = m.Model(
        environment=environment,
        teams=tuple(
            m.Team(
                t.name,
                t.display_name or t.name,
                t.description or "",
                d.location,
                tuple(t.members),
                tuple((step.receiver, parse_duration(step.wait)) for step in t.escalation),
            )
            for t, d in sorted(teams.values(), key=lambda pair: pair[0].name)
        ),
        services=tuple(sorted(resolved_services, key=lambda x: x.name)),
        rule_groups=tuple(sorted(groups, key=lambda g: g.file)),
        scrape_jobs=tuple(sorted(scrape_jobs, key=lambda j: j.job_name)),
        prometheus=prometheus,
        settings=settings,
        files=tuple(files),
        alertmanager=alertmanager,
        slos=tuple(slos),
        health_checks=tuple(c.resolved for c in health_checks),
        kpis=kpis_doc.spec if kpis_doc else None,
        push_bridge=push_doc.spec if push_doc else None,
        exporter_sources=tuple(
            (kind, doc.raw.file)
            for kind, doc in (("BusinessKPIs", kpis_doc), ("PushBridge", push_doc))
            if doc
        ),
        dashboards=tuple(dashboards),
        grafanalib_dashboards=tuple(grafanalib_boards),
    )
    return model, []


def _dashboards(
    documents: list[ParsedDocument], teams: dict[str, Any], problems: Problems, generated: set[str]
) -> list[m.UserDashboard]:
    out: list[m.UserDashboard] = []
    seen: dict[str, ParsedDocument] = {}
    for document in documents:
        spec = document.spec
        if not isinstance(spec, s.Dashboard):
            continue
        uid = spec.uid or names.slug_uid(spec.title)
        path = ["uid"] if spec.uid else ["title"]
        if uid in seen:
            problems.add(
                document,
                path,
                f"dashboard uid {uid!r} is used twice",
                hint=f"the other is at {seen[uid].location}; set `uid:` on one of them",
            )
            continue
        if uid in generated:
            problems.add(
                document,
                path,
                f"dashboard uid {uid!r} is the uid of a generated dashboard",
                hint="set another `uid:` (generated dashboards own svc-, slo-, team-, hosts-, group-)",
            )
            continue
        seen[uid] = document
        _team_ref(problems, document, teams, spec.folder, ("folder",))
        out.append(
            m.UserDashboard(
                spec,
                uid,
                spec.folder or names.GENERAL_FOLDER,
                document.location,
                document.raw.file,
                document.raw.data,
            )
        )
    return out


def _grafanalib_boards(
    loaded: Sequence[GrafanalibDashboard],
    teams: dict[str, Any],
    problems: Problems,
    generated: set[str],
    written: dict[str, Location],
) -> list[m.GrafanalibBoard]:
    """Folders and uids of grafanalib dashboards, held to the rules of `kind: Dashboard`."""
    out: list[m.GrafanalibBoard] = []
    seen = dict(written)
    for board in loaded:
        if board.folder is not None and board.folder not in teams:
            problems.items.append(
                Diagnostic(
                    Location(board.file, 1, 1),
                    f"dashboards/{board.folder}/ is not a team's folder",
                    code="reference",
                    hint=did_you_mean(board.folder, list(teams))
                    or "dashboards in a sub-folder go to that team's Grafana folder; declare the team "
                    "or move the file up to dashboards/",
                )
            )
            continue
        other = seen.get(board.uid)
        if other is not None or board.uid in generated:
            problems.items.append(
                Diagnostic(
                    board.location,
                    f"dashboard uid {board.uid!r} is "
                    + (f"already used at {other}" if other else "the uid of a generated dashboard"),
                    code="definitions",
                    hint="give the grafanalib Dashboard its own uid=...",
                )
            )
            continue
        seen[board.uid] = board.location
        out.append(m.GrafanalibBoard(board, board.folder or names.GENERAL_FOLDER))
    return out


def _check_owner_labels(problems: Problems, document: ParsedDocument, labels: dict[str, str]) -> None:
    for key in sorted(labels):
        if key in names.RESERVED_LABELS:
            problems.add(
                document,
                ["labels", key],
                f"label {key!r} is set by the generator",
                hint=names.RESERVED_LABEL_HINTS[key],
                key=True,
            )


def _group(
    owner: Owner,
    alerts: list[s.Alert],
    recording: list[s.RecordingRule],
    interval: str | None,
    prometheus: m.PrometheusServer,
    document: ParsedDocument,
    problems: Problems,
) -> list[m.RuleGroup]:
    rules = resolve_rules(owner, alerts, recording)
    if owner.diagnostics:
        problems.items.extend(owner.diagnostics)
        return []
    if not rules:
        return []
    return [_rule_group(owner, names.rule_group_name(owner.name), rules, interval, prometheus, document)]


def _rule_group(
    owner: Owner,
    name: str,
    rules: list[m.RecordingRule | m.AlertRule],
    interval: str | None,
    prometheus: m.PrometheusServer,
    document: ParsedDocument,
) -> m.RuleGroup:
    sources = sorted(
        {document.raw.file} | {r.location.file for r in rules} | {r.expr_location.file for r in rules}
    )
    return m.RuleGroup(
        name=name,
        file=names.rule_file(owner.team, owner.name),
        team=owner.team,
        service=owner.service,
        interval=_duration(interval, prometheus.evaluation_interval),
        rules=tuple(rules),
        sources=tuple(f for f in sources if not f.startswith("<")),
        location=document.location,
    )


@dataclass(frozen=True)
class _Check:
    resolved: ResolvedHealthCheck
    location: Location


def _health_checks(
    owner: Owner, specs: Sequence[HealthCheck], document: ParsedDocument, problems: Problems
) -> list[_Check]:
    """A service's health checks, each a probe of the probe exporter named `<service>-<check>`."""
    seen: set[str] = set()
    out: list[_Check] = []
    for index, check in enumerate(specs):
        if check.name in seen:
            problems.add(
                document, ["health_checks", index, "name"], f"health check {check.name!r} is declared twice"
            )
            continue
        seen.add(check.name)
        resolved = ResolvedHealthCheck(owner.name, owner.team, check, document.raw.file)
        out.append(_Check(resolved, locate(document.raw.data, ["health_checks", index, "name"])))
    return out


def _rule_alert(
    rule: dict[str, Any],
    owner: str,
    location: Location,
    kind: str,
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    panel_id: int | None,
) -> m.AlertRule:
    """An alert that compile.exporters writes in rule-file words, as a rule of the model."""
    return m.AlertRule(
        expr=rule["expr"],
        labels=_pairs(labels),
        location=location,
        expr_location=location,
        generated_expr=True,
        disabled_checks=frozenset(),
        owner=owner,
        alert=rule["alert"],
        for_=parse_duration(rule["for"]),
        annotations=_pairs(annotations),
        severity=rule["labels"][names.SEVERITY_LABEL],
        kind=kind,
        panel_id=panel_id,
    )


def _health_alert(owner: Owner, rule: dict[str, Any], location: Location) -> m.AlertRule:
    """An alert of compile.exporters.health_alert_rules, as a rule of the service's group."""
    annotations = dict(rule["annotations"])
    if owner.runbook_base_url:
        annotations["runbook_url"] = names.runbook_url(owner.runbook_base_url, owner.name, rule["alert"])
    panel_id = names.HEALTH_PANEL_IDS.get(rule["alert"])
    if owner.dashboard_url:
        annotations["dashboard"] = owner.dashboard_url + (f"?viewPanel={panel_id}" if panel_id else "")
    return _rule_alert(
        rule,
        owner.name,
        location,
        "health",
        labels={**owner.base_labels, **rule["labels"]},
        annotations=annotations,
        panel_id=panel_id,
    )


def _probe_job(first: _Check, prometheus: m.PrometheusServer) -> m.ScrapeJob:
    """One job scrapes the probe exporter, whose every scrape runs every probe."""
    interval = prometheus.scrape_interval
    timeout = min(parse_duration(f"{PROBE_SCRAPE_TIMEOUT_S:g}s"), interval)
    return m.ScrapeJob(
        job_name=PROBE_JOB,
        targets=(PROBE_EXPORTER_ADDRESS,),
        labels=(),
        interval=interval,
        timeout=timeout,
        metrics_path="/metrics",
        scheme="http",
        params=(),
        honor_labels=False,
        http=m.HTTPClient(),
        location=first.location,
        source=first.resolved.source,
        exporter="probe",
    )


def _exporter_job(
    job: str, address: str, honor_labels: bool, document: ParsedDocument, prometheus: m.PrometheusServer
) -> m.ScrapeJob:
    return m.ScrapeJob(
        job_name=job,
        targets=(address,),
        labels=((names.TEAM_LABEL, _team_of(document)),),
        interval=prometheus.scrape_interval,
        timeout=min(prometheus.scrape_timeout, prometheus.scrape_interval),
        metrics_path="/metrics",
        scheme="http",
        params=(),
        honor_labels=honor_labels,
        http=m.HTTPClient(),
        location=document.location,
        source=document.raw.file,
        exporter=job,
        team=_team_of(document),
    )


def _team_of(document: ParsedDocument) -> str:
    spec = document.spec
    assert isinstance(spec, s.BusinessKPIs | s.PushBridge)
    return spec.team


def _kpi_group(
    document: ParsedDocument, prometheus: m.PrometheusServer, grafana_url: str | None
) -> m.RuleGroup:
    spec = document.spec
    assert isinstance(spec, s.BusinessKPIs)
    board = names.group_dashboard_uid(SQL_JOB)
    link = (
        {"dashboard": f"{names.uid_url(grafana_url, board)}?viewPanel={names.KPI_QUERY_PANEL_ID}"}
        if grafana_url
        else {}
    )
    location = locate(document.raw.data, ["queries"])
    rules = tuple(
        _rule_alert(
            rule,
            SQL_JOB,
            location,
            "kpi",
            labels=rule["labels"],
            annotations={**rule["annotations"], **link},
            panel_id=names.KPI_QUERY_PANEL_ID,
        )
        for rule in kpi_alert_rules(spec)
    )
    return m.RuleGroup(
        name=SQL_JOB,
        file=names.rule_file(spec.team, SQL_JOB),
        team=spec.team,
        service=None,
        interval=prometheus.evaluation_interval,
        rules=rules,
        sources=(document.raw.file,),
        location=document.location,
    )


def _unique(
    problems: Problems, documents: list[ParsedDocument], jobs: list[m.ScrapeJob], groups: list[m.RuleGroup]
) -> None:
    seen_jobs: dict[str, m.ScrapeJob] = {}
    for job in jobs:
        if job.job_name in seen_jobs:
            problems.items.append(
                Diagnostic(
                    job.location,
                    f"duplicate scrape job {job.job_name!r}",
                    hint=f"also defined at {seen_jobs[job.job_name].location} "
                    "(a service with `scrape` makes a job named after it)",
                )
            )
        else:
            seen_jobs[job.job_name] = job
    seen_files: dict[str, m.RuleGroup] = {}
    for group in groups:
        # A service writes its alert group and its SLO group into one file; two definitions may not.
        if group.file in seen_files and seen_files[group.file].location != group.location:
            problems.items.append(
                Diagnostic(
                    group.location,
                    f"{group.name!r} of team {group.team!r} would "
                    f"write the same rule file as the definition at "
                    f"{seen_files[group.file].location}",
                    hint="services and alert groups of a team need distinct names",
                )
            )
        else:
            seen_files.setdefault(group.file, group)
