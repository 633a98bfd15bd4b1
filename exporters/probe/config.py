"""The probe exporter's config: the health checks declared on services."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from exporters.common.config import Duration, Strict


class HttpCheck(Strict):
    url: str
    """http:// or https:// URL to request."""
    method: str = "GET"
    expected_status: tuple[int, ...] = ()
    """Status codes that count as success; empty means any 2xx (the blackbox_exporter's default)."""
    body_regex: str | None = None
    """The body must match this regular expression (Python syntax, searched anywhere)."""
    headers: dict[str, str] = Field(default_factory=dict)
    tls_expiry_days: float | None = Field(default=None, gt=0)
    """Fail the probe when the server certificate expires in fewer days than this."""
    ca_file: Path | None = None
    """PEM file of CA certificates to verify the server with, instead of the system's."""
    insecure_skip_verify: bool = False
    """Do not verify the server certificate (its expiry is still read and reported)."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host")
        return value

    @field_validator("body_regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from error
        return value

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]+", value):
            raise ValueError("expected an HTTP method in capitals, such as GET or HEAD")
        return value


class TcpCheck(Strict):
    address: str
    """host:port to connect to."""

    @field_validator("address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError("expected host:port")
        return value


class Probe(Strict):
    name: str = Field(pattern=r"^[a-zA-Z0-9_.:-]+$")
    """The probe's name, its `probe` label and the `target` of /probe?target=NAME."""
    timeout: Duration = 5.0
    http: HttpCheck | None = None
    tcp: TcpCheck | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.http is None) == (self.tcp is None):
            raise ValueError("a probe has exactly one of http or tcp")
        return self

    @property
    def target(self) -> str:
        if self.http is not None:
            return self.http.url
        assert self.tcp is not None
        return self.tcp.address


class ProbeConfig(Strict):
    scrape_timeout: Duration = 4.5
    """Deadline for one scrape of every probe; no probe runs past it whatever its own timeout.
    Keep it under Prometheus' scrape_timeout (the blackbox_exporter keeps a 0.5 s margin)."""
    max_concurrency: int = Field(default=1000, gt=0)
    """Probes in flight at once (each holds a socket)."""
    probes: tuple[Probe, ...] = ()

    @field_validator("probes")
    @classmethod
    def _unique(cls, probes: tuple[Probe, ...]) -> tuple[Probe, ...]:
        names = [probe.name for probe in probes]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"probe names must be unique: {', '.join(duplicates)}")
        return probes
