"""One thread per query: run it every interval, with a timeout, and keep its last result.

A thread of its own per query (rather than a shared pool) is what makes "a slow query never
blocks the others" hold even when a database driver ignores cancellation; each run also opens
its own connection (NullPool), so a connection broken by a cancel or a restart never lingers.
Scrapes only read the kept results, so they never wait for the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from exporters.sql.config import Query

log = logging.getLogger(__name__)

Row = tuple[tuple[tuple[str, str], ...], dict[str, float]]  # (labels, metric name -> value)


class QueryError(Exception):
    """A result that cannot become metrics (the message says which column and why)."""


@dataclass
class QueryState:
    """What a scrape reports about one query (a copy, taken under the worker's lock)."""

    rows: list[Row] = field(default_factory=list)
    last_success: float | None = None  # wall clock, for the exported timestamp
    last_run_ok: bool | None = None  # None until the first run ends
    last_duration: float = 0.0
    running_since: float | None = None
    errors: dict[str, int] = field(default_factory=lambda: {"error": 0, "timeout": 0})


def _cancel(dbapi_connection: Any) -> None:
    """Ask the driver to abort the running statement: sqlite3 has interrupt(), psycopg cancel()."""
    for method in ("interrupt", "cancel"):
        if hasattr(dbapi_connection, method):
            try:
                getattr(dbapi_connection, method)()
            except Exception as error:  # the statement may have ended meanwhile; nothing to undo
                log.debug("cancelling failed: %s", error)
            return


def to_rows(query: Query, result: list[dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for record in result:
        missing = [c for c in (*query.labels, *(m.column for m in query.metrics)) if c not in record]
        if missing:
            raise QueryError(f"result has no column {', '.join(missing)} (columns: {', '.join(record)})")
        labels = tuple((label, "" if record[label] is None else str(record[label])) for label in query.labels)
        if labels in seen:
            raise QueryError(f"two rows have the same labels {dict(labels)}")
        seen.add(labels)
        values: dict[str, float] = {}
        for metric in query.metrics:
            raw = record[metric.column]
            if raw is None:
                continue
            if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
                raise QueryError(f"column {metric.column} is not numeric: {raw!r}")
            values[metric.name] = float(raw)
        rows.append((labels, values))
    return rows


class QueryWorker:
    def __init__(
        self,
        query: Query,
        engine: Engine,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.query = query
        self._engine = engine
        self._wall_clock = wall_clock
        self._state = QueryState()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"sql-{query.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def snapshot(self) -> QueryState:
        with self._lock:
            state = self._state
            return QueryState(
                list(state.rows),
                state.last_success,
                state.last_run_ok,
                state.last_duration,
                state.running_since,
                dict(state.errors),
            )

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.query.interval)

    def run_once(self) -> None:
        started = time.perf_counter()
        with self._lock:
            self._state.running_since = self._wall_clock()
        timed_out = threading.Event()
        try:
            with self._engine.connect() as connection:
                dbapi = connection.connection.dbapi_connection

                def expire() -> None:
                    timed_out.set()
                    _cancel(dbapi)

                timer = threading.Timer(self.query.timeout, expire)
                timer.start()
                try:
                    result = [dict(row) for row in connection.execute(text(self.query.sql)).mappings()]
                finally:
                    timer.cancel()  # before the connection closes: never interrupt a closed one
                connection.rollback()  # read-only: never leave a transaction open
            if timed_out.is_set():
                raise TimeoutError
            rows = to_rows(self.query, result)
        except Exception as error:
            reason = "timeout" if timed_out.is_set() else "error"
            log.warning("query %s failed (%s): %s", self.query.name, reason, _first_line(error))
            self._finish(started, None, reason)
        else:
            self._finish(started, rows, None)

    def _finish(self, started: float, rows: list[Row] | None, reason: str | None) -> None:
        with self._lock:
            state = self._state
            state.last_duration = time.perf_counter() - started
            state.running_since = None
            state.last_run_ok = rows is not None
            if rows is None:
                assert reason is not None
                state.errors[reason] += 1
            else:
                state.rows = rows
                state.last_success = self._wall_clock()


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
