"""Running every probe of a scrape concurrently within one deadline.

Each probe's time limit is the smaller of its own timeout and what is left of the scrape
deadline, so a slow or dead target costs at most its own timeout and never delays the scrape
past ``scrape_timeout`` (the blackbox_exporter does the same per module and scrape).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass

from exporters.probe.checks import CheckFailed, HttpResult, check_http, check_tcp, tls_context
from exporters.probe.config import Probe, ProbeConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    success: bool
    duration: float
    status_code: int | None  # HTTP probes only
    cert_expiry: float | None  # HTTPS probes that got a certificate
    reason: str  # why it failed, "" on success


class Prober:
    def __init__(self, config: ProbeConfig) -> None:
        self.config = config
        self.by_name = {probe.name: probe for probe in config.probes}
        # Building a context loads the CA store (milliseconds): once per probe, not per scrape.
        self._contexts: dict[str, ssl.SSLContext] = {
            probe.name: tls_context(probe.http)
            for probe in config.probes
            if probe.http is not None and probe.http.url.startswith("https:")
        }

    def run(self, probes: Sequence[Probe] | None = None) -> list[Outcome]:
        """Run the probes (all by default) and return their outcomes in config order."""
        return asyncio.run(self._run(self.config.probes if probes is None else probes))

    async def _run(self, probes: Sequence[Probe]) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.scrape_timeout
        gate = asyncio.Semaphore(self.config.max_concurrency)
        return await asyncio.gather(*(self._one(probe, deadline, gate) for probe in probes))

    async def _one(self, probe: Probe, deadline: float, gate: asyncio.Semaphore) -> Outcome:
        async with gate:
            started = time.perf_counter()
            limit = min(probe.timeout, deadline - asyncio.get_running_loop().time())
            http = HttpResult()
            reason = ""
            try:
                if limit <= 0:
                    raise TimeoutError
                async with asyncio.timeout(limit):
                    if probe.http is not None:
                        await check_http(probe.http, self._contexts.get(probe.name), http)
                    else:
                        assert probe.tcp is not None
                        await check_tcp(probe.tcp)
            except TimeoutError:
                reason = f"timed out after {limit:.3g}s"
            except CheckFailed as failure:
                reason = str(failure)
            except (OSError, ssl.SSLError, ValueError, asyncio.IncompleteReadError) as error:
                reason = f"{type(error).__name__}: {error}"
            duration = time.perf_counter() - started
        if reason:
            log.debug("probe %s failed: %s", probe.name, reason)
        return Outcome(
            probe=probe,
            success=not reason,
            duration=duration,
            status_code=http.status_code if probe.http is not None else None,
            cert_expiry=http.cert_expiry,
            reason=reason,
        )
