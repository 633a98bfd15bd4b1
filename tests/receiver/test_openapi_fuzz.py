"""Issue 7, bad input: nothing a client sends produces a 5xx. schemathesis generates requests for
every operation of the receiver's own OpenAPI description (GET /openapi.json), valid and invalid
ones, and sends them over real HTTP to a receiver on 127.0.0.1 with a token and a few incidents."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from receiver.app import Running, Settings
from receiver.config import Config
from tests.receiver.conftest import alert, body

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("fuzz")
    running = Running(Settings("127.0.0.1", 0, f"sqlite:///{folder / 'r.db'}", Config(), token=TOKEN)).start()
    for number in range(3):
        running.receiver.ingest(body(alert(f"f{number}"), group_key=str(number)))
    yield running
    running.stop()


def test_the_description_is_served_and_names_every_route(served: Running) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/openapi.json", timeout=5) as response:
        document = json.loads(response.read())
    assert document["openapi"].startswith("3.")
    assert {"/webhook", "/api/alerts/active", "/api/alerts/history", "/api/alerts/{id}/ack",
            "/api/notifications"} <= set(document["paths"])  # fmt: skip


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_gets_a_server_error(served: Running, mode: GenerationMode) -> None:
    """Every operation, with data that fits the description and data that does not (wrong types,
    missing fields, out-of-range pages), with and without the token: 4xx at worst, never 5xx."""
    api = schemathesis.openapi.from_url(f"http://127.0.0.1:{served.port}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
            continue  # nothing to make invalid

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def send(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error])
            case.call_and_validate(checks=[not_a_server_error])

        send()


def _has_inputs(operation: Any) -> bool:
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


def test_fuzzing_reached_the_database(served: Running, tmp_path: Path) -> None:
    """The fuzzer's valid webhooks were stored: it exercised the write path, not only refusals."""
    with urllib.request.urlopen(
        f"http://127.0.0.1:{served.port}/api/notifications?limit=10000", timeout=5
    ) as r:
        total = json.loads(r.read())["data"]["total"]
    assert total > 3  # three from the fixture, the rest from the fuzzer
