"""The SQL KPI exporter's scrape: the kept results of every query, and each query's health.

Values older than the query's ``stale_after`` are dropped rather than served as if fresh
(Prometheus would otherwise keep stamping an hours-old KPI with the current scrape time);
``sql_query_last_success_timestamp_seconds`` and ``sql_query_stale`` say why they are missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from exporters.common.config import ConfigError, load_config, read_secret_file
from exporters.common.exposition import MetricFamily
from exporters.common.registry import Registry
from exporters.common.server import App
from exporters.sql.config import SqlConfig
from exporters.sql.worker import QueryWorker

NAMESPACE = "sql_exporter"


class SqlCollector:
    def __init__(self, workers: Sequence[QueryWorker], wall_clock: Callable[[], float] = time.time) -> None:
        self._workers = workers
        self._wall_clock = wall_clock

    def collect(self) -> list[MetricFamily]:
        now = self._wall_clock()
        kpis: list[MetricFamily] = []
        own = {
            name: MetricFamily(name, kind, text)
            for name, kind, text in (
                ("sql_query_success", "gauge", "Whether the query's last run succeeded (0 while overdue)."),
                ("sql_query_duration_seconds", "gauge", "How long the query's last run took."),
                ("sql_query_last_success_timestamp_seconds", "gauge", "When the query last succeeded."),
                (
                    "sql_query_stale",
                    "gauge",
                    "1 when the query's values are older than stale_after and dropped.",
                ),
                (
                    "sql_query_errors_total",
                    "counter",
                    "Failed runs of the query, by reason (error, timeout).",
                ),
            )
        }
        for worker in self._workers:
            query, state = worker.query, worker.snapshot()
            label = {"query": query.name}
            fresh = state.last_success is not None and now - state.last_success <= query.staleness
            families = {m.name: MetricFamily(m.name, m.type, m.help) for m in query.metrics}
            if fresh:
                for labels, values in state.rows:
                    for name, value in values.items():
                        families[name].add(value, labels)
            kpis.extend(families.values())
            overdue = state.running_since is not None and now - state.running_since > query.timeout
            if state.last_run_ok is not None or overdue:
                own["sql_query_success"].add(1 if state.last_run_ok and not overdue else 0, label)
                own["sql_query_duration_seconds"].add(state.last_duration, label)
            if state.last_success is not None:
                own["sql_query_last_success_timestamp_seconds"].add(state.last_success, label)
            own["sql_query_stale"].add(0 if fresh else 1, label)
            for reason, count in state.errors.items():
                own["sql_query_errors_total"].add(count, {**label, "reason": reason})
        return [family for family in (*kpis, *own.values()) if family.samples]


def make_app(
    config: SqlConfig, url: str, wall_clock: Callable[[], float] = time.time
) -> tuple[App, list[QueryWorker]]:
    """The app and its (not yet started) workers."""
    try:
        engine = create_engine(url, poolclass=NullPool)
    except (ArgumentError, NoSuchModuleError) as error:
        raise ConfigError(f"url: cannot use {url.partition('://')[0]}:// : {error}") from error
    workers = [QueryWorker(query, engine, wall_clock) for query in config.queries]
    registry = Registry(NAMESPACE)
    registry.register("queries", SqlCollector(workers, wall_clock))

    def ready() -> tuple[bool, str]:
        waiting = [w.query.name for w in workers if w.snapshot().last_run_ok is None]
        return (False, f"first run pending: {', '.join(waiting)}") if waiting else (True, "ready")

    return App(registry, ready), workers


def build(config_path: Path) -> tuple[App, Callable[[], None]]:
    config = load_config(config_path, SqlConfig)
    if config.url_file is not None:
        path = config.url_file if config.url_file.is_absolute() else config_path.parent / config.url_file
        url = read_secret_file(path)
    else:
        assert config.url is not None
        url = config.url
    app, workers = make_app(config, url)
    for worker in workers:
        worker.start()

    def stop() -> None:
        for worker in workers:
            worker.stop()

    return app, stop
