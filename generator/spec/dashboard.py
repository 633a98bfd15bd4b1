"""Dashboards written by hand, for what the generated ones do not cover."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from generator.spec.common import ResourceName, SpecModel

PanelType = Literal["timeseries", "stat", "gauge", "bargauge", "table", "heatmap", "text"]


class Target(SpecModel):
    """A PromQL query of a panel."""

    expr: str
    """The query. Use `$__rate_interval` as the window of `rate()`."""
    legend: str = ""
    """Legend template, such as `{{instance}}`."""


class Step(SpecModel):
    """A threshold: from `value` up, the panel shows `color`."""

    value: float | None = None
    """Lower bound; leave it out for the base step."""
    color: str
    """A Grafana color name (`green`, `orange`, `red`) or `#rrggbb`."""


class Legend(SpecModel):
    """How a time series legend looks."""

    mode: Literal["list", "table", "hidden"] = "list"
    """`list`, `table` (with the calculations as columns) or `hidden`."""
    placement: Literal["bottom", "right"] = "bottom"
    """Where the legend sits."""
    calcs: list[str] = Field(default_factory=list)
    """Reducers to show, such as `mean`, `max`, `lastNotNull`."""


class Grid(SpecModel):
    """An explicit position (24 columns wide); without it the layout is computed."""

    x: int = Field(ge=0, le=23)
    """Column of the left edge."""
    y: int = Field(ge=0)
    """Row of the top edge."""
    w: int = Field(ge=1, le=24)
    """Width in columns."""
    h: int = Field(ge=1)
    """Height in rows (30 px each)."""


class DashboardPanel(SpecModel):
    """A panel."""

    title: str
    """Title shown on the panel."""
    type: PanelType = "timeseries"
    """Visualization."""
    description: str = ""
    """Shown as the panel's info tooltip."""
    expr: str | None = None
    """A single query (shorthand for `queries: [{expr: ...}]`)."""
    legend_format: str = ""
    """Legend template of the shorthand `expr`."""
    queries: list[Target] = Field(default_factory=list)
    """The panel's queries."""
    content: str | None = None
    """Markdown of a `text` panel."""
    unit: str = "short"
    """A Grafana unit id (`percentunit`, `s`, `bytes`, `reqps`) or one of ours (`ratio`, `seconds`)."""
    decimals: int | None = Field(default=None, ge=0, le=10)
    """Decimals shown."""
    min: float | None = None
    """Axis or gauge minimum."""
    max: float | None = None
    """Axis or gauge maximum."""
    thresholds: list[Step] = Field(default_factory=list)
    """Color steps; on a time series they are drawn as dashed lines."""
    legend: Legend = Field(default_factory=Legend)
    """Legend of a time series."""
    stacked: bool = False
    """Stack the series of a time series."""
    width: int = Field(default=12, ge=1, le=24)
    """Width in columns (of 24)."""
    height: int = Field(default=8, ge=1)
    """Height in rows."""
    grid: Grid | None = None
    """Place it exactly here instead of flowing it."""

    @model_validator(mode="after")
    def _has_content(self) -> Self:
        if self.type == "text":
            if self.content is None:
                raise ValueError("a text panel needs `content`")
        elif self.expr is None and not self.queries:
            raise ValueError("a panel needs `expr` or `queries`")
        return self


class DashboardRow(SpecModel):
    """A row of panels with a title; collapsed rows open on click."""

    title: str
    """Row title."""
    collapsed: bool = False
    """Start collapsed."""
    panels: list[DashboardPanel] = Field(default_factory=list)
    """Panels of the row."""


class Variable(SpecModel):
    """A template variable. `name: job`, `instance` or `service` alone get their usual query."""

    name: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    """Name, used as `$name` in queries."""
    query: str | None = None
    """Grafana query such as `label_values(up, job)`. Default for job, instance and service:
    their values on `up`."""
    label: str = ""
    """Label shown above the selector."""
    multi: bool = True
    """Allow several values."""
    include_all: bool = True
    """Offer "All"."""


class Link(SpecModel):
    """A link in the dashboard's header."""

    title: str
    """Link text."""
    url: str
    """Target URL."""


class TimeRange(SpecModel):
    """The default time range."""

    from_: str = Field(default="now-6h", alias="from")
    """Start, such as `now-24h`."""
    to: str = "now"
    """End."""


class Dashboard(SpecModel):
    """A dashboard written by hand (rows and panels; the layout is computed)."""

    kind: Literal["Dashboard"]
    title: str
    """Title."""
    uid: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9_-]{1,40}$")
    """Stable id in URLs. Default: derived from the title."""
    folder: ResourceName | None = None
    """Team whose folder holds it. Default: the General folder."""
    description: str = ""
    """What it shows."""
    tags: list[str] = Field(default_factory=list)
    """Tags for search."""
    time: TimeRange = Field(default_factory=TimeRange)
    """Default time range."""
    refresh: str = "1m"
    """Auto-refresh interval, or empty for none."""
    variables: list[Variable] = Field(default_factory=list)
    """Template variables beside the data source one every dashboard has."""
    links: list[Link] = Field(default_factory=list)
    """Header links."""
    rows: list[DashboardRow] = Field(default_factory=list)
    """Rows of panels."""
    panels: list[DashboardPanel] = Field(default_factory=list)
    """Panels outside rows (shown first)."""
