"""Health checks declared on a service: what the probe exporter (exporters/probe) runs.

Not yet a field of `Service` (see generator/compile/exporters.py for the wiring it needs); the
keys follow the probe exporter's config and the blackbox_exporter's words.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from generator.spec.common import DurationText, ResourceName, Severity, SpecModel


class HttpCheck(SpecModel):
    """An HTTP(S) request that must answer as expected."""

    url: str = Field(pattern=r"^https?://[^/\s]+")
    """The URL to request (http:// or https://)."""
    method: str = Field(default="GET", pattern=r"^[A-Z]+$")
    """The HTTP method."""
    expected_status: list[int] = Field(default_factory=list)
    """Status codes that count as healthy. Default: any 2xx."""
    body_regex: str | None = None
    """A regular expression the response body must match."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Request headers (no secrets: they would land in the generated config)."""
    tls_expiry_days: int | None = Field(default=None, gt=0)
    """Count the check as failing when the certificate expires within this many days."""
    ca_file: str | None = None
    """PEM file of the CAs to verify the server with, as the probe exporter sees it."""
    insecure_skip_verify: bool = False
    """Do not verify the certificate (its expiry is still watched)."""


class TcpCheck(SpecModel):
    """A TCP connection that must be accepted."""

    address: str = Field(pattern=r"^\S+:[0-9]+$")
    """host:port to connect to."""


class HealthCheck(SpecModel):
    """A health check of the service. Give exactly one of `http` or `tcp`."""

    name: ResourceName
    """Names the check: the probe is `<service>-<name>`."""
    http: HttpCheck | None = None
    """An HTTP(S) check."""
    tcp: TcpCheck | None = None
    """A TCP connect check."""
    timeout: DurationText = "5s"
    """How long one probe may take."""
    down_for: DurationText = "5m"
    """The check alerts once it has failed for this long."""
    severity: Severity = "critical"
    """Severity of the check's down alert."""
    certificate_warning_days: int = Field(default=14, gt=0)
    """HTTPS checks warn this many days before the certificate expires."""

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Self:
        if (self.http is None) == (self.tcp is None):
            raise ValueError("give exactly one of `http` or `tcp`")
        return self
