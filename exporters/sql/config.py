"""The SQL KPI exporter's config: a database URL and the queries to run against it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from exporters.common.config import Duration, Strict

_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
_LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"


class MetricColumn(Strict):
    name: str = Field(pattern=_NAME)
    """The metric's name, such as business_signups."""
    column: str
    """The result column holding the value (numeric; NULL rows are skipped)."""
    help: str
    type: Literal["gauge", "counter"] = "gauge"


class Query(Strict):
    name: str = Field(pattern=r"^[a-zA-Z0-9_.-]+$")
    """Names the query in the exporter's own metrics (`query` label)."""
    sql: str
    interval: Duration = 60.0
    """Time from the end of one run to the start of the next."""
    timeout: Duration = 10.0
    """A run taking longer is cancelled (sqlite3 interrupt, PostgreSQL cancel) and counted as timed out."""
    labels: tuple[str, ...] = ()
    """Result columns that become labels (same names)."""
    metrics: tuple[MetricColumn, ...] = Field(min_length=1)
    stale_after: Duration | None = None
    """Values older than this are dropped from /metrics; default 2 x interval + timeout."""

    @field_validator("labels")
    @classmethod
    def _label_names(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        import re

        for label in labels:
            if not re.match(_LABEL, label) or label.startswith("__"):
                raise ValueError(f"{label!r} cannot be a Prometheus label name")
        return labels

    @property
    def staleness(self) -> float:
        return self.stale_after if self.stale_after is not None else 2 * self.interval + self.timeout


class SqlConfig(Strict):
    url: str | None = None
    """SQLAlchemy URL (sqlite:///kpi.db, postgresql+psycopg://host/db) without a password."""
    url_file: Path | None = None
    """A file holding the URL instead, for URLs with credentials (secrets are never inline)."""
    queries: tuple[Query, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _checks(self) -> Self:
        if (self.url is None) == (self.url_file is None):
            raise ValueError("give exactly one of url or url_file")
        if self.url is not None and "@" in self.url.partition("://")[2].partition("/")[0]:
            user_info = self.url.partition("://")[2].partition("@")[0]
            if ":" in user_info:
                raise ValueError("url holds a password: put the URL in a file and use url_file")
        seen: dict[str, str] = {}
        for query in self.queries:
            for metric in query.metrics:
                if metric.name in seen:
                    raise ValueError(
                        f"metric {metric.name} comes from two queries: {seen[metric.name]}, {query.name}"
                    )
                seen[metric.name] = query.name
        names = [query.name for query in self.queries]
        if len(set(names)) != len(names):
            raise ValueError("query names must be unique")
        return self
