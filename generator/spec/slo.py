"""SLOs as users write them, on a service: objective, period, SLI, alerting tiers, own tests."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from generator.spec.common import DurationText, LabelName, Labels, ResourceName, Severity, SpecModel


class EventsSLI(SpecModel):
    """Bad events (or good events) over all events, from two counters."""

    errors: str | None = None
    """Failed events: a counter shortcut of the service, a selector, or a rate query written with
    `{{.window}}` such as `sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))`."""
    good: str | None = None
    """Successful events, instead of `errors` (same forms)."""
    total: str
    """All events: a counter shortcut, a selector, or a rate query with `{{.window}}`."""

    @model_validator(mode="after")
    def _one_of_errors_or_good(self) -> Self:
        if (self.errors is None) == (self.good is None):
            raise ValueError("give exactly one of `errors` or `good` beside `total`")
        return self


class LatencySLI(SpecModel):
    """Requests slower than a threshold count as bad: the histogram's `le` bucket over its count."""

    histogram: str
    """A histogram shortcut of the service, or a histogram's base name with matchers."""
    threshold: float = Field(gt=0)
    """Seconds; requests above it are bad. Must be a bucket boundary of the histogram."""
    le: str | None = None
    """The bucket's `le` label exactly as exported, when it is not spelled like `threshold` (`0.30`)."""


class RawSLI(SpecModel):
    """An error ratio written by hand; `{{.window}}` stands for the window (Sloth's convention)."""

    error_ratio: str
    """PromQL returning the ratio of bad events over `{{.window}}`, between 0 and 1."""


class SLI(SpecModel):
    """What is measured. Give exactly one of `events`, `latency`, `raw`."""

    events: EventsSLI | None = None
    """Bad (or good) events over total events."""
    latency: LatencySLI | None = None
    """The share of requests slower than a threshold."""
    raw: RawSLI | None = None
    """A hand-written error ratio."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [k for k in ("events", "latency", "raw") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of `events`, `latency` or `raw`"
                + (f", not {' and '.join(given)}" if given else "")
            )
        return self


class Tier(SpecModel):
    """One alerting tier (page or ticket) of an SLO."""

    enabled: bool = True
    """Generate this tier's alerts."""
    severity: Severity | None = None
    """Severity label. Default: `critical` for page, `warning` for ticket."""
    for_: DurationText = Field(default="0s", alias="for")
    """How long the burn must last before firing; the workbook's detection times assume 0s."""
    labels: Labels = Field(default_factory=dict)
    """Extra labels on this tier's alerts."""


class NoData(SpecModel):
    """The alert that fires when the SLI's series vanish."""

    enabled: bool = True
    """Generate it."""
    severity: Severity = "warning"
    """Severity label."""
    for_: DurationText = Field(default="10m", alias="for")
    """How long the series must be missing."""


class SLOAlerting(SpecModel):
    """The SLO's alerts: multiwindow, multi-burn-rate pages and tickets, and no-data."""

    page: Tier = Field(default_factory=Tier)
    """Fast burns: 14.4x over 1h (and 5m), 6x over 6h (and 30m), for a 30-day period."""
    ticket: Tier = Field(default_factory=Tier)
    """Slow burns: 3x over 1d (and 2h), 1x over 3d (and 6h), for a 30-day period."""
    no_data: NoData = Field(default_factory=NoData)
    """When the SLI has no data."""


class Series(SpecModel):
    """A synthetic input series in promtool's notation."""

    series: str
    """Series such as `http_requests_total{job="checkout", code="500"}`."""
    values: str
    """Values in promtool's expanding notation, such as `0+60x120`."""


class Expectation(SpecModel):
    """What must hold at a moment of the scenario."""

    at: DurationText
    """Time since the scenario's start."""
    firing: list[Literal["page", "ticket", "no_data"]] = Field(default_factory=list)
    """Tiers that must be firing then; any tier not listed must not be firing."""


class Scenario(SpecModel):
    """A test of the SLO's alerts on synthetic series, run by `gen check` with promtool."""

    name: str
    """What it shows."""
    interval: DurationText = "1m"
    """Spacing of the input samples."""
    input_series: list[Series] = Field(min_length=1)
    """The series, matching the SLI's selectors."""
    expect: list[Expectation] = Field(min_length=1)
    """The checks."""


class SLO(SpecModel):
    """A service level objective on a service."""

    name: ResourceName
    """Name of the SLO, its `slo` label: `availability`, `latency`."""
    objective: float = Field(gt=0, lt=100)
    """Target percentage of good events over the period, such as 99.9."""
    period: DurationText = "30d"
    """The rolling window the objective holds over: 7d, 28d, 30d. Windows and burn rates scale with it."""
    description: str | None = None
    """What the SLO promises, in words."""
    sli: SLI
    """How good and bad events are counted."""
    by: list[LabelName] = Field(default_factory=list)
    """Labels that split the SLO, such as `[route]`: one SLO per route."""
    labels: Labels = Field(default_factory=dict)
    """Labels added to the SLO's recorded series and alerts."""
    runbook_url: str | None = None
    """Runbook of its alerts. Default: `<runbook base>/<service>/<slo>`."""
    alerting: SLOAlerting = Field(default_factory=SLOAlerting)
    """Which alerts, and their severities."""
    tests: list[Scenario] = Field(default_factory=list)
    """Your own scenarios, beside the ones `gen check` generates for every SLO."""
