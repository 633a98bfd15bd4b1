"""Nothing a client sends produces a 5xx (issue 7, must-hold 5): generated bodies, headers and
query strings against the real routing, handlers and SQLite store, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receiver.api import App
from receiver.app import Running, Settings, build
from receiver.config import Config
from receiver.httpclient import HttpError, UrllibClient
from tests.pg import fresh_database
from tests.receiver.conftest import FakeClock, RecordingHttp, alert, body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_FIELDS = ["version", "receiver", "status", "alerts", "groupKey", "externalURL", "truncatedAlerts"]
_ALERT_FIELDS = ["status", "labels", "annotations", "startsAt", "endsAt", "fingerprint", "generatorURL"]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    """A valid webhook body with some fields replaced by arbitrary JSON values or removed."""
    second = draw(st.sampled_from(["f2", "f1"]))  # f1 twice: a repeated alert must not break the store
    raw = orjson.loads(body(alert("f1"), alert(second, status="resolved")))
    for key in draw(st.lists(st.sampled_from(_FIELDS), max_size=3)):
        raw[key] = draw(json_values)
    if isinstance(raw.get("alerts"), list) and raw["alerts"] and isinstance(raw["alerts"][0], dict):
        for key in draw(st.lists(st.sampled_from(_ALERT_FIELDS), max_size=3)):
            raw["alerts"][0][key] = draw(json_values)
    return json.dumps(raw).encode()  # the standard library writes integers of any size


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """The same fuzzing against both stores: PostgreSQL refuses some text SQLite takes (NUL)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'r.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_cluster"))
    receiver = build(url, Config(), FakeClock(), RecordingHttp())
    yield App(receiver, token=None)
    receiver.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=mutated_bodies() | st.binary(max_size=200))
def test_no_webhook_body_gets_a_5xx(app: App, raw: bytes) -> None:
    _, (status, payload, _) = app.handle("POST", "/webhook", raw, None)
    assert status in (200, 400), payload
    answer = orjson.loads(payload)
    assert answer["success"] is (status == 200)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(
        ["/api/alerts/active", "/api/alerts/history", "/api/notifications", "/api/alerts/1"]
    ),
    query=st.dictionaries(
        st.sampled_from(["limit", "offset", "team", "status", "since", "until", "receiver", "severity"]),
        st.text(max_size=12),
        max_size=4,
    ),
)
def test_no_query_string_gets_a_5xx(app: App, path: str, query: dict[str, str]) -> None:
    from urllib.parse import urlencode

    _, (status, payload, _) = app.handle("GET", f"{path}?{urlencode(query)}", b"", None)
    assert status in (200, 400, 404), payload


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["who", "comment", "silence"]), json_values, max_size=3))
def test_no_ack_body_gets_a_5xx(app: App, fields: dict[str, object]) -> None:
    app.handle("POST", "/webhook", body(alert("ack-me")), None)
    for verb in ("ack", "unack"):
        _, (status, payload, _) = app.handle("POST", f"/api/alerts/1/{verb}", orjson.dumps(fields), None)
        assert status in (200, 400, 404), payload


def test_the_urllib_client_returns_bodies_and_raises_on_errors(tmp_path: Path) -> None:
    settings_ = Settings("127.0.0.1", 0, f"sqlite:///{tmp_path / 'r.db'}", Config(), token=None)
    running = Running(settings_).start()
    client = UrllibClient(timeout=2)
    base = f"http://127.0.0.1:{running.port}"
    try:
        assert orjson.loads(client.request("GET", f"{base}/health/live"))["success"] is True
        with pytest.raises(HttpError, match="HTTP 404"):
            client.request("GET", f"{base}/nothing")
    finally:
        running.stop()
    with pytest.raises(HttpError, match=r"^GET http://127\.0\.0\.1:\d+/health/live: "):
        client.request("GET", f"{base}/health/live")
