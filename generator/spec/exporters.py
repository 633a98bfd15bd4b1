"""Definitions of the SQL KPI exporter and the push bridge (`exporters/sql`, `exporters/push`):
what they serve, from which the generator writes their config files, scrape jobs and alerts."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from generator.spec.common import DurationText, LabelName, ResourceName, SpecModel

METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"


class KPIMetric(SpecModel):
    """A value column of a query's result, exposed as a metric."""

    name: str = Field(pattern=METRIC_NAME)
    """The metric's name, such as `business_signups_today`."""
    column: str
    """The result column holding the value (numeric; rows where it is NULL are skipped)."""
    help: str
    """What the number means, for the metric's HELP text and the dashboards."""
    type: Literal["gauge", "counter"] = "gauge"
    """`counter` for ever-growing totals (revenue to date), else `gauge`."""


class KPIQuery(SpecModel):
    """One SQL query, run on its own schedule in its own worker."""

    name: str = Field(pattern=r"^[a-zA-Z0-9_.-]+$")
    """Names the query in the exporter's own metrics (`query` label) and alerts."""
    sql: str
    """The SELECT to run."""
    interval: DurationText = "1m"
    """Time from the end of one run to the start of the next."""
    timeout: DurationText = "10s"
    """A run taking longer is cancelled and counted as timed out."""
    labels: list[LabelName] = Field(default_factory=list)
    """Result columns that become labels (same names)."""
    metrics: list[KPIMetric] = Field(min_length=1)
    """Value columns and the metrics they become."""
    stale_after: DurationText | None = None
    """Values older than this are dropped, not shown as fresh. Default: 2 x interval + timeout."""


class BusinessKPIs(SpecModel):
    """Business KPIs from SQL (signups, revenue, conversion, queue lengths), served by the SQL
    KPI exporter. At most one per repository (one exporter, one database)."""

    kind: Literal["BusinessKPIs"]
    team: ResourceName
    """The team that owns the numbers and gets the alert when a query keeps failing."""
    url: str | None = None
    """SQLAlchemy URL without credentials, such as `sqlite:////data/shop.db`."""
    url_file: str | None = None
    """File holding the URL, for URLs with a password (secrets never go into definitions)."""
    queries: list[KPIQuery] = Field(min_length=1)
    """The queries; metric names must be unique across them."""
    failing_for: DurationText = "15m"
    """KPIQueryFailing fires after a query has failed (or not run) for this long."""

    @model_validator(mode="after")
    def _one_url(self) -> Self:
        if (self.url is None) == (self.url_file is None):
            raise ValueError("give exactly one of `url` or `url_file`")
        if (
            self.url is not None
            and ":" in self.url.partition("://")[2].partition("@")[0].partition("/")[0]
            and "@" in self.url
        ):
            raise ValueError("`url` holds a password: put the URL in a file and give `url_file`")
        return self


class PushMetric(SpecModel):
    """A metric applications push: its HELP text and, for histograms, its buckets."""

    help: str | None = None
    """HELP text of the metric."""
    buckets: list[float] | None = None
    """Upper bounds of a histogram's buckets (+Inf is added); histograms are refused without."""


class PushBridge(SpecModel):
    """The push bridge: applications POST metrics (JSON) and Prometheus scrapes them. At most one."""

    kind: Literal["PushBridge"]
    team: ResourceName
    """The team that runs it."""
    token_file: str
    """File holding the bearer token clients send (never the token itself)."""
    expire_after: DurationText = "10m"
    """A series not pushed for this long disappears."""
    max_series: int = Field(default=200_000, gt=0)
    """Cap on stored series; pushes past it are refused whole."""
    metrics: dict[str, PushMetric] = Field(default_factory=dict)
    """Per metric name: HELP text and histogram buckets."""
