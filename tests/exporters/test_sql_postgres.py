"""The SQL KPI exporter against a real PostgreSQL (a throw-away cluster from tests/pg.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from exporters.common.config import validate_config
from exporters.sql.app import make_app
from exporters.sql.config import SqlConfig
from tests.exporters.helpers import promtool_check_metrics, sample_lines
from tests.pg import Cluster, fresh_database, start_cluster, stop_cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def url(cluster: Cluster) -> str:
    plain = fresh_database(cluster)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("CREATE TABLE payments (region text, amount numeric(12, 2), queued int)")
        connection.execute(
            "INSERT INTO payments VALUES ('eu', 10.25, 3), ('eu', 4.75, 1), ('us', 100.00, 0), (NULL, 1, 0)"
        )
    # SQLAlchemy's plain postgresql:// means psycopg2; the project ships psycopg 3.
    return plain.replace("postgresql://", "postgresql+psycopg://", 1)


def test_numeric_results_become_labelled_series(url: str) -> None:
    query = {
        "name": "revenue",
        "sql": "SELECT region, sum(amount) AS revenue, sum(queued) AS queued FROM payments GROUP BY region",
        "labels": ["region"],
        "metrics": [
            {"name": "business_revenue", "column": "revenue", "help": "Revenue by region."},
            {"name": "business_queue_length", "column": "queued", "help": "Queued payments."},
        ],
    }
    app, workers = make_app(validate_config({"url": url, "queries": [query]}, SqlConfig), url)
    workers[0].run_once()
    text = app.registry.render()
    promtool_check_metrics(text)
    samples = sample_lines(text)
    assert samples['business_revenue{region="eu"}'] == "15"
    assert samples['business_revenue{region="us"}'] == "100"
    assert samples['business_revenue{region=""}'] == "1", "a NULL label column is the empty label value"
    assert samples['business_queue_length{region="eu"}'] == "4"
    assert samples['sql_query_success{query="revenue"}'] == "1"


def test_a_slow_statement_is_cancelled_on_the_server_at_its_timeout(url: str) -> None:
    query = {
        "name": "slow",
        "sql": "SELECT pg_sleep(20) IS NULL AS done, 1 AS n",
        "timeout": "500ms",
        "metrics": [{"name": "slow_n", "column": "n", "help": "Never arrives."}],
    }
    app, workers = make_app(validate_config({"url": url, "queries": [query]}, SqlConfig), url)
    started = time.monotonic()
    workers[0].run_once()
    assert time.monotonic() - started < 5, "psycopg's cancel() must stop pg_sleep on the server"
    samples = sample_lines(app.registry.render())
    assert samples['sql_query_errors_total{query="slow",reason="timeout"}'] == "1"
    assert samples['sql_query_success{query="slow"}'] == "0"
    assert "slow_n" not in samples
