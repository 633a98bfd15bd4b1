"""The whole stack on real processes of 127.0.0.1: Debian's Prometheus 2.42 and a clustered pair
of Alertmanager 0.25, our probe exporter, push bridge and receiver, all started by `gen dev`'s
LocalStack from what the real `gen build` generated (tests/stack/scenario.py).

A health-checked endpoint goes down and an error burst is pushed; the alerts fire, both
Alertmanagers hold them, one notification per alert reaches the right receivers; the receiver
records one incident each; the unacked page escalates, the acked one does not and is silenced
across the cluster; recovery resolves both, and the history tells it all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from generator.stack.local import LocalStack, running_stack
from tests.conftest import require_tool
from tests.receiver.processes import wait_for
from tests.stack import scenario
from tests.stack.scenario import Pager, Receiver, http_json

pytestmark = pytest.mark.tools


class Run:
    """The running scenario: the stack, the checked endpoint, the pager, the receiver's API."""

    def __init__(self, stack: LocalStack, endpoint: scenario.HealthEndpoint, pager: Pager) -> None:
        self.stack, self.endpoint, self.pager = stack, endpoint, pager
        self.receiver = Receiver(stack.url("receiver"))
        assert stack.localized.receiver_token is not None
        self.token = stack.localized.receiver_token.read_text().strip()

    def query(self, expr: str) -> list[dict[str, Any]]:
        reply = http_json("GET", f"{self.stack.url('prometheus')}/api/v1/query?query={expr}")
        return list(reply["data"]["result"])

    def am_alerts(self, member: str) -> list[dict[str, Any]]:
        return list(http_json("GET", f"{self.stack.url(member)}/api/v2/alerts"))

    def am_silences(self, member: str) -> list[dict[str, Any]]:
        return [
            s
            for s in http_json("GET", f"{self.stack.url(member)}/api/v2/silences")
            if s["status"]["state"] == "active"
        ]


def cluster_ready(run: Run) -> bool:
    for member in ("alertmanager-1", "alertmanager-2"):
        status = http_json("GET", f"{run.stack.url(member)}/api/v2/status")["cluster"]
        if status["status"] != "ready" or len(status.get("peers") or []) != 2:
            return False
    return True


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    require_tool("prometheus")
    require_tool("prometheus-alertmanager")
    root = tmp_path_factory.mktemp("e2e")
    pager = Pager()
    with scenario.health_endpoint() as endpoint:
        options = scenario.prepare(root, endpoint.url, pager.url)
        try:
            with running_stack(options) as stack:
                yield Run(stack, endpoint, pager)
        finally:
            pager.stop()


def test_faults_fire_route_through_the_cluster_and_are_recorded_once_then_resolve(run: Run) -> None:
    # Ready: the cluster has settled (members notify only then), the probe passes, the error
    # counter exists at 0 and its rate is recorded.
    wait_for(lambda: cluster_ready(run), "the Alertmanager cluster to settle", timeout=90)
    scenario.push_errors(run.stack.url("push-bridge"), 0)
    wait_for(lambda: run.query('probe_success{probe="checkout-health"}==1'), "the probe to pass", timeout=60)
    wait_for(
        lambda: run.query('service:errors:rate5s{service="nightly-import"}==0'), "the error rate", timeout=60
    )
    assert run.receiver.history() == []

    # The faults.
    fault_at = time.time()
    run.endpoint.stop()
    scenario.push_errors(run.stack.url("push-bridge"), 50)

    health = wait_for(
        lambda: run.receiver.firing("HealthCheckFailing"), "HealthCheckFailing recorded", timeout=60
    )
    errors = wait_for(lambda: run.receiver.firing("ImportErrors"), "ImportErrors recorded", timeout=60)
    first = {
        name: run.receiver.incident(incident["id"])["notifications"][0]
        for name, incident in (("HealthCheckFailing", health), ("ImportErrors", errors))
    }
    assert first["HealthCheckFailing"]["receiver"] == "payments-pager"
    assert first["ImportErrors"]["receiver"] == "platform-pager"
    # A page cannot arrive before the rule held for `for` and Alertmanager waited group_wait.
    for notification in first.values():
        received = _epoch(notification["receivedAt"])
        latency = received - fault_at
        assert latency >= scenario.FOR_S + scenario.GROUP_WAIT_S, latency
        print(f"detection latency {latency:.2f} s (floor {scenario.FLOOR_S:.0f} s)")

    # Prometheus sends to both members; both hold the alerts.
    for member in ("alertmanager-1", "alertmanager-2"):
        names = {alert["labels"]["alertname"] for alert in run.am_alerts(member)}
        assert {"HealthCheckFailing", "ImportErrors"} <= names, member

    # Ack the platform page with a silence: escalation stops, the silence reaches both members.
    acked = http_json(
        "POST",
        f"{run.receiver.base}/api/alerts/{errors['id']}/ack",
        {"who": "chen", "comment": "looking at the import", "silence": "1h"},
        token=run.token,
    )["data"]
    assert acked["acknowledgedBy"] == "chen" and acked["silenceId"]
    for member in ("alertmanager-1", "alertmanager-2"):
        silences = wait_for(lambda m=member: run.am_silences(m), f"the ack's silence on {member}", timeout=15)
        assert [s["id"] for s in silences] == [acked["silenceId"]]
        assert {"name": "alertname", "value": "ImportErrors", "isRegex": False, "isEqual": True} in silences[
            0
        ]["matchers"]

    # The unacked page escalates to oncall-fallback through the escalation route.
    def escalated() -> dict[str, Any] | None:
        incident = run.receiver.incident(health["id"])
        receivers = {n["receiver"] for n in incident["notifications"]}
        return incident if "oncall-fallback" in receivers else None

    escalated_incident = wait_for(escalated, "HealthCheckFailing to escalate", timeout=30)
    assert escalated_incident["escalationLevel"] == 1

    # Recovery: the endpoint answers again, the errors stop.
    run.endpoint.start()
    wait_for(
        lambda: run.receiver.incident(health["id"])["status"] == "resolved",
        "HealthCheckFailing resolved",
        timeout=60,
    )
    wait_for(
        lambda: run.receiver.incident(errors["id"])["status"] == "resolved",
        "ImportErrors closed (it resolved while silenced: no notification, the receiver reconciles)",
        timeout=60,
    )
    # Long enough that the platform page would have escalated had the ack not stopped it.
    elapsed = time.time() - _epoch(errors["startsAt"])
    if elapsed < scenario.PLATFORM_ESCALATE_AFTER_S + 2:
        time.sleep(scenario.PLATFORM_ESCALATE_AFTER_S + 2 - elapsed)

    # The history: one incident per alert, each with its whole story.
    history = run.receiver.history()
    assert sorted(incident["rule"] for incident in history) == ["HealthCheckFailing", "ImportErrors"]
    health_story = run.receiver.incident(health["id"])
    errors_story = run.receiver.incident(errors["id"])
    pager_story = [n for n in health_story["notifications"] if n["receiver"] == "payments-pager"]
    assert [n["status"] for n in pager_story[:2]] == ["firing", "resolved"]
    # Anything later is the second member's stale copy (see below), of this very incident.
    assert all(a["startsAt"][:19] == health_story["startsAt"][:19] for n in pager_story for a in n["alerts"])
    assert errors_story["escalationLevel"] == 0
    assert {n["receiver"] for n in errors_story["notifications"]} == {"platform-pager"}
    kinds = [event["kind"] for event in errors_story["events"]]
    assert "ack" in kinds and any("reconcil" in kind for kind in kinds), kinds
    assert any("escalat" in event["kind"] for event in health_story["events"]), health_story["events"]

    # The pagers (the receivers' own channel) got each page once while it was live, though two
    # Alertmanagers hold it: the cluster's notification log kept the second member quiet. (After
    # the resolution, the second member may still send the firing state it saw when it flushed,
    # peer_timeout = 15 s later: Alertmanager's own behaviour, which the receiver files under the
    # incident it belongs to.)
    for receiver, alertname in (("payments-pager", "HealthCheckFailing"), ("platform-pager", "ImportErrors")):
        pages = [body["status"] for _, name, body in run.pager.received
                 if name == receiver and body["groupLabels"]["alertname"] == alertname]  # fmt: skip
        live = pages[: pages.index("resolved")] if "resolved" in pages else pages
        assert live == ["firing"], (receiver, pages)
    assert ("payments-pager", "resolved") in {(name, body["status"]) for _, name, body in run.pager.received}


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
