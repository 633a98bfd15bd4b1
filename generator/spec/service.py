"""Services: the unit users think in. A service owns metric shortcuts, alerts and recording rules."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from generator.spec.alerts import Alert, RecordingRule
from generator.spec.common import (
    AlertName,
    DurationText,
    Labels,
    ResourceName,
    ShortcutName,
    SpecModel,
    Unit,
)
from generator.spec.health import HealthCheck
from generator.spec.scrape import ScrapeOptions
from generator.spec.slo import SLO


class MetricShortcut(SpecModel):
    """A named metric of the service. Give exactly one of `counter`, `gauge` or `histogram`."""

    counter: str | None = None
    """A counter selector, for example `http_requests_total` or `http_requests_total{code=~"5.."}`."""
    gauge: str | None = None
    """A gauge selector, for example `db_pool_connections_in_use`."""
    histogram: str | None = None
    """A histogram's base name and matchers, without `_bucket`: `http_request_duration_seconds`."""
    unit: Unit | None = None
    """How values read in messages and dashboards. Default: guessed from the metric name."""
    description: str | None = None
    """What it measures, in words (used in generated alert text)."""

    @model_validator(mode="after")
    def _exactly_one_type(self) -> Self:
        given = [t for t in ("counter", "gauge", "histogram") if getattr(self, t) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `counter`, `gauge` or `histogram`"
                + (f", not {' and '.join(given)}" if given else "")
            )
        return self

    @property
    def type(self) -> Literal["counter", "gauge", "histogram"]:
        if self.counter is not None:
            return "counter"
        return "gauge" if self.gauge is not None else "histogram"

    @property
    def selector(self) -> str:
        return self.counter or self.gauge or self.histogram or ""


class Service(SpecModel):
    """A service: its owner, how to find its metrics, and its alerts."""

    kind: Literal["Service"]
    name: ResourceName
    """Short name, used as the `service` label, the rule file name and the dashboard uid."""
    team: ResourceName
    """The owning team (a Team definition)."""
    tier: Literal[1, 2, 3] = 2
    """Criticality: 1 customer-facing and paging, 2 important, 3 best effort."""
    category: Literal["application", "infrastructure", "business"] = "application"
    """What kind of thing it is: its dashboard and the overviews follow (business KPIs go to the
    executive overview)."""
    description: str | None = None
    """What the service does."""
    labels: Labels = Field(default_factory=dict)
    """Labels added to every alert and recorded series of the service."""
    selector: Labels | None = None
    """Label matchers that select this service's series. Default: `{job: <name>}`."""
    scrape: ScrapeOptions | None = None
    """Scrape the service directly: a job named after the service is generated."""
    rate_window: DurationText = "5m"
    """Default `rate()` window of the service's counters."""
    interval: DurationText | None = None
    """Evaluation interval of the service's rule group. Default: the Prometheus `evaluation_interval`."""
    metrics: dict[ShortcutName, MetricShortcut] = Field(default_factory=dict)
    """Named metric shortcuts (`requests`, `errors`, `latency`) that alerts, SLOs and dashboards use.
    Every service also has `up` (its targets' `up` series) unless it declares its own."""
    alerts: list[Alert] = Field(default_factory=list)
    """The service's alerts."""
    recording: list[RecordingRule] = Field(default_factory=list)
    """Recording rules written by hand."""
    slos: list[SLO] = Field(default_factory=list)
    """Service level objectives: recording rules, burn-rate alerts and error budgets are generated."""
    health_checks: list[HealthCheck] = Field(default_factory=list)
    """HTTP or TCP checks run by the probe exporter (`python -m exporters.probe`): its config, its
    scrape job and the alerts HealthCheckFailing and CertificateExpiringSoon are generated."""
    depends_on: list[ResourceName] = Field(default_factory=list)
    """Services this one needs. While a dependency has a critical alert, this service's alerts are
    inhibited: they are symptoms, the dependency is the cause."""


class AlertGroup(SpecModel):
    """Alerts and recording rules owned by a team rather than one service (hosts, the platform)."""

    kind: Literal["AlertGroup"]
    name: ResourceName
    """Name of the rule group and of its file."""
    team: ResourceName
    """The owning team."""
    service: ResourceName | None = None
    """Optionally, the service these rules are about (adds its `service` label)."""
    description: str | None = None
    """What these rules watch."""
    interval: DurationText | None = None
    """Evaluation interval. Default: the Prometheus `evaluation_interval`."""
    labels: Labels = Field(default_factory=dict)
    """Labels added to every rule of the group."""
    alerts: list[Alert] = Field(default_factory=list)
    """The group's alerts."""
    recording: list[RecordingRule] = Field(default_factory=list)
    """The group's recording rules."""


__all__ = ["AlertGroup", "AlertName", "MetricShortcut", "Service"]
