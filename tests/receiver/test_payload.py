"""Webhook bodies: the captured real ones parse; every bad one is refused with a message that
names the field and the value."""

from __future__ import annotations

import orjson
import pytest

from receiver.payload import PayloadError, parse_delivery
from tests.receiver.conftest import alert, body, fixture_bytes


def test_captured_alertmanager_bodies_parse_with_nanosecond_times_and_zero_end() -> None:
    delivery = parse_delivery(fixture_bytes("am_webhook_sample.json"))
    assert delivery.receiver == "payments-webhook"
    assert delivery.external_url == "http://127.0.0.1:19093"
    assert delivery.truncated_alerts == 1
    first = delivery.alerts[0]
    assert first.fingerprint == "0bb60b038eccee84"
    assert first.starts_at == pytest.approx(1795416326.148089, abs=1e-6)
    assert first.ends_at is None  # Go's zero time means "not ended"
    resolved = parse_delivery(fixture_bytes("am_webhook_resolved_sample.json")).alerts[0]
    assert resolved.status == "resolved" and resolved.ends_at is not None
    captured = orjson.loads(fixture_bytes("am_webhook_firing_all.json"))["requests"]
    for request in captured:
        delivery = parse_delivery(orjson.dumps(request["body"]))
        assert delivery.alerts and all(a.status == "firing" for a in delivery.alerts)


def test_unknown_fields_from_newer_alertmanagers_are_ignored() -> None:
    raw = orjson.loads(body(alert(extra_field="x")))
    raw["newTopLevelThing"] = {"a": 1}
    raw["alerts"][0]["silencedBy"] = ["abc"]
    delivery = parse_delivery(orjson.dumps(raw))
    assert delivery.alerts[0].labels["extra_field"] == "x"


def _with(change: dict[str, object], in_alert: bool = False) -> bytes:
    raw = orjson.loads(body(alert()))
    target = raw["alerts"][0] if in_alert else raw
    for key, value in change.items():
        if value is ...:
            del target[key]
        else:
            target[key] = value
    return orjson.dumps(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b"{not json", "body is not valid JSON", id="malformed JSON is refused"),
        pytest.param(b"[1, 2]", "body: expected a JSON object, got [1,2]", id="a list is not a payload"),
        pytest.param(_with({"version": ...}), "version: required field is missing", id="a missing version"),
        pytest.param(_with({"version": 4}), "version: expected '4'", id="version must be the string 4"),
        pytest.param(_with({"version": "5"}), 'got "5"', id="an unknown version is named"),
        pytest.param(
            _with({"alerts": "x"}), 'alerts: expected a list of alerts, got "x"', id="alerts not a list"
        ),
        pytest.param(
            _with({"alerts": [3]}), "alerts[0]: expected an object, got 3", id="an alert not an object"
        ),
        pytest.param(
            _with({"status": "pending"}), "status: expected 'firing' or 'resolved'", id="bad status"
        ),
        pytest.param(
            _with({"receiver": 7}), "receiver: expected a string, got 7", id="receiver of wrong type"
        ),
        pytest.param(_with({"groupKey": ...}), "groupKey: required field is missing", id="no group key"),
        pytest.param(
            _with({"truncatedAlerts": -1}),
            "truncatedAlerts: expected a non-negative integer",
            id="negative truncation",
        ),
        pytest.param(
            _with({"fingerprint": ""}, in_alert=True),
            "alerts[0].fingerprint: must not be empty",
            id="empty fingerprint",
        ),
        pytest.param(
            _with({"startsAt": "yesterday"}, in_alert=True),
            'alerts[0].startsAt: expected an RFC 3339 timestamp, got "yesterday"',
            id="a start that is not a time",
        ),
        pytest.param(
            _with({"startsAt": "2026-11-23T06:45:26"}, in_alert=True),
            "alerts[0].startsAt: expected an RFC 3339 timestamp",
            id="a time without zone",
        ),
        pytest.param(
            _with({"startsAt": "0001-01-01T00:00:00Z"}, in_alert=True),
            "alerts[0].startsAt: must be a real time",
            id="a zero start time",
        ),
        pytest.param(
            _with({"labels": {"a": 1}}, in_alert=True),
            'alerts[0].labels: expected an object of strings, got {"a":1}',
            id="labels that are not strings",
        ),
        pytest.param(
            _with({"status": "on"}, in_alert=True),
            "alerts[0].status: expected 'firing' or 'resolved'",
            id="alert status",
        ),
    ],
)
def test_bad_bodies_are_refused_with_the_field_and_value(raw: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_delivery(raw)
    assert message in str(caught.value)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_delivery(_with({"receiver": ["x" * 200]}))
    assert str(caught.value) == 'receiver: expected a string, got ["' + "x" * 55 + "..."


def test_null_labels_and_missing_generator_url_are_accepted() -> None:
    delivery = parse_delivery(_with({"annotations": None, "generatorURL": ...}, in_alert=True))
    assert delivery.alerts[0].annotations == {} and delivery.alerts[0].generator_url == ""
