"""Durable, idempotent ingest: each delivery stored once, incidents keyed by fingerprint from
first firing to resolution (issue 7, must-hold 1), on a real SQLite file."""

from __future__ import annotations

import orjson

from receiver.config import Config
from receiver.queries import IncidentFilter
from receiver.service import Receiver
from tests.receiver.conftest import FakeClock, MakeReceiver, alert, body, fixture_bytes, ha_lines


def _active(receiver: Receiver) -> list[dict[str, object]]:
    return receiver.incidents(IncidentFilter(status="firing"))[0]


def _all(receiver: Receiver) -> list[dict[str, object]]:
    return receiver.incidents(IncidentFilter())[0]


def test_the_captured_ha_pair_is_stored_once_and_makes_one_incident(
    receiver: Receiver, clock: FakeClock
) -> None:
    first, second, *_ = ha_lines()
    assert first["body"]["externalURL"] != second["body"]["externalURL"]  # two Alertmanagers
    stored = receiver.ingest(orjson.dumps(first["body"]))
    clock.advance(second["received_at"] - first["received_at"])
    again = receiver.ingest(orjson.dumps(second["body"]))
    assert not stored.duplicate and again.duplicate and again.delivery_id == stored.delivery_id
    notifications, total = receiver.notifications(None, None, None, 100, 0)
    assert total == 1 and notifications[0]["externalURL"] == "http://am-a.local:19193"
    (incident,) = _all(receiver)
    assert incident["fingerprint"] == "31d6324317bce2d6" and incident["notificationCount"] == 1
    assert receiver.instruments.deliveries.value("duplicate") == 1


def test_a_retried_delivery_is_stored_once(receiver: Receiver) -> None:
    raw = fixture_bytes("am_webhook_sample.json")
    assert receiver.ingest(raw).duplicate is False
    assert receiver.ingest(raw).duplicate is True
    assert receiver.notifications(None, None, None, 10, 0)[1] == 1
    assert len(_active(receiver)) == 2


def test_the_same_content_after_the_window_is_a_new_notification_of_the_same_incident(
    make_receiver: MakeReceiver, clock: FakeClock
) -> None:
    receiver = make_receiver(Config(dedup_window=60))
    raw = body(alert("f1"))
    receiver.ingest(raw)
    clock.advance(61)  # Alertmanager's repeat_interval re-sends the group
    assert receiver.ingest(raw).duplicate is False
    (incident,) = _all(receiver)
    assert incident["notificationCount"] == 2 and incident["status"] == "firing"


def test_an_incident_lives_from_first_firing_to_resolution_and_a_new_one_follows(
    receiver: Receiver, clock: FakeClock
) -> None:
    receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00.100Z")))
    clock.advance(1)
    # A re-send whose startsAt differs by milliseconds joins the open incident.
    receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00Z"), group_key="other"))
    clock.advance(1)
    resolved = receiver.ingest(
        body(alert("f1", status="resolved", starts="2026-11-23T06:00:00.1Z", ends="2026-11-23T06:10:00Z"))
    )
    assert resolved.resolved == 1
    (closed,) = _all(receiver)
    assert closed["status"] == "resolved" and closed["endsAt"] == "2026-11-23T06:10:00.000Z"
    assert closed["notificationCount"] == 3
    clock.advance(600)
    reopened = receiver.ingest(body(alert("f1", starts="2026-11-23T07:00:00Z")))
    assert reopened.opened == 1
    newest, oldest = _all(receiver)
    assert newest["id"] != oldest["id"] and newest["status"] == "firing" and oldest["status"] == "resolved"


def test_a_late_copy_from_the_other_peer_does_not_reopen_a_resolved_incident(
    receiver: Receiver, clock: FakeClock
) -> None:
    receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00.000Z")))
    receiver.ingest(
        body(alert("f1", status="resolved", ends="2026-11-23T06:05:00Z", starts="2026-11-23T06:00:00Z"))
    )
    clock.advance(5)
    late = receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00.009Z"), receiver="peer-b"))
    assert late.opened == 0 and not late.duplicate
    (incident,) = _all(receiver)
    assert incident["status"] == "resolved" and incident["notificationCount"] == 3


def test_a_late_copy_after_a_newer_incident_joins_its_own_resolved_incident(
    receiver: Receiver, clock: FakeClock
) -> None:
    """Peer b notifies 15 s after peer a with what it saw then: by the time its firing copy of the
    first incident arrives, that incident resolved and the fingerprint fired again."""
    receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00Z")))
    receiver.ingest(
        body(alert("f1", status="resolved", starts="2026-11-23T06:00:00Z", ends="2026-11-23T06:00:05Z"))
    )
    clock.advance(8)
    receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:10Z")))
    receiver.ingest(
        body(alert("f1", status="resolved", starts="2026-11-23T06:00:10Z", ends="2026-11-23T06:00:12Z"))
    )
    clock.advance(5)
    late = receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00.004Z"), receiver="peer-b"))
    assert late.opened == 0 and not late.duplicate
    newest, first = _all(receiver)
    assert [newest["status"], first["status"]] == ["resolved", "resolved"]
    assert first["notificationCount"] == 3 and newest["notificationCount"] == 2
    assert _active(receiver) == []


def test_the_same_content_with_a_new_start_is_a_new_incident_not_a_duplicate(
    receiver: Receiver, clock: FakeClock
) -> None:
    """Fired, resolved, a late firing copy from peer b, then the alert fires again: the newest
    delivery reads like the late copy (same group, fingerprint and status) but opens an incident."""
    receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00Z")))
    receiver.ingest(
        body(alert("f1", status="resolved", starts="2026-11-23T06:00:00Z", ends="2026-11-23T06:00:05Z"))
    )
    clock.advance(15)
    assert not receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:00Z"))).duplicate  # late copy
    clock.advance(5)
    again = receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:30Z")))
    assert not again.duplicate and again.opened == 1
    assert [incident["status"] for incident in _all(receiver)] == ["firing", "resolved"]
    # ... while a true re-send of it stays a duplicate.
    assert receiver.ingest(body(alert("f1", starts="2026-11-23T06:00:30Z"))).duplicate


def test_a_resolution_for_an_unknown_incident_records_it_closed(receiver: Receiver) -> None:
    receiver.ingest(fixture_bytes("am_webhook_resolved_sample.json"))
    (incident,) = _all(receiver)
    assert incident["status"] == "resolved" and incident["rule"] == "DiskFull"
    assert incident["endsAt"] == "2026-11-23T06:45:42.000Z"
    assert _active(receiver) == []


def test_resolved_without_end_time_ends_at_arrival(receiver: Receiver, clock: FakeClock) -> None:
    receiver.ingest(body(alert("f1")))
    receiver.ingest(body(alert("f1", status="resolved")))
    (incident,) = _all(receiver)
    assert incident["status"] == "resolved" and incident["endsAt"] is not None


def test_the_watchdog_beats_the_heartbeat_and_opens_no_incident(receiver: Receiver) -> None:
    receiver.ingest(body(alert("w", alertname="Watchdog", severity="none")))
    assert _all(receiver) == []
    assert receiver.notifications(None, None, None, 10, 0)[1] == 1


def test_filters_and_pagination_of_history(receiver: Receiver, clock: FakeClock) -> None:
    for number in range(5):
        team = "payments" if number % 2 == 0 else "search"
        receiver.ingest(
            body(alert(f"f{number}", starts=f"2026-11-23T06:0{number}:00Z", team=team), group_key=str(number))
        )
    receiver.ingest(body(alert("f0", status="resolved", starts="2026-11-23T06:00:00Z")))
    page, total = receiver.incidents(IncidentFilter(team="payments", limit=2, offset=0))
    assert total == 3 and [i["fingerprint"] for i in page] == ["f4", "f2"]
    page, total = receiver.incidents(IncidentFilter(team="payments", limit=2, offset=2))
    assert [i["fingerprint"] for i in page] == ["f0"]
    assert receiver.incidents(IncidentFilter(status="resolved"))[1] == 1
    assert receiver.incidents(IncidentFilter(severity="warning"))[1] == 0
    ranged = receiver.incidents(IncidentFilter(since=1795413660.0, until=1795413780.0))[0]
    assert [i["fingerprint"] for i in ranged] == ["f3", "f2", "f1"]


def test_notifications_filter_by_receiver_and_time(receiver: Receiver, clock: FakeClock) -> None:
    receiver.ingest(body(alert("a"), receiver="one"))
    clock.advance(10)
    receiver.ingest(body(alert("b"), receiver="two"))
    items, total = receiver.notifications("two", None, None, 10, 0)
    assert total == 1 and items[0]["alerts"][0]["fingerprint"] == "b" and items[0]["groupKey"] == "{}:{}"
    assert receiver.notifications(None, clock.now() - 5, None, 10, 0)[1] == 1
    assert receiver.notifications(None, None, clock.now() - 5, 10, 0)[1] == 1


def test_an_alert_repeated_within_one_delivery_counts_once(receiver: Receiver) -> None:
    stored = receiver.ingest(body(alert("f1"), alert("f1", status="resolved")))
    assert stored.opened == 1 and not stored.duplicate
    (incident,) = _all(receiver)
    assert incident["notificationCount"] == 1 and incident["status"] == "firing"
