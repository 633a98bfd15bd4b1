"""The PostgreSQL store, for real: the same behaviour as SQLite on a throw-away cluster, plus
two receivers (replicas) sharing one database without storing a delivery twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import orjson
import pytest

from receiver.api import App
from receiver.app import build
from receiver.config import Config
from receiver.db import Database, StorageError
from receiver.queries import IncidentFilter
from receiver.schema import LATEST, migrate
from receiver.service import Receiver
from tests.pg import Cluster
from tests.receiver.conftest import FakeClock, RecordingHttp, alert, body, ha_lines


@pytest.fixture
def replicas(pg_url: str, clock: FakeClock, http: RecordingHttp) -> Iterator[list[Receiver]]:
    made = [build(pg_url, Config(), clock, http) for _ in range(2)]
    yield made
    for receiver in made:
        receiver.close()


def test_the_schema_is_created_and_upgraded_in_place(pg_url: str) -> None:
    database = Database(pg_url)
    assert migrate(database, target=1) == 1
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO incidents (fingerprint, alertname, severity, team, service, status, starts_at, labels,"
            " annotations, notification_count, last_delivery_at) VALUES"
            " ('f1', 'Old', 'critical', 't', 's', 'firing', 1.0, '{}', '{}', 1, 1.0)"
        )
    assert migrate(database) == LATEST
    with database.transaction(write=False) as tx:
        assert tx.one("SELECT alertname, escalation_level FROM incidents") == ("Old", 0)
    database.close()


def test_the_ha_pair_sent_to_two_replicas_at_once_is_stored_once(replicas: list[Receiver]) -> None:
    first, second, *_ = ha_lines()
    results = []

    def post(receiver: Receiver, line: dict[str, object]) -> None:
        results.append(receiver.ingest(orjson.dumps(line["body"])))

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(replicas, (first, second), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(result.duplicate for result in results) == [False, True]
    assert replicas[0].notifications(None, None, None, 10, 0)[1] == 1
    (incident,) = replicas[1].incidents(IncidentFilter())[0]
    assert incident["fingerprint"] == "31d6324317bce2d6" and incident["notificationCount"] == 1


def test_incidents_acks_and_history_work_on_postgresql(replicas: list[Receiver], clock: FakeClock) -> None:
    one, two = replicas
    one.ingest(body(alert("f1", starts="2026-11-23T06:00:00Z")))
    two.ingest(body(alert("f1", status="resolved", starts="2026-11-23T06:00:00.003Z"), group_key="x"))
    clock.advance(600)
    one.ingest(body(alert("f1", starts="2026-11-23T07:00:00Z")))
    acked = two.ack(2, "ann", "mine", None)
    assert acked["acknowledgedBy"] == "ann" and acked["events"][0]["kind"] == "ack"
    history, total = one.incidents(IncidentFilter(team="payments", limit=1))
    assert total == 2 and history[0]["id"] == 2 and history[0]["status"] == "firing"
    assert one.incidents(IncidentFilter(status="resolved"))[1] == 1
    assert one.ready()


def test_an_unreachable_server_is_a_storage_error(postgres_cluster: Cluster) -> None:
    database = Database(f"postgresql://postgres@127.0.0.1:{postgres_cluster.port}/no_such_database")
    with pytest.raises(StorageError, match="no_such_database"), database.transaction() as tx:
        tx.one("SELECT 1")


def test_nul_characters_postgresql_cannot_store_are_a_4xx_not_a_5xx(replicas: list[Receiver]) -> None:
    app = App(replicas[0], token=None)
    with_nul = orjson.loads(body(alert("f1", team="pay\u0000ments")))
    _, (status, payload, _) = app.handle("POST", "/webhook", orjson.dumps(with_nul), None)
    assert status == 400 and b"alerts[0].labels: must not contain NUL characters" in payload
    _, (status, payload, _) = app.handle("GET", "/api/alerts/history?team=a%00b", b"", None)
    assert status == 400 and b"team: must not contain NUL characters" in payload
    app.handle("POST", "/webhook", body(alert("f1")), None)
    _, (status, payload, _) = app.handle("POST", "/api/alerts/1/ack", b'{"who": "a\\u0000b"}', None)
    assert status == 400 and b"who: expected a non-empty string without NUL" in payload
    assert replicas[0].notifications(None, None, None, 10, 0)[1] == 1
