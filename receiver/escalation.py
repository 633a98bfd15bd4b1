"""Escalation policies: notify, wait, notify the next target, repeat, until acked or resolved.

The receiver never talks to Slack or email. A step re-posts the incident's alert to Alertmanager
(POST /api/v2/alerts) with two extra labels, `escalation_level` and `escalation_target`, and the
generated routing sends each level to its receivers. Alertmanager's maintainers declined
escalation inside Alertmanager (alertmanager issues 686, 1860), which is why it lives here.

State is in the database (level, next step's time), so steps survive a restart and several
replicas never run the same step twice: a step is first claimed with a compare-and-set, then
sent, then recorded; a send that fails gives the claim back and is retried a minute later.
Once the incident is acked or resolved, its copies are resolved in Alertmanager too (posted again
with endsAt now), so no escalation receiver keeps being told about a handled incident."""

from __future__ import annotations

from typing import Any

import orjson

from receiver import incidents
from receiver.alertmanager import Alertmanager
from receiver.httpclient import HttpError
from receiver.ingest import ESCALATION_INCIDENT_LABEL, ESCALATION_LEVEL_LABEL
from receiver.service import Receiver
from receiver.timeutil import format_rfc3339

RETRY_AFTER_FAILURE = 60.0
ESCALATION_TARGET_LABEL = "escalation_target"
# Alertmanager resolves an API-posted alert at endsAt; each step's copy stays active this long.
STEP_ALERT_LIFETIME = 3600.0


def _copy_labels(labels_json: str, incident_id: int, level: int, target: str) -> dict[str, str]:
    """The labels of the copy of an incident's alert that escalation step `level` posts."""
    return {
        **orjson.loads(labels_json),
        ESCALATION_LEVEL_LABEL: str(level),
        ESCALATION_TARGET_LABEL: target,
        ESCALATION_INCIDENT_LABEL: str(incident_id),
    }


def run_due_steps(receiver: Receiver) -> int:
    """Run every escalation step that is due; returns how many were sent."""
    if receiver.alertmanager is None or not receiver.config.escalation:
        return 0
    now = receiver.clock.now()
    due = receiver._read(incidents.due_escalations, now)
    return sum(_run_step(receiver, receiver.alertmanager, row, now) for row in due)


def _run_step(receiver: Receiver, alertmanager: Alertmanager, row: tuple[Any, ...], now: float) -> bool:
    incident_id, labels_json, annotations_json, policy_name, level = row
    policy = receiver.config.policy_named(policy_name)
    current = policy.after(level) if policy else None
    if policy is None or current is None:
        # The policy was removed or shortened by a new configuration: nothing more to run.
        receiver.writer.submit(lambda tx: incidents.stop_escalation(tx, incident_id))
        return False
    step, _ = current
    upcoming = policy.after(level + 1)
    next_at = now + upcoming[1] if upcoming else None
    if not receiver.writer.submit(lambda tx: incidents.claim_step(tx, incident_id, level, next_at)):
        return False
    alert: dict[str, Any] = {
        "labels": _copy_labels(labels_json, incident_id, level + 1, step.target),
        "annotations": orjson.loads(annotations_json),
        "startsAt": format_rfc3339(now),
        "endsAt": format_rfc3339(now + STEP_ALERT_LIFETIME),
    }
    detail: dict[str, Any] = {"policy": policy.name, "level": level + 1, "target": step.target}
    try:
        alertmanager.post_alerts([alert])
    except HttpError as error:
        receiver.instruments.escalations.inc("failed")
        receiver.instruments.alertmanager_errors.inc("post_alerts")
        failed = {**detail, "error": str(error)}
        receiver.writer.submit(
            lambda tx: incidents.release_step(tx, incident_id, level, now + RETRY_AFTER_FAILURE, now, failed)
        )
        return False
    receiver.writer.submit(lambda tx: incidents.record(tx, incident_id, now, "escalation", detail))
    receiver.instruments.escalations.inc("sent")
    return True


def close_copies(receiver: Receiver) -> int:
    """Resolve in Alertmanager the escalation copies of acked or resolved incidents; returns how
    many incidents were handled. A failed post is tried again at the next round."""
    if receiver.alertmanager is None:
        return 0
    now = receiver.clock.now()
    rows = receiver._read(incidents.copies_to_close)
    return sum(_close(receiver, receiver.alertmanager, row, now) for row in rows)


def _close(receiver: Receiver, alertmanager: Alertmanager, row: tuple[Any, ...], now: float) -> bool:
    incident_id, labels_json, policy_name, level = row
    policy = receiver.config.policy_named(policy_name)
    copies = []
    for done in range(level):
        step = policy.after(done) if policy else None
        if step is not None:  # a removed policy's copies just expire at their endsAt
            labels = _copy_labels(labels_json, incident_id, done + 1, step[0].target)
            ended = format_rfc3339(now)
            copies.append({"labels": labels, "startsAt": ended, "endsAt": ended})
    try:
        if copies:
            alertmanager.post_alerts(copies)
    except HttpError:
        receiver.instruments.alertmanager_errors.inc("post_alerts")
        return False
    receiver.writer.submit(lambda tx: incidents.copies_closed(tx, incident_id, level))
    return True
