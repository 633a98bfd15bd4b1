"""Alerts and recording rules as users write them.

Three alert kinds, told apart by the key that carries the condition:
- `metric` + `op` + `value`: a static threshold; the tool writes the PromQL.
- `expr`: raw PromQL, passed through after checking.
- `absent`: fires when a metric has no series (no data).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from generator.spec.common import (
    AlertName,
    DurationText,
    LabelName,
    Labels,
    RecordName,
    Severity,
    SpecModel,
    Unit,
)

Comparison = Literal[">", ">=", "<", "<=", "==", "!="]
Aggregation = Literal["sum", "max", "min", "avg", "count"]


class AlertBase(SpecModel):
    """What every alert kind has."""

    name: AlertName
    """The alert name (`alertname` label), for example `CheckoutHighErrorRatio`."""
    severity: Severity
    """`critical` pages someone now, `warning` makes a ticket, `info` is for dashboards and digests."""
    for_: DurationText | None = Field(default=None, alias="for")
    """How long the condition must hold before the alert fires. Default: the `alert_defaults.for`
    of the Settings (5m unless changed)."""
    summary: str | None = None
    """One line for the notification title. Prometheus template syntax works
    (`{{ $labels.route }}`, `{{ $value | humanizePercentage }}`). Generated when omitted."""
    description: str | None = None
    """A few sentences: what is wrong, what it affects. Generated when omitted."""
    runbook_url: str | None = None
    """Link to the runbook. Default: `<runbook_base_url>/<service or group>/<alert name>`."""
    dashboard_url: str | None = None
    """Link to the dashboard that shows this alert's metric. Default: the service's generated
    dashboard in Grafana."""
    labels: Labels = Field(default_factory=dict)
    """Extra labels on the alert, used by routing and silences."""
    annotations: dict[LabelName, str] = Field(default_factory=dict)
    """Extra annotations beyond summary, description, runbook_url and dashboard."""
    disable_checks: list[str] = Field(default_factory=list)
    """Ids of offline checks (see `gen checks`) that should not report on this alert."""


class ThresholdAlert(AlertBase):
    """A static threshold on a metric: `metric` `op` `value` for `for`."""

    metric: str
    """A metric shortcut of the service (`errors`, `latency`), or a PromQL selector such as
    `node_filesystem_avail_bytes{mountpoint="/"}`."""
    per: str | None = None
    """Divide by this counter shortcut to alert on a ratio: `metric: errors, per: requests`."""
    quantile: float | None = Field(default=None, gt=0, lt=1)
    """For a histogram shortcut: the quantile to compare, for example 0.99."""
    rate: DurationText | None = None
    """Window of `rate()` for counters. Default: the service's `rate_window` (5m)."""
    aggregate: Aggregation | None = None
    """For a gauge or a selector: aggregate the series before comparing (rates are always summed)."""
    by: list[LabelName] | None = None
    """Labels to keep when aggregating, one alert per combination, for example `[route]`."""
    op: Comparison
    """The comparison: `>`, `>=`, `<`, `<=`, `==` or `!=`."""
    value: float
    """The threshold, in the metric's unit (ratios as fractions: 0.05 for 5%)."""
    unit: Unit | None = None
    """How to print values in messages. Default: the shortcut's unit, else guessed from the name."""


class PromQLAlert(AlertBase):
    """An alert on a PromQL expression written by hand."""

    expr: str
    """The PromQL condition; the alert fires for every series it returns."""


class AbsentAlert(AlertBase):
    """Fires when a metric disappears: the exporter is down or the code stopped reporting."""

    absent: str
    """A metric shortcut of the service or a PromQL selector that must always have series."""


class SignalSpec(SpecModel):
    """The quantity an anomaly or forecast watches: a shortcut or selector, shaped like a threshold's."""

    metric: str
    """A metric shortcut of the service, or a PromQL selector."""
    per: str | None = None
    """Divide by this counter shortcut (a ratio)."""
    quantile: float | None = Field(default=None, gt=0, lt=1)
    """For a histogram shortcut: the quantile to watch."""
    rate: DurationText | None = None
    """Window of `rate()` for counters. Default: the service's `rate_window`."""
    aggregate: Aggregation | None = None
    """For a gauge or a selector: aggregate the series first."""
    by: list[LabelName] | None = None
    """Labels to keep when aggregating."""


class Anomaly(SignalSpec):
    """A dynamic threshold: the metric's normal band is learned, leaving it fires."""

    direction: Literal["up", "down", "both"] = "both"
    """Which departures count: `up` (spikes), `down` (drops), or `both`."""
    deviations: float = Field(default=3, gt=0)
    """How many standard deviations from the expected value make an anomaly."""
    baseline: DurationText = "1d"
    """Window of the mean and standard deviation that describe normal."""
    seasonality: Literal["none", "weekly"] = "none"
    """`weekly`: expect what the same hour of the last weeks looked like (Monday 9:00 like Monday 9:00)."""
    weeks: int = Field(default=3, ge=1, le=8)
    """With weekly seasonality, how many past weeks make the expectation."""
    floor: float | None = None
    """Ignore the metric while its expected value is below this, so quiet series never page."""


class Forecast(SpecModel):
    """A linear forecast: fires when the resource will be exhausted within `within`."""

    metric: str
    """A gauge shortcut of the service or a selector: what is left (`remaining`) or what is used (`usage`)."""
    measures: Literal["remaining", "usage"] = "remaining"
    """`remaining` (free bytes, free connections) runs down to 0; `usage` runs up to `capacity`."""
    capacity: str | float
    """The total: a number or a selector with the same labels (`node_filesystem_size_bytes{...}`)."""
    within: DurationText
    """Fire when exhaustion is forecast within this horizon, such as 4h or 3d."""
    lookback: DurationText = "6h"
    """History the linear fit uses."""
    guard: float = Field(default=0.4, gt=0, lt=1)
    """Only alert once less than this share of the capacity is left (0.4: 40%), so resources far from
    full never fire."""


class AnomalyAlert(AlertBase):
    """Fires when a metric leaves its learned normal band."""

    anomaly: Anomaly
    """What to watch and how wide normal is."""


class ForecastAlert(AlertBase):
    """Fires when a resource is forecast to run out."""

    forecast: Forecast
    """What to forecast and the horizon."""


ALERT_KINDS = {
    "metric": "threshold",
    "expr": "promql",
    "absent": "absent",
    "anomaly": "anomaly",
    "forecast": "forecast",
}
_KIND_OF_TYPE = {
    ThresholdAlert: "threshold",
    PromQLAlert: "promql",
    AbsentAlert: "absent",
    AnomalyAlert: "anomaly",
    ForecastAlert: "forecast",
}


def _alert_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        present = [key for key in ALERT_KINDS if key in value]
        if len(present) == 1:
            return ALERT_KINDS[present[0]]
    elif isinstance(value, AlertBase):
        return _KIND_OF_TYPE[type(value)]
    return None


Alert = Annotated[
    Annotated[ThresholdAlert, Tag("threshold")]
    | Annotated[PromQLAlert, Tag("promql")]
    | Annotated[AbsentAlert, Tag("absent")]
    | Annotated[AnomalyAlert, Tag("anomaly")]
    | Annotated[ForecastAlert, Tag("forecast")],
    Discriminator(
        _alert_kind,
        custom_error_type="alert_kind",
        custom_error_message="an alert needs exactly one of `metric` (a threshold), `expr` (PromQL), "
        "`absent` (no data), `anomaly` (a dynamic threshold) or `forecast` (running out)",
    ),
]


class RecordingRule(SpecModel):
    """A recording rule written by hand: precompute an expression under a new metric name."""

    record: RecordName
    """The new metric name, `level:metric:operations` by convention (`job:http_requests:rate5m`)."""
    expr: str
    """The PromQL expression to record."""
    labels: Labels = Field(default_factory=dict)
    """Labels added to the recorded series."""
    disable_checks: list[str] = Field(default_factory=list)
    """Ids of offline checks that should not report on this rule."""
