"""The registry: the collectors of one exporter plus the exporter's own scrape metrics.

Every exporter builds its own registry and hands it to the server (never a process-global one, the
pitfall STYLE.md names in prometheus_client), so tests build a fresh one each time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from exporters.common.exposition import MetricFamily, render, series_key
from exporters.common.histogram import Histogram, normalize_buckets

log = logging.getLogger(__name__)

# Scrapes of these exporters take milliseconds (push, sql) to seconds (probe).
SCRAPE_BUCKETS = normalize_buckets((0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class Collector(Protocol):
    """Anything that yields metric families when scraped."""

    def collect(self) -> Iterable[MetricFamily]: ...


class Registry:
    """Collectors in registration order; rendering reports and survives a failing collector."""

    def __init__(self, namespace: str, clock: Callable[[], float] = time.perf_counter) -> None:
        self.namespace = namespace
        self._clock = clock
        self._collectors: list[tuple[str, Collector]] = []
        self._lock = threading.Lock()
        self._duration = Histogram(f"{namespace}_scrape_duration_seconds", (), SCRAPE_BUCKETS)
        self._errors: dict[str, int] = {}
        self._error_keys: dict[str, str] = {}

    def register(self, name: str, collector: Collector) -> None:
        self._collectors.append((name, collector))
        self._errors[name] = 0
        self._error_keys[name] = series_key(f"{self.namespace}_scrape_errors_total", [("collector", name)])

    def render(self) -> str:
        """One scrape: every collector's families, then the duration and error metrics.

        A collector that raises is logged and counted in ``<namespace>_scrape_errors_total`` and
        its families are left out; the others are still served, so one broken part never blanks
        the whole scrape.
        """
        started = self._clock()
        texts: list[str] = []
        for name, collector in self._collectors:
            try:
                texts.append(render(collector.collect()))
            except Exception:
                log.exception("collector %s failed", name)
                with self._lock:
                    self._errors[name] += 1
        with self._lock:
            self._duration.observe(self._clock() - started)
            texts.append(render(self._own_families()))
        return "".join(texts)

    def _own_families(self) -> list[MetricFamily]:
        return [
            MetricFamily(
                f"{self.namespace}_scrape_duration_seconds",
                "histogram",
                "Time this exporter took to collect and render a scrape of /metrics.",
                list(self._duration.samples()),
            ),
            MetricFamily(
                f"{self.namespace}_scrape_errors_total",
                "counter",
                "Scrapes in which a collector raised an error (its series were left out).",
                [(self._error_keys[name], count) for name, count in self._errors.items()],
            ),
        ]
