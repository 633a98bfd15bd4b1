"""The resolved model: what compilers read.

Frozen, fully defaulted, cross-references checked. Every rule keeps the location it came from so
checks can point into the definitions. No optional is left for a compiler to guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generator.conventions import uid_url
from generator.diagnostics import Location
from generator.durations import Duration
from generator.source import PosDict, locate

Pairs = tuple[tuple[str, str], ...]
ZERO = Duration(0, "0s")


@dataclass(frozen=True)
class Rule:
    """A Prometheus rule (alerting or recording) ready to be written."""

    expr: str
    labels: Pairs
    location: Location
    expr_location: Location
    generated_expr: bool
    disabled_checks: frozenset[str]
    owner: str


@dataclass(frozen=True)
class RecordingRule(Rule):
    record: str = ""


@dataclass(frozen=True)
class ForecastResource:
    """What a forecast alert watches, for the capacity report: PromQL for the current value and
    the capacity, the lookback of the trend, and the recording of days until exhaustion."""

    current: str
    capacity: str
    lookback: str
    measures: str  # "remaining" (free space falls) or "usage" (use grows toward capacity)
    days_record: str
    phrase: str
    horizon: str


@dataclass(frozen=True)
class AlertRule(Rule):
    alert: str = ""
    for_: Duration = ZERO
    annotations: Pairs = ()
    severity: str = ""
    kind: str = "promql"  # threshold, promql, absent, anomaly, forecast, slo, stack
    panel_id: int | None = None  # the panel of the owner's dashboard that shows it
    resource: ForecastResource | None = None  # forecast alerts only


@dataclass(frozen=True)
class RuleGroup:
    name: str
    file: str
    team: str
    service: str | None
    interval: Duration
    rules: tuple[RecordingRule | AlertRule, ...]
    sources: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password_file: str


@dataclass(frozen=True)
class Authorization:
    type: str
    credentials_file: str


@dataclass(frozen=True)
class TLS:
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    server_name: str | None
    insecure_skip_verify: bool


@dataclass(frozen=True)
class HTTPClient:
    """Credentials and TLS for an HTTP client config (Prometheus' `HTTPClientConfig`)."""

    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    tls: TLS | None = None


@dataclass(frozen=True)
class ScrapeJob:
    job_name: str
    targets: tuple[str, ...]
    labels: Pairs
    interval: Duration
    timeout: Duration
    metrics_path: str
    scheme: str
    params: tuple[tuple[str, tuple[str, ...]], ...]
    honor_labels: bool
    http: HTTPClient
    location: Location
    source: str
    exporter: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class AlertmanagerTarget:
    targets: tuple[str, ...]
    scheme: str
    path_prefix: str | None
    timeout: Duration | None
    http: HTTPClient


@dataclass(frozen=True)
class RemoteWrite:
    url: str
    name: str | None
    headers: Pairs
    http: HTTPClient


@dataclass(frozen=True)
class PrometheusServer:
    scrape_interval: Duration
    scrape_timeout: Duration
    evaluation_interval: Duration
    external_labels: Pairs
    alertmanagers: tuple[AlertmanagerTarget, ...]
    remote_write: tuple[RemoteWrite, ...]
    source: str
    location: Location


@dataclass(frozen=True)
class MetricShortcut:
    name: str
    type: str  # counter, gauge, histogram
    selector: str  # rendered PromQL selector with the service's matchers
    unit: str
    description: str


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    tier: int
    description: str
    labels: Pairs
    selector: Pairs
    metrics: tuple[MetricShortcut, ...]
    location: Location
    category: str = "application"
    scraped: bool = False


@dataclass(frozen=True)
class Team:
    name: str
    display_name: str
    description: str
    location: Location
    members: tuple[Any, ...] = ()  # spec Member objects
    escalation: tuple[tuple[str, Duration], ...] = ()  # (receiver, wait for an ack)


@dataclass(frozen=True)
class Settings:
    grafana_url: str | None
    runbook_base_url: str | None
    default_for: Duration
    disabled_checks: frozenset[str]
    grafana_datasource_url: str = "http://prometheus:9090"
    grafana_datasource_uid: str = "prometheus"

    def dashboard_url(self, uid: str) -> str:
        """Where Grafana shows the dashboard `uid` (a relative address without `grafana_url`)."""
        return uid_url(self.grafana_url, uid)


@dataclass(frozen=True)
class Model:
    environment: str | None
    teams: tuple[Team, ...]
    services: tuple[Service, ...]
    rule_groups: tuple[RuleGroup, ...]
    scrape_jobs: tuple[ScrapeJob, ...]
    prometheus: PrometheusServer
    settings: Settings
    files: tuple[str, ...]
    alertmanager: AlertmanagerConfig | None = None
    slos: tuple[SLO, ...] = ()
    dashboards: tuple[UserDashboard, ...] = ()
    grafanalib_dashboards: tuple[GrafanalibBoard, ...] = ()
    health_checks: tuple[Any, ...] = ()  # compile.exporters.ResolvedHealthCheck, in service order
    kpis: Any = None  # spec BusinessKPIs
    push_bridge: Any = None  # spec PushBridge
    exporter_sources: tuple[tuple[str, str], ...] = ()  # kind -> definition file


@dataclass(frozen=True)
class Matcher:
    """An Alertmanager label matcher: `name op "value"`, with `=~` and `!~` fully anchored."""

    name: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found

    def render(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


@dataclass(frozen=True)
class Route:
    matchers: tuple[Matcher, ...]
    receiver: str | None  # None: inherited from the parent
    continue_: bool
    group_by: tuple[str, ...] | None
    group_wait: Duration | None
    group_interval: Duration | None
    repeat_interval: Duration | None
    mute_time_intervals: tuple[str, ...]
    active_time_intervals: tuple[str, ...]
    routes: tuple[Route, ...]
    location: Location


@dataclass(frozen=True)
class Receiver:
    """A receiver; channels keep the validated spec objects (frozen, fully defaulted)."""

    name: str
    team: str | None
    email: tuple[Any, ...]
    slack: tuple[Any, ...]
    pagerduty: tuple[Any, ...]
    webhook: tuple[Any, ...]
    location: Location

    @property
    def reaches_a_human(self) -> bool:
        return bool(self.email or self.slack or self.pagerduty)


@dataclass(frozen=True)
class TimeInterval:
    name: str
    intervals: tuple[Any, ...]  # spec TimeRange objects
    location: Location


@dataclass(frozen=True)
class InhibitRule:
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class RoutingCase:
    labels: Pairs
    receivers: tuple[str, ...]
    location: Location
    suite: str


@dataclass(frozen=True)
class AlertmanagerConfig:
    root: Route  # its receiver is the default receiver, its timings are all set
    receivers: tuple[Receiver, ...]
    time_intervals: tuple[TimeInterval, ...]
    inhibit_rules: tuple[InhibitRule, ...]
    cases: tuple[RoutingCase, ...]
    resolve_timeout: Duration
    smtp: Any  # spec SMTP or None
    slack_api_url_file: str | None
    history: Any  # spec History or None
    templates: tuple[tuple[str, str], ...]  # (file name, text) of the users' own templates
    sources: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class SLOTier:
    name: str  # page or ticket
    enabled: bool
    severity: str
    for_: Duration
    labels: Pairs


@dataclass(frozen=True)
class SLO:
    """A resolved SLO: exact decimals, the windows for its period, and where its SLI is recorded."""

    service: str
    team: str
    name: str
    objective: Any  # Decimal ratio, such as 0.999
    period: Duration
    error_budget: Any  # Decimal, 1 - objective
    windows: tuple[Any, ...]  # slo_windows.BurnWindow
    sli: str  # the `sli` label of the shared SLI recordings
    sli_kind: str  # events, latency or raw
    by: tuple[str, ...]
    labels: Pairs
    description: str
    runbook_url: str | None
    dashboard_url: str | None
    page: SLOTier
    ticket: SLOTier
    no_data: SLOTier
    scenarios: tuple[Any, ...]  # spec Scenario objects
    location: Location
    scenarios_location: Location | None = None


@dataclass(frozen=True)
class GrafanalibBoard:
    """A dashboard a `*.dashboard.py` file built with grafanalib: its JSON as grafanalib wrote
    it (upgraded at compile time) and the Grafana folder it goes to."""

    source: Any  # grafanalib_dashboards.GrafanalibDashboard
    folder: str

    @property
    def uid(self) -> str:
        return str(self.source.uid)


@dataclass(frozen=True)
class UserDashboard:
    """A dashboard written by hand: its validated spec, where it goes, and where it was written."""

    spec: Any  # spec Dashboard
    uid: str
    folder: str
    location: Location
    source: str
    # The positioned tree it was written as: panels are located from it when a check asks.
    tree: PosDict | None = None

    def panel_locations(self) -> tuple[tuple[str, Location], ...]:
        """Each panel's title and where that title is written, in the order written. Computed
        when asked: builds never ask, and locating every panel was 3% of a 500-dashboard build."""
        if self.tree is None:
            return ()
        found = [(p.title, locate(self.tree, ["panels", i, "title"])) for i, p in enumerate(self.spec.panels)]
        found += [
            (p.title, locate(self.tree, ["rows", r, "panels", i, "title"]))
            for r, row in enumerate(self.spec.rows)
            for i, p in enumerate(row.panels)
        ]
        return tuple(found)
