"""Storage: the versioned schema upgrades in place, group commit batches concurrent writes, and
a storage failure is a 5xx (so Alertmanager retries) with nothing half-stored."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from receiver.api import App
from receiver.clock import SystemClock
from receiver.config import Config
from receiver.db import Database, StorageError, Tx
from receiver.instruments import Instruments
from receiver.metrics import Registry
from receiver.queries import IncidentFilter
from receiver.schema import LATEST, current_version, migrate
from receiver.service import Receiver
from receiver.writer import Writer
from tests.receiver.conftest import RecordingHttp, alert, body


def test_an_old_database_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    assert migrate(database, target=1) == 1
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO incidents (fingerprint, alertname, severity, team, service, status, starts_at, labels,"
            " annotations, notification_count, last_delivery_at) VALUES"
            " ('f1', 'Old', 'critical', 't', 's', 'firing', 1.0, '{}', '{}', 1, 1.0)"
        )
    assert migrate(database) == LATEST == 3
    with database.transaction(write=False) as tx:
        assert current_version(tx) == LATEST
        assert tx.one("SELECT alertname, escalation_level, next_escalation_at FROM incidents") == (
            "Old",
            0,
            None,
        )
    assert migrate(database) == LATEST  # a second start changes nothing
    database.close()


def test_only_sqlite_and_postgresql_urls_are_accepted() -> None:
    with pytest.raises(ValueError, match=r"expected sqlite:///path\.db or postgresql://"):
        Database("mysql://db/x")
    with pytest.raises(ValueError, match=r"expected sqlite:///path\.db"):
        Database("sqlite://relative.db")


def test_concurrent_writes_share_commits(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(database)
    batches: list[int] = []
    writer = Writer(database, on_batch=lambda jobs, _: batches.append(jobs))

    def write(number: int) -> None:
        writer.submit(
            lambda tx: tx.execute("INSERT INTO heartbeats (name, last_seen) VALUES (?, 1)", (str(number),))
        )

    threads = [threading.Thread(target=write, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.stop()
    with database.transaction(write=False) as tx:
        assert tx.one("SELECT COUNT(*) FROM heartbeats") == (200,)
    assert sum(batches) == 200 and len(batches) < 200  # some commits carried several writes
    database.close()


def test_a_faulty_job_fails_alone_and_the_rest_of_its_batch_commits(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(database)
    gate = threading.Event()
    writer = Writer(database)
    results: dict[str, object] = {}

    def block(tx: Tx) -> None:
        gate.wait(5)

    def faulty(tx: Tx) -> None:
        tx.execute("INSERT INTO heartbeats (name, last_seen) VALUES ('bad', 1)")
        raise KeyError("a bug")

    def good(tx: Tx) -> str:
        tx.execute("INSERT INTO heartbeats (name, last_seen) VALUES ('good', 1)")
        return "ok"

    def run(name: str, job: object) -> None:
        try:
            results[name] = writer.submit(job)  # type: ignore[arg-type]
        except Exception as error:
            results[name] = error

    first = threading.Thread(target=run, args=("block", block))
    first.start()
    others = [threading.Thread(target=run, args=(n, j)) for n, j in (("faulty", faulty), ("good", good))]
    for thread in others:
        thread.start()
    gate.set()
    for thread in [first, *others]:
        thread.join()
    writer.stop()
    assert results["good"] == "ok" and isinstance(results["faulty"], KeyError)
    with database.transaction(write=False) as tx:
        assert tx.all("SELECT name FROM heartbeats") == [("good",)]
    database.close()


def test_a_locked_database_answers_503_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    database = Database(f"sqlite:///{path}", busy_timeout=0.05)
    migrate(database)
    receiver = Receiver(database, Config(), SystemClock(), RecordingHttp(), Instruments(Registry()))
    app = App(receiver, token=None)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        _, (status, payload, _) = app.handle("POST", "/webhook", body(alert()), None)
        assert status == 503 and b"storage unavailable, retry" in payload
        assert receiver.instruments.deliveries.value("stored") == 0
        with pytest.raises(StorageError):
            receiver.writer.submit(
                lambda tx: tx.execute("INSERT INTO heartbeats (name, last_seen) VALUES ('x', 1)")
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _, (status, _, _) = app.handle("POST", "/webhook", body(alert()), None)
    assert status == 200 and receiver.incidents(IncidentFilter())[1] == 1
    receiver.close()


def test_readiness_reports_a_stopped_writer(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(database)
    receiver = Receiver(database, Config(), SystemClock(), RecordingHttp(), Instruments(Registry()))
    app = App(receiver, token=None)
    assert app.handle("GET", "/health/ready", b"", None)[1][0] == 200
    receiver.writer.stop()
    status, payload, _ = app.handle("GET", "/health/ready", b"", None)[1]
    assert status == 503 and b"the writer thread has stopped" in payload
    database.close()


def test_an_ack_that_cannot_be_stored_takes_its_silence_back(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    database = Database(f"sqlite:///{path}", busy_timeout=0.05)
    migrate(database)
    http = RecordingHttp()
    http.on("POST", "/api/v2/silences", lambda _: {"silenceID": "s1"})
    http.on("DELETE", "/api/v2/silence/s1", lambda _: {})
    config = Config(alertmanager_url="http://am:9093")
    receiver = Receiver(database, config, SystemClock(), http, Instruments(Registry()))
    receiver.ingest(body(alert()))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError):
            receiver.ack(1, "ann", "mine", 3600)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert http.sent("DELETE", "/api/v2/silence/s1") == [None]
    assert receiver.incident(1)["acknowledgedBy"] is None
    receiver.close()
