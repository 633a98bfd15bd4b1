"""Checks on scrape configuration."""

from __future__ import annotations

from collections.abc import Iterator

from generator.checks import Finding, check
from generator.diagnostics import Severity
from generator.model import Model


@check("scrape/insecure-tls", Severity.WARNING)
def insecure_tls(model: Model) -> Iterator[Finding]:
    """No scrape job skips TLS certificate verification."""
    for job in model.scrape_jobs:
        if job.http.tls is not None and job.http.tls.insecure_skip_verify:
            yield Finding(
                job.location,
                f"scrape job {job.job_name} skips TLS verification",
                hint="give `tls.ca_file` instead of `insecure_skip_verify`",
            )


@check("scrape/timeout-margin", Severity.INFO)
def timeout_margin(model: Model) -> Iterator[Finding]:
    """A scrape timeout equal to its interval leaves no room before the next scrape starts."""
    for job in model.scrape_jobs:
        if job.timeout.milliseconds == job.interval.milliseconds:
            yield Finding(
                job.location,
                f"scrape job {job.job_name}: timeout equals the interval ({job.interval})",
                hint="a timeout of about 80% of the interval is safer",
            )
