"""Prometheus server settings and project-wide settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from generator.spec.common import Authorization, BasicAuth, DurationText, Labels, SpecModel, TLSConfig


class AlertmanagerTarget(SpecModel):
    """Alertmanagers Prometheus sends alerts to (list every member of a cluster)."""

    targets: list[str] = Field(min_length=1)
    """`host:port` of each Alertmanager."""
    scheme: Literal["http", "https"] = "http"
    """`https` when Alertmanager serves TLS."""
    path_prefix: str | None = None
    """Path prefix when Alertmanager runs behind a reverse proxy."""
    timeout: DurationText | None = None
    """Timeout of each push. Default: Prometheus' (10s)."""
    basic_auth: BasicAuth | None = None
    """HTTP basic authentication, password from a file."""
    authorization: Authorization | None = None
    """A bearer token from a file."""
    tls: TLSConfig | None = None
    """TLS options."""


class RemoteWrite(SpecModel):
    """Send samples to a long-term store (Mimir, Cortex, Thanos receive)."""

    url: str
    """Endpoint, for example `http://mimir:9009/api/v1/push`. No credentials in it."""
    name: str | None = None
    """Name shown in Prometheus' metrics for this queue."""
    basic_auth: BasicAuth | None = None
    """HTTP basic authentication, password from a file."""
    authorization: Authorization | None = None
    """A bearer token from a file."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers, for example `X-Scope-OrgID` for a Mimir tenant."""
    tls: TLSConfig | None = None
    """TLS options."""


class Prometheus(SpecModel):
    """The Prometheus server: intervals, external labels, Alertmanagers, remote write."""

    kind: Literal["Prometheus"]
    scrape_interval: DurationText = "15s"
    """How often targets are scraped unless a job says otherwise."""
    scrape_timeout: DurationText = "10s"
    """Scrape timeout unless a job says otherwise; at most the scrape interval."""
    evaluation_interval: DurationText = "30s"
    """How often rule groups are evaluated unless a group says otherwise."""
    external_labels: Labels = Field(default_factory=dict)
    """Labels added to alerts and remote-written series, for example `cluster` and `env`."""
    alertmanagers: list[AlertmanagerTarget] = Field(default_factory=list)
    """Where alerts go."""
    remote_write: list[RemoteWrite] = Field(default_factory=list)
    """Long-term storage."""


class AlertDefaults(SpecModel):
    """Defaults for alerts that do not say."""

    for_: DurationText = Field(default="5m", alias="for")
    """`for` of alerts that set none."""


class StackAlerts(SpecModel):
    """Alerts on the monitoring stack itself: Watchdog, rule failures, notifications, TSDB."""

    enabled: bool = True
    """Generate them."""
    team: str
    """The team that runs the stack and receives these alerts."""


class ChecksConfig(SpecModel):
    """Which offline checks run."""

    disabled: list[str] = Field(default_factory=list)
    """Check ids (see `gen checks`) switched off for the whole repository."""


class Settings(SpecModel):
    """Project-wide settings: links filled into alerts, defaults, check selection."""

    kind: Literal["Settings"]
    grafana_url: str | None = None
    """Base URL of Grafana, used for the dashboard links in alerts."""
    grafana_datasource_url: str = "http://prometheus:9090"
    """The Prometheus URL as Grafana reaches it (the provisioned data source)."""
    grafana_datasource_uid: str = Field(default="prometheus", pattern=r"^[a-zA-Z0-9_-]{1,40}$")
    """The provisioned data source's uid, which every generated panel refers to."""
    runbook_base_url: str | None = None
    """Base URL of runbooks: alerts link to `<base>/<service>/<alert>` unless they give a runbook."""
    alert_defaults: AlertDefaults = Field(default_factory=AlertDefaults)
    """Defaults for alerts."""
    checks: ChecksConfig = Field(default_factory=ChecksConfig)
    """Offline check selection."""
    stack_alerts: StackAlerts | None = None
    """Monitor the monitors: generate alerts on Prometheus, Alertmanager and scraping, for a team."""
