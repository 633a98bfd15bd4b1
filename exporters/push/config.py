"""The push bridge's config file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from exporters.common.config import Duration, Strict
from exporters.common.histogram import normalize_buckets


class MetricConfig(Strict):
    help: str | None = None
    """HELP text exposed for the metric; a generic one is used when absent."""
    buckets: tuple[float, ...] | None = None
    """Upper bounds of a histogram's buckets (+Inf is added); required to accept histogram samples."""

    @field_validator("buckets")
    @classmethod
    def _sorted_buckets(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("a histogram needs at least one bucket bound")
        return normalize_buckets(value)


class PushConfig(Strict):
    token_file: Path
    """File holding the bearer token clients must send (secrets are never written in the config)."""
    expire_after: Duration = 600.0
    """A series not pushed for this long is dropped from /metrics."""
    max_series: int = Field(default=200_000, gt=0)
    """Cap on stored series (each histogram series counts once); pushes past it are refused whole."""
    metrics: dict[str, MetricConfig] = Field(default_factory=dict)
    """Per metric name: HELP text and, for histograms, bucket bounds."""
