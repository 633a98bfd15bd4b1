"""The HTTP interface over a real socket: envelope, auth, limits, routes and status codes."""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from receiver.app import Running, Settings
from receiver.config import Config
from tests.receiver.conftest import FakeClock, RecordingHttp, alert, body, fixture_bytes

TOKEN = "s3cr3t-token-from-file"
Call = Callable[..., tuple[int, Any]]


@pytest.fixture
def running(tmp_path: Path, clock: FakeClock, http: RecordingHttp) -> Iterator[Running]:
    settings = Settings(
        host="127.0.0.1",
        port=0,
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        config=Config(max_body_bytes=4096, alertmanager_url="http://am:9093"),
        token=TOKEN,
    )
    server = Running(settings, clock, http)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def call(running: Running) -> Iterator[Call]:
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)

    def request(
        method: str, path: str, data: bytes | None = None, token: str | None = TOKEN, **headers: str
    ) -> tuple[int, Any]:
        all_headers = dict(headers)
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
        if response.getheader("Connection") == "close":
            connection.close()
        kind = response.getheader("Content-Type") or ""
        return response.status, orjson.loads(raw) if kind.startswith("application/json") else raw.decode()

    yield request
    connection.close()


def test_a_delivery_is_stored_and_listed_in_the_envelope(call: Call) -> None:
    status, answer = call("POST", "/webhook", fixture_bytes("am_webhook_sample.json"))
    assert (status, answer) == (200, {"success": True, "data": {"deliveryId": 1, "duplicate": False}})
    status, answer = call("GET", "/api/alerts/active?team=payments&limit=1")
    assert status == 200 and answer["success"] is True
    assert answer["data"]["total"] == 2 and len(answer["data"]["alerts"]) == 1
    status, answer = call("GET", "/api/notifications")
    assert (
        answer["data"]["total"] == 1 and answer["data"]["notifications"][0]["receiver"] == "payments-webhook"
    )
    status, answer = call(
        "GET", "/api/alerts/history?status=firing&since=2026-11-23T00:00:00Z&until=1999999999"
    )
    assert status == 200 and answer["data"]["total"] == 2


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param(None, 401, id="no token is refused"),
        pytest.param("wrong", 401, id="a wrong token is refused"),
    ],
)
def test_writes_need_the_bearer_token_and_store_nothing_without_it(
    call: Call, token: str | None, expected: int
) -> None:
    status, answer = call("POST", "/webhook", fixture_bytes("am_webhook_sample.json"), token=token)
    assert (status, answer["error"]) == (expected, "missing or wrong bearer token")
    status, answer = call("POST", "/api/alerts/1/ack", b'{"who": "x"}', token=token)
    assert status == 401
    assert call("GET", "/api/notifications")[1]["data"]["total"] == 0


def test_bad_bodies_get_4xx_with_a_message_and_store_nothing(call: Call, running: Running) -> None:
    status, answer = call("POST", "/webhook", b"{oops")
    assert status == 400 and answer["error"].startswith("body is not valid JSON")
    status, answer = call("POST", "/webhook", body(alert(), version="3"))
    assert status == 400 and "version" in answer["error"]
    status, answer = call("POST", "/webhook", b"x" * 5000)
    assert status == 413 and answer["error"] == "body must be at most 4096 bytes (Content-Length: 5000)"
    assert call("GET", "/api/notifications")[1]["data"]["total"] == 0
    assert running.receiver.instruments.deliveries.value("rejected") == 3


def test_a_content_length_that_is_not_a_number_is_refused(running: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
    connection.putrequest("POST", "/webhook")
    connection.putheader("Content-Length", "²")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 400 and b"(Content-Length: \xc2\xb2)" in response.read()
    connection.close()


def test_a_post_without_content_length_is_refused(running: Running) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=5)
    connection.putrequest("POST", "/webhook")
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 411 and b"Content-Length is required" in response.read()
    connection.close()


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        pytest.param("GET", "/nowhere", 404, "no route for GET /nowhere", id="an unknown path is 404"),
        pytest.param("GET", "/webhook", 405, "no route for GET /webhook", id="a wrong method is 405"),
        pytest.param("POST", "/api/alerts/1", 405, "no route", id="incidents are read-only"),
        pytest.param("GET", "/api/alerts/1/ack", 405, "no route", id="ack is a POST"),
        pytest.param("GET", "/api/alerts/99", 404, "no incident with id 99", id="a missing incident is 404"),
        pytest.param(
            "GET",
            "/api/alerts/active?limit=10001",
            400,
            "limit: expected an integer from 1 to 10000",
            id="limit capped",
        ),
        pytest.param(
            "GET", "/api/alerts/history?offset=-1", 400, "offset: expected an integer", id="negative offset"
        ),
        pytest.param(
            "GET",
            "/api/alerts/history?status=open",
            400,
            "status: expected 'firing' or 'resolved'",
            id="bad status",
        ),
        pytest.param(
            "GET", "/api/notifications?since=soon", 400, "since: expected an RFC 3339 time", id="bad time"
        ),
        pytest.param(
            "POST", "/api/alerts/99/ack", 404, "no incident with id 99", id="acking a missing incident"
        ),
        pytest.param(
            "POST", "/api/alerts/99/unack", 404, "no incident with id 99", id="unacking a missing incident"
        ),
    ],
)
def test_client_mistakes_are_4xx_with_a_message(
    call: Call, method: str, path: str, status: int, message: str
) -> None:
    got, answer = call(method, path, b'{"who": "ann"}' if method == "POST" else None)
    assert got == status and answer["success"] is False and message in answer["error"]


def test_ack_with_a_silence_then_unack_through_the_api(call: Call, http: RecordingHttp) -> None:
    http.on("POST", "/api/v2/silences", lambda _: {"silenceID": "sil-1"})
    http.on("DELETE", "/api/v2/silence/sil-1", lambda _: {})
    call("POST", "/webhook", body(alert("f1")))
    status, answer = call(
        "POST", "/api/alerts/1/ack", b'{"who": "ann", "comment": "looking", "silence": "2h"}'
    )
    assert (
        status == 200 and answer["data"]["acknowledgedBy"] == "ann" and answer["data"]["silenceId"] == "sil-1"
    )
    (silence,) = http.sent("POST", "/api/v2/silences")
    assert silence["comment"] == "ACK! looking" and silence["createdBy"] == "ann"
    status, answer = call("POST", "/api/alerts/1/unack", b'{"who": "ann"}')
    assert status == 200 and answer["data"]["acknowledgedBy"] is None
    assert http.sent("DELETE", "/api/v2/silence/sil-1") == [None]
    status, answer = call("GET", "/api/alerts/1")
    assert [event["kind"] for event in answer["data"]["events"]] == ["ack", "unack"]
    assert len(answer["data"]["notifications"]) == 1


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        pytest.param(b"[]", 400, "body: expected a JSON object", id="ack body must be an object"),
        pytest.param(b"{", 400, "body is not valid JSON", id="ack body must be JSON"),
        pytest.param(b'{"comment": "x"}', 400, "who: expected a non-empty string", id="who is required"),
        pytest.param(
            b'{"who": "a", "comment": 5}', 400, "comment: expected a non-empty string", id="comment is text"
        ),
        pytest.param(
            b'{"who": "a", "silence": "forever"}', 400, "silence: expected a duration", id="bad silence"
        ),
        pytest.param(
            b'{"who": "a", "silence": 5}', 400, "silence: expected a duration", id="silence is text"
        ),
        pytest.param(
            b'{"who": "a", "silence": "1h"}', 502, "Alertmanager did not create the silence", id="no AM"
        ),
    ],
)
def test_bad_ack_requests(call: Call, data: bytes, status: int, message: str) -> None:
    call("POST", "/webhook", body(alert("f1")))
    got, answer = call("POST", "/api/alerts/1/ack", data)
    assert got == status and message in answer["error"]
    assert call("GET", "/api/alerts/1")[1]["data"]["acknowledgedBy"] is None


def test_health_and_metrics(call: Call) -> None:
    assert call("GET", "/health/live") == (200, {"success": True, "data": {"status": "live"}})
    assert call("GET", "/health/ready") == (200, {"success": True, "data": {"status": "ready"}})
    call("POST", "/webhook", body(alert("f1")))
    status, text = call("GET", "/metrics")
    assert status == 200
    assert 'receiver_deliveries_total{outcome="stored"} 1\n' in text
    assert "receiver_open_incidents 1\n" in text
    assert 'receiver_request_duration_seconds_count{route="/webhook",code="200"} 1\n' in text
