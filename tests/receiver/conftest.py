"""Receiver test helpers: a hand-moved clock, an in-process HTTP client that records calls, the
captured Alertmanager fixtures, and receivers on a throw-away SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from receiver.app import build
from receiver.config import Config
from receiver.httpclient import HttpError
from receiver.service import Receiver
from tests.pg import Cluster, fresh_database, start_cluster, stop_cluster

# Webhook bodies captured from a real Alertmanager 0.25 (copied from the project's shared fixtures).
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ha_lines() -> list[dict[str, Any]]:
    """The captured HA pair (two Alertmanagers, same alert) and later resolutions, in order."""
    text = (FIXTURES / "am_webhook_ha_duplicate_pair_and_resolve_timeout.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class FakeClock:
    def __init__(self, start: float = 1_795_416_000.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


class RecordingHttp:
    """Answers outgoing requests from a table of handlers and records every call; a path with
    no handler fails like an unreachable server."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.handlers: dict[tuple[str, str], Callable[[Any], Any]] = {}

    def on(self, method: str, path_end: str, answer: Callable[[Any], Any]) -> None:
        self.handlers[(method, path_end)] = answer

    def request(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        payload = orjson.loads(body) if body else None
        self.calls.append((method, url, payload))
        for (m, end), answer in self.handlers.items():
            if m == method and url.split("?")[0].endswith(end):
                return orjson.dumps(answer(payload))
        raise HttpError(f"{method} {url}: connection refused")

    def sent(self, method: str, path_end: str) -> list[Any]:
        return [body for m, url, body in self.calls if m == method and url.split("?")[0].endswith(path_end)]


def body(
    *alerts: dict[str, Any],
    status: str | None = None,
    receiver: str = "team-webhook",
    group_key: str = "{}:{}",
    **extra: Any,
) -> bytes:
    """A version 4 webhook body around `alerts` (made with `alert`)."""
    payload = {
        "version": "4",
        "receiver": receiver,
        "status": status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
        "alerts": list(alerts),
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am-a:9093",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        **extra,
    }
    return orjson.dumps(payload)


def alert(
    fingerprint: str = "f1",
    status: str = "firing",
    starts: str = "2026-11-23T06:45:26.148089403Z",
    ends: str = "0001-01-01T00:00:00Z",
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "HighLatency", "severity": "critical", "team": "payments", **labels},
        "annotations": {"summary": "p99 high"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint,
    }


MakeReceiver = Callable[..., Receiver]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> RecordingHttp:
    return RecordingHttp()


@pytest.fixture
def make_receiver(tmp_path: Path, clock: FakeClock, http: RecordingHttp) -> Iterator[MakeReceiver]:
    """Receivers on one SQLite file in tmp_path (a second call is a restart on the same data)."""
    made: list[Receiver] = []

    def make(config: Config | None = None, url: str | None = None) -> Receiver:
        receiver = build(url or f"sqlite:///{tmp_path / 'receiver.db'}", config or Config(), clock, http)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def receiver(make_receiver: MakeReceiver) -> Receiver:
    return make_receiver()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throw-away PostgreSQL cluster for the whole session (tests/pg.py)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def pg_url(postgres_cluster: Cluster) -> str:
    """An empty database of its own for each test."""
    return fresh_database(postgres_cluster)
