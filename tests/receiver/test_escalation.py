"""Escalation policies, acks that stop them, reconciling silenced incidents, the dead man's switch
(issue 7, must-hold 2-4), in-process with a hand-moved clock and a recording HTTP client."""

from __future__ import annotations

import time
from typing import Any

from receiver import deadman, escalation, reconcile
from receiver.config import Config, Policy, Step, Watchdog
from receiver.queries import IncidentFilter
from receiver.scheduler import Scheduler
from receiver.service import Receiver
from receiver.timeutil import format_rfc3339
from tests.receiver.conftest import FakeClock, MakeReceiver, RecordingHttp, alert, body

POLICY = Policy(
    name="payments-critical",
    match={"team": "payments", "severity": "critical"},
    steps=[Step(target="secondary", wait=300), Step(target="manager", wait=600)],
    repeat=2,
)
CONFIG = Config(alertmanager_url="http://am:9093", escalation=[POLICY])


def _posted_levels(http: RecordingHttp) -> list[tuple[str, str]]:
    return [
        (alerts[0]["labels"]["escalation_level"], alerts[0]["labels"]["escalation_target"])
        for alerts in http.sent("POST", "/api/v2/alerts")
    ]


def _events(receiver: Receiver, incident_id: int = 1) -> list[tuple[str, Any]]:
    return [(event["kind"], event["detail"]) for event in receiver.incident(incident_id)["events"]]


def test_steps_run_in_order_repeat_and_stop_after_the_last(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/alerts", lambda _: {})
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1")))
    assert escalation.run_due_steps(receiver) == 0  # nothing due before the first wait
    for _ in range(6):
        clock.advance(600)
        escalation.run_due_steps(receiver)
    assert _posted_levels(http) == [
        ("1", "secondary"),
        ("2", "manager"),
        ("3", "secondary"),
        ("4", "manager"),
    ]
    posted = http.sent("POST", "/api/v2/alerts")[0][0]
    assert posted["labels"]["alertname"] == "HighLatency" and posted["labels"]["escalation_incident"] == "1"
    assert posted["annotations"] == {"summary": "p99 high"}
    incident = receiver.incident(1)
    assert incident["escalationLevel"] == 4 and incident["nextEscalationAt"] is None
    assert [kind for kind, _ in _events(receiver)] == ["escalation"] * 4
    assert _events(receiver)[1][1] == {"level": 2, "policy": "payments-critical", "target": "manager"}


def test_an_ack_stops_escalation_and_unack_resumes_it(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/alerts", lambda _: {})
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1")))
    clock.advance(300)
    assert escalation.run_due_steps(receiver) == 1
    receiver.ack(1, "ann", "mine", None)
    clock.advance(3600)
    assert escalation.run_due_steps(receiver) == 0
    assert receiver.incident(1)["nextEscalationAt"] is None
    receiver.unack(1, "ann")
    clock.advance(600)
    assert escalation.run_due_steps(receiver) == 1
    assert _posted_levels(http) == [("1", "secondary"), ("2", "manager")]


def test_acked_or_resolved_incidents_have_their_copies_resolved_in_alertmanager(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/alerts", lambda _: {})
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1")))
    receiver.ingest(body(alert("f2", instance="b"), group_key="b"))
    clock.advance(300)
    escalation.run_due_steps(receiver)
    clock.advance(600)
    escalation.run_due_steps(receiver)
    assert escalation.close_copies(receiver) == 0  # both still open and unacked
    posted = [alerts[0] for alerts in http.sent("POST", "/api/v2/alerts")]
    receiver.ack(1, "ann", "", None)
    receiver.ingest(body(alert("f2", status="resolved", instance="b"), group_key="b"))
    clock.advance(5)
    assert escalation.close_copies(receiver) == 2
    resolutions = [alert for alerts in http.sent("POST", "/api/v2/alerts")[4:] for alert in alerts]
    assert sorted(str(a["labels"]) for a in resolutions) == sorted(str(a["labels"]) for a in posted)
    assert {a["endsAt"] for a in resolutions} == {format_rfc3339(clock.now())}
    assert escalation.close_copies(receiver) == 0  # done once


def test_copies_stay_open_while_alertmanager_is_unreachable(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/alerts", lambda _: {})
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1")))
    clock.advance(300)
    escalation.run_due_steps(receiver)
    receiver.ack(1, "ann", "", None)
    http.handlers.clear()
    assert escalation.close_copies(receiver) == 0
    http.on("POST", "/api/v2/alerts", lambda _: {})
    assert escalation.close_copies(receiver) == 1


def test_resolution_stops_escalation_and_unmatched_alerts_never_escalate(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/alerts", lambda _: {})
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1")))
    receiver.ingest(body(alert("f2", severity="warning"), group_key="warn"))
    receiver.ingest(body(alert("f1", status="resolved")))
    clock.advance(3600)
    assert escalation.run_due_steps(receiver) == 0 and http.calls == []


def test_escalation_state_survives_a_restart(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/alerts", lambda _: {})
    first = make_receiver(CONFIG)
    first.ingest(body(alert("f1")))
    clock.advance(300)
    escalation.run_due_steps(first)
    first.close()
    second = make_receiver(CONFIG)  # same database file
    clock.advance(600)
    assert escalation.run_due_steps(second) == 1
    assert _posted_levels(http) == [("1", "secondary"), ("2", "manager")]


def test_a_failed_step_is_recorded_and_retried(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1")))
    clock.advance(300)
    assert escalation.run_due_steps(receiver) == 0  # Alertmanager unreachable
    assert receiver.incident(1)["escalationLevel"] == 0
    assert _events(receiver)[0][0] == "escalation_failed"
    http.on("POST", "/api/v2/alerts", lambda _: {})
    clock.advance(escalation.RETRY_AFTER_FAILURE)
    assert escalation.run_due_steps(receiver) == 1
    assert receiver.instruments.escalations.value("failed") == 1


def test_a_removed_policy_ends_the_incidents_escalation(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    make_receiver(CONFIG).ingest(body(alert("f1")))
    other = Config(
        alertmanager_url="http://am:9093", escalation=[POLICY.model_copy(update={"name": "renamed"})]
    )
    receiver = make_receiver(other)
    clock.advance(300)
    assert escalation.run_due_steps(receiver) == 0
    assert receiver.incident(1)["nextEscalationAt"] is None and http.calls == []


def test_escalated_copies_coming_back_are_linked_to_their_incident(receiver: Receiver) -> None:
    receiver.ingest(body(alert("f1")))
    copy = alert("f1-escalated", escalation_level="1", escalation_target="secondary", escalation_incident="1")
    receiver.ingest(body(copy, receiver="secondary"))
    incident = receiver.incident(1)
    assert incident["notificationCount"] == 2
    assert receiver.incidents(IncidentFilter())[1] == 1  # the copy opened no incident of its own
    odd = alert(
        "f1-odd", escalation_level="1", escalation_incident="²"
    )  # not ours: stored, linked to nothing
    assert not receiver.ingest(body(odd, receiver="secondary")).duplicate
    assert receiver.incident(1)["notificationCount"] == 2


def test_reconcile_closes_acked_silenced_incidents_alertmanager_no_longer_has(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/api/v2/silences", lambda _: {"silenceID": "s1"})
    receiver = make_receiver(CONFIG)
    receiver.ingest(body(alert("f1"), alert("f2")))
    receiver.ingest(body(alert("f3"), group_key="other"))
    receiver.ack(1, "ann", "fixing", 7200)
    receiver.ack(2, "ann", "fixing", 7200)
    assert reconcile.reconcile(receiver) == 0  # Alertmanager unreachable: nothing changes
    http.on("GET", "/api/v2/alerts", lambda _: [{"fingerprint": "f2"}, {"fingerprint": "f3"}])
    assert reconcile.reconcile(receiver) == 1
    assert (
        receiver.incident(1)["status"] == "resolved"
        and receiver.incident(1)["events"][-1]["kind"] == "reconciled"
    )
    assert receiver.incident(2)["status"] == "firing"  # still active in Alertmanager
    assert receiver.incident(3)["status"] == "firing"  # not acked: its resolution will be sent
    assert receiver.instruments.incidents_resolved.value("reconciled") == 1


def test_the_dead_mans_switch_alarms_once_and_clears(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    http.on("POST", "/fallback", lambda _: {})
    config = Config(watchdog=Watchdog(interval=300, grace=60, fallback_url="http://pager/fallback"))
    receiver = make_receiver(config)
    scheduler = Scheduler(receiver)
    assert deadman.check(receiver) is None  # no heartbeat ever: nothing to judge
    watchdog = body(alert("w", alertname="Watchdog"), group_key="wd")
    receiver.ingest(watchdog)
    clock.advance(300)
    scheduler.tick()
    assert http.sent("POST", "/fallback") == []
    assert b"receiver_watchdog_missing 0\n" in receiver.instruments.registry.render()
    clock.advance(61)
    scheduler.tick()
    scheduler.tick()
    (alarm,) = http.sent("POST", "/fallback")
    assert alarm["status"] == "firing" and alarm["alerts"][0]["labels"]["alertname"] == "DeadMansSwitch"
    assert b"receiver_watchdog_missing 1\n" in receiver.instruments.registry.render()
    receiver.ingest(watchdog)
    scheduler.tick()
    assert [sent["status"] for sent in http.sent("POST", "/fallback")] == ["firing", "resolved"]
    assert receiver.instruments.fallback.value("resolved") == 1


def test_a_failed_fallback_is_tried_again(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    receiver = make_receiver(
        Config(watchdog=Watchdog(interval=60, grace=0, fallback_url="http://pager/fallback"))
    )
    receiver.ingest(body(alert("w", alertname="Watchdog")))
    clock.advance(61)
    assert deadman.check(receiver) == "firing"
    assert receiver.instruments.fallback.value("failed") == 1
    http.on("POST", "/fallback", lambda _: {})
    assert deadman.check(receiver) == "firing"
    assert receiver.instruments.fallback.value("firing") == 1
    assert deadman.check(receiver) is None


def test_the_scheduler_loop_runs_rounds_and_survives_failing_ones(
    make_receiver: MakeReceiver, clock: FakeClock, http: RecordingHttp
) -> None:
    receiver = make_receiver(
        Config(tick=0.01, watchdog=Watchdog(interval=60, grace=0, fallback_url="http://pager/fallback"))
    )
    scheduler = Scheduler(receiver)
    receiver.ingest(body(alert("w", alertname="Watchdog")))
    clock.advance(61)

    def crash(_: object) -> object:
        raise RuntimeError("a bug in the fallback call")

    http.on("POST", "/fallback", crash)
    scheduler.start()
    try:
        deadline = time.monotonic() + 5
        while b"receiver_scheduler_errors_total 1" not in receiver.instruments.registry.render():
            assert time.monotonic() < deadline, "the failing round was not counted"
            time.sleep(0.01)
        http.on("POST", "/fallback", lambda _: {})
        receiver.ingest(body(alert("w", alertname="Watchdog"), group_key="again"))
        while not http.sent("POST", "/fallback")[1:]:
            assert time.monotonic() < deadline, "the loop stopped after a failing round"
            time.sleep(0.01)
        assert http.sent("POST", "/fallback")[-1]["status"] == "resolved"
    finally:
        scheduler.stop()
