"""The SQL KPI exporter on real SQLite databases: values, labels, failures, timeouts, staleness."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from exporters.common.config import ConfigError, validate_config
from exporters.common.exposition import render
from exporters.common.server import ExporterServer
from exporters.sql.app import SqlCollector, make_app
from exporters.sql.config import SqlConfig
from exporters.sql.worker import QueryWorker
from tests.exporters.helpers import exporter_process, http, promtool_check_metrics, sample_lines, wait_until

SIGNUPS = {
    "name": "signups",
    "sql": "SELECT plan, count(*) AS n, sum(amount) AS revenue FROM orders GROUP BY plan ORDER BY plan",
    "labels": ["plan"],
    "metrics": [
        {"name": "business_signups", "column": "n", "help": "Signups per plan."},
        {
            "name": "business_revenue_total",
            "column": "revenue",
            "help": "Revenue per plan.",
            "type": "counter",
        },
    ],
}
# A query that runs until interrupted: SQLite's recursive CTE counts in C for minutes.
ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) AS n FROM c"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "kpi.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE orders (plan TEXT, amount REAL)")
        connection.executemany(
            "INSERT INTO orders VALUES (?, ?)",
            [("pro", 20.5), ("pro", 20.5), ("free", None), ('we"ird\\', 1)],
        )
    connection.close()
    return f"sqlite:///{path}"


def app_for(url: str, *queries: dict[str, Any], clock: Clock | None = None) -> tuple[Any, list[QueryWorker]]:
    config = validate_config({"url": url, "queries": list(queries)}, SqlConfig)
    return make_app(config, url, clock) if clock else make_app(config, url)


def scrape(app: Any) -> dict[str, str]:
    text = app.registry.render()
    promtool_check_metrics(text)
    return sample_lines(text)


def test_rows_become_labelled_series_and_nulls_are_skipped(database: str) -> None:
    clock = Clock()
    app, workers = app_for(database, SIGNUPS, clock=clock)
    workers[0].run_once()
    samples = scrape(app)
    assert samples['business_signups{plan="pro"}'] == "2"
    assert samples['business_signups{plan="free"}'] == "1"
    assert samples['business_signups{plan="we\\"ird\\\\"}'] == "1"
    assert samples['business_revenue_total{plan="pro"}'] == "41"
    assert 'business_revenue_total{plan="free"}' not in samples, "SUM over only NULLs is NULL: no sample"
    assert samples['sql_query_success{query="signups"}'] == "1"
    assert samples['sql_query_last_success_timestamp_seconds{query="signups"}'] == "1700000000"
    assert samples['sql_query_stale{query="signups"}'] == "0"
    assert samples['sql_query_errors_total{query="signups",reason="error"}'] == "0"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT plan FROM orders", "result has no column n, revenue (columns: plan)"),
        ("SELECT 'x' AS plan, 'many' AS n, 1 AS revenue", "column n is not numeric: 'many'"),
        (
            "SELECT 'x' AS plan, 1 AS n, 1 AS revenue UNION ALL SELECT 'x', 2, 2",
            "two rows have the same labels",
        ),
        ("SELEC nonsense", "syntax error"),
    ],
    ids=["missing column", "text value", "duplicate labels", "bad SQL"],
)
def test_a_failing_run_is_reported_and_keeps_the_last_good_values_while_fresh(
    database: str, sql: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    app, workers = app_for(database, SIGNUPS, clock=clock)
    workers[0].run_once()
    workers[0].query = workers[0].query.model_copy(update={"sql": sql})  # same worker, failing query now
    clock.now += 30
    workers[0].run_once()
    samples = scrape(app)
    assert message in caplog.text
    assert samples['sql_query_success{query="signups"}'] == "0"
    assert samples['sql_query_errors_total{query="signups",reason="error"}'] == "1"
    assert samples['sql_query_last_success_timestamp_seconds{query="signups"}'] == "1700000000"
    assert samples['business_signups{plan="pro"}'] == "2", "30 s old values are within stale_after (130 s)"


def test_values_older_than_stale_after_are_dropped_not_served_as_fresh(database: str) -> None:
    clock = Clock()
    app, workers = app_for(database, {**SIGNUPS, "interval": "1m", "stale_after": "5m"}, clock=clock)
    workers[0].run_once()
    clock.now += 301
    samples = scrape(app)
    assert not any(key.startswith("business_") for key in samples)
    assert samples['sql_query_stale{query="signups"}'] == "1"
    assert samples['sql_query_last_success_timestamp_seconds{query="signups"}'] == "1700000000"


def test_a_query_past_its_timeout_is_interrupted_and_counted_as_a_timeout(database: str) -> None:
    app, workers = app_for(database, {**SIGNUPS, "sql": ENDLESS, "labels": [], "timeout": "300ms"})
    started = time.monotonic()
    workers[0].run_once()
    assert time.monotonic() - started < 2, "sqlite3's interrupt() must stop the statement"
    samples = scrape(app)
    assert samples['sql_query_errors_total{query="signups",reason="timeout"}'] == "1"
    assert samples['sql_query_success{query="signups"}'] == "0"
    assert 0.25 < float(samples['sql_query_duration_seconds{query="signups"}']) < 2


def test_a_slow_query_blocks_neither_the_others_nor_the_scrape(database: str) -> None:
    slow = {**SIGNUPS, "name": "slow", "sql": ENDLESS, "labels": [], "timeout": "2s", "interval": "1h",
            "metrics": [{"name": "slow_value", "column": "n", "help": "Never arrives."}]}  # fmt: skip
    app, workers = app_for(database, slow, SIGNUPS)
    with ExporterServer(app) as server:
        status, _, body = http("GET", f"{server.url}/health/ready")
        assert status == 503 and body == b"first run pending: slow, signups\n"
        for worker in workers:
            worker.start()
        try:
            wait_until(lambda: workers[1].snapshot().last_run_ok is not None, timeout=5)
            started = time.monotonic()
            status, _, body = http("GET", f"{server.url}/metrics")
            assert time.monotonic() - started < 1.0, "a scrape reads kept results, it never waits for SQL"
            samples = sample_lines(body.decode())
            assert samples['business_signups{plan="pro"}'] == "2"
            assert 'sql_query_success{query="slow"}' not in samples, "still in its first run, not yet overdue"
            wait_until(lambda: workers[0].snapshot().last_run_ok is not None, timeout=5)
            assert http("GET", f"{server.url}/health/ready")[0] == 200
        finally:
            for worker in workers:
                worker.stop()


def test_a_run_stuck_past_its_timeout_reports_failure_before_it_returns(database: str) -> None:
    clock = Clock()
    _, workers = app_for(database, {**SIGNUPS, "timeout": "10s"}, clock=clock)
    workers[0]._state.running_since = clock.now - 11  # a driver that ignores cancellation
    workers[0]._state.last_run_ok = True
    samples = sample_lines(render(SqlCollector(workers, clock).collect()))
    assert samples['sql_query_success{query="signups"}'] == "0"
    assert samples['sql_query_stale{query="signups"}'] == "1", "it never succeeded"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"queries": [SIGNUPS]}, "give exactly one of url or url_file"),
        ({"url": "postgresql://kpi:hunter2@db/kpi", "queries": [SIGNUPS]}, "url holds a password"),
        ({"url": "sqlite://", "queries": [SIGNUPS, {**SIGNUPS, "name": "again"}]}, "comes from two queries"),
        (
            {"url": "sqlite://", "queries": [{**SIGNUPS, "labels": ["__x"]}]},
            "cannot be a Prometheus label name",
        ),
        ({"url": "sqlite://", "queries": [{**SIGNUPS, "metrics": []}]}, "at least 1 item"),
    ],
    ids=["no url", "password in url", "metric twice", "reserved label", "no metrics"],
)
def test_config_mistakes_are_reported(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(config, SqlConfig)


def test_an_unknown_database_driver_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="url: cannot use nosuchdb://"):
        app_for("nosuchdb://x", SIGNUPS)


def test_the_real_process_reads_its_url_file_and_serves(database: str, tmp_path: Path) -> None:
    import yaml

    (tmp_path / "url").write_text(database + "\n")
    (tmp_path / "sql.yaml").write_text(yaml.safe_dump({"url_file": "url", "queries": [SIGNUPS]}))
    with exporter_process("sql", tmp_path / "sql.yaml") as url:
        wait_until(lambda: http("GET", f"{url}/health/ready")[0] == 200)
        samples = sample_lines(http("GET", f"{url}/metrics")[2].decode())
        assert samples['business_signups{plan="pro"}'] == "2"


def test_main_serves_until_sigterm_then_stops_its_workers(database: str, tmp_path: Path) -> None:
    """The CLI in process (the real-process tests cover it too, but out of coverage's sight)."""
    import os
    import signal
    import threading

    import yaml

    from exporters.common.cli import main
    from exporters.sql.app import build
    from tests.exporters.targets import dead_port

    (tmp_path / "sql.yaml").write_text(yaml.safe_dump({"url": database, "queries": [SIGNUPS]}))
    port = dead_port()
    url = f"http://127.0.0.1:{port}"
    seen: dict[str, str] = {}

    def scrape_then_terminate() -> None:
        try:
            wait_until(lambda: _status(f"{url}/health/ready") == 200)
            seen.update(sample_lines(http("GET", f"{url}/metrics")[2].decode()))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=scrape_then_terminate, daemon=True).start()
    assert (
        main(
            "exporters.sql",
            "test",
            build,
            ["--config", str(tmp_path / "sql.yaml"), "--listen", f"127.0.0.1:{port}"],
        )
        == 0
    )
    assert seen['business_signups{plan="pro"}'] == "2"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "main restores the handlers it replaced"


def _status(url: str) -> int:
    try:
        return http("GET", url, timeout=1)[0]
    except OSError:
        return 0
