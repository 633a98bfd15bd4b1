"""How Prometheus scrapes: options shared by services and stand-alone scrape jobs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from generator.spec.common import Authorization, BasicAuth, DurationText, Labels, SpecModel, TLSConfig


class ScrapeOptions(SpecModel):
    """Where and how to scrape (a Prometheus `scrape_config` with static targets)."""

    targets: list[str] = Field(min_length=1)
    """`host:port` addresses to scrape."""
    interval: DurationText | None = None
    """Scrape interval. Default: the Prometheus `scrape_interval`."""
    timeout: DurationText | None = None
    """Scrape timeout, at most the interval. Default: the Prometheus `scrape_timeout`."""
    metrics_path: str = "/metrics"
    """HTTP path of the metrics endpoint."""
    scheme: Literal["http", "https"] = "http"
    """`https` for TLS targets."""
    params: dict[str, list[str]] = Field(default_factory=dict)
    """URL query parameters sent with each scrape (for example `module: [http_2xx]`)."""
    labels: Labels = Field(default_factory=dict)
    """Labels added to every series scraped from these targets."""
    honor_labels: bool = False
    """Keep the target's own labels when they clash with Prometheus' (for federation, pushgateway)."""
    basic_auth: BasicAuth | None = None
    """HTTP basic authentication, password from a file."""
    authorization: Authorization | None = None
    """A bearer token from a file."""
    tls: TLSConfig | None = None
    """TLS options for `https` targets."""


class ScrapeJob(ScrapeOptions):
    """A scrape job not tied to a service: node_exporter, Prometheus itself, databases' exporters."""

    kind: Literal["ScrapeJob"]
    name: str = Field(pattern=r"^[a-zA-Z0-9_.-]+$")
    """The `job` label of everything scraped, for example `node`."""
    team: str | None = None
    """The team that owns these targets (adds a `team` label)."""
    exporter: Literal["node"] | None = None
    """What the targets are: `node` (node_exporter) generates a USE dashboard of the hosts."""
