"""Storing one delivery: de-duplication and the incident it belongs to, inside one transaction.

Identity rules (issue 7, "durable and idempotent"):
- A delivery is a duplicate when the latest delivery of the same receiver and group key has the
  same content (status and each alert's fingerprint and status) and arrived within the
  de-duplication window. Alertmanager retries a failed webhook and both peers of an HA pair send
  the same group; neither is a new notification. The sender's externalURL and the alerts'
  startsAt (each peer stamps its own) are left out of the content on purpose.
- An incident is one fingerprint from its first firing until it resolves. An alert whose
  startsAt is within the tolerance of a resolved incident of its fingerprint is a late copy from
  the other peer and joins that one, even when newer incidents followed; a firing alert otherwise
  joins the open incident of its fingerprint, or opens a new incident, since fingerprints repeat
  across incidents.
- The Watchdog alert only beats the dead man's switch; escalation copies that Alertmanager sends
  back to us are linked to the incident they escalate instead of opening one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson

from receiver.config import Config
from receiver.db import Tx
from receiver.payload import Alert, Delivery

# Labels an escalation step adds to the alert it re-posts to Alertmanager (see escalation.py).
ESCALATION_LEVEL_LABEL = "escalation_level"
ESCALATION_INCIDENT_LABEL = "escalation_incident"


@dataclass(frozen=True, slots=True)
class Stored:
    delivery_id: int
    duplicate: bool
    opened: int = 0
    resolved: int = 0


def dedup_key(delivery: Delivery) -> str:
    content = [
        delivery.receiver,
        delivery.group_key,
        delivery.status,
        sorted((alert.fingerprint, alert.status) for alert in delivery.alerts),
    ]
    return hashlib.sha256(orjson.dumps(content)).hexdigest()[:32]


def _incidents_known(tx: Tx, delivery: Delivery, config: Config) -> bool:
    """The same content can still be news: a fingerprint that fired, resolved and fired again
    within the window, after a late firing copy of its first incident (tests/stack saw it). A
    delivery is a duplicate only when each of its firing alerts' incidents is already recorded."""
    for alert in delivery.alerts:
        if alert.status != "firing" or ESCALATION_LEVEL_LABEL in alert.labels:
            continue
        found = tx.one(
            "SELECT 1 FROM incidents WHERE fingerprint = ? AND starts_at BETWEEN ? AND ? LIMIT 1",
            (
                alert.fingerprint,
                alert.starts_at - config.starts_tolerance,
                alert.starts_at + config.starts_tolerance,
            ),
        )
        if found is None:
            return False
    return True


def store_delivery(tx: Tx, delivery: Delivery, body: bytes, now: float, config: Config) -> Stored:
    key = dedup_key(delivery)
    latest = tx.one(
        "SELECT id, dedup_key, received_at FROM deliveries WHERE receiver = ? AND group_key = ?"
        " ORDER BY id DESC LIMIT 1",
        (delivery.receiver, delivery.group_key),
    )
    if (
        latest is not None
        and latest[1] == key
        and latest[2] >= now - config.dedup_window
        and _incidents_known(tx, delivery, config)
    ):
        return Stored(delivery_id=int(latest[0]), duplicate=True)
    delivery_id = tx.insert(
        "INSERT INTO deliveries (dedup_key, receiver, group_key, status, external_url, alert_count,"
        " received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            key,
            delivery.receiver,
            delivery.group_key,
            delivery.status,
            delivery.external_url,
            len(delivery.alerts),
            now,
            body.decode("utf-8"),
        ),
    )
    opened = resolved = 0
    seen: set[str] = set()
    for alert in delivery.alerts:
        if alert.fingerprint in seen:
            continue  # Alertmanager never repeats an alert in one delivery; anyone else is ignored
        seen.add(alert.fingerprint)
        outcome = _apply_alert(tx, alert, delivery_id, now, config)
        opened += outcome == "opened"
        resolved += outcome == "resolved"
    return Stored(delivery_id=delivery_id, duplicate=False, opened=opened, resolved=resolved)


def _link(tx: Tx, incident_id: int, delivery_id: int, now: float) -> None:
    tx.execute(
        "INSERT INTO incident_deliveries (incident_id, delivery_id) VALUES (?, ?)", (incident_id, delivery_id)
    )
    tx.execute(
        "UPDATE incidents SET notification_count = notification_count + 1, last_delivery_at = ? WHERE id = ?",
        (now, incident_id),
    )


def _apply_alert(tx: Tx, alert: Alert, delivery_id: int, now: float, config: Config) -> str:
    """Attach one alert of a delivery to its incident; returns what happened to the incident."""
    labels = alert.labels
    if ESCALATION_LEVEL_LABEL in labels:
        escalated = labels.get(ESCALATION_INCIDENT_LABEL, "")
        if (
            escalated.isascii()
            and escalated.isdigit()
            and tx.one("SELECT id FROM incidents WHERE id = ?", (int(escalated),))
        ):
            _link(tx, int(escalated), delivery_id, now)
        return "escalation"
    if labels.get("alertname") == config.watchdog_alertname:
        if alert.status == "firing":
            tx.execute(
                "INSERT INTO heartbeats (name, last_seen) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_seen = excluded.last_seen",
                (config.watchdog_alertname, now),
            )
        return "heartbeat"
    # A late copy of an incident that has since resolved, and been followed by newer incidents
    # of the fingerprint: the second peer of an HA pair notifies peer_timeout (15 s) after the
    # first, with the firing state it saw then (seen in tests/stack: it opened a phantom
    # incident that never resolved). The copy belongs to the incident with its startsAt.
    same_start = tx.one(
        "SELECT id, status FROM incidents WHERE fingerprint = ? AND starts_at BETWEEN ? AND ?"
        " ORDER BY id DESC LIMIT 1",
        (
            alert.fingerprint,
            alert.starts_at - config.starts_tolerance,
            alert.starts_at + config.starts_tolerance,
        ),
    )
    if same_start is not None and same_start[1] != "firing":
        _link(tx, int(same_start[0]), delivery_id, now)
        return "late"
    # The latest incident of the fingerprint is the open one if any (a new incident opens only
    # after the previous one resolved), so one lookup serves both rules.
    latest = tx.one(
        "SELECT id, status, starts_at FROM incidents WHERE fingerprint = ? ORDER BY id DESC LIMIT 1",
        (alert.fingerprint,),
    )
    if latest is not None and latest[1] == "firing":
        incident_id = int(latest[0])
        _link(tx, incident_id, delivery_id, now)
        if alert.status == "resolved":
            tx.execute(
                "UPDATE incidents SET status = 'resolved', ends_at = ?, next_escalation_at = NULL"
                " WHERE id = ?",
                (alert.ends_at if alert.ends_at is not None else now, incident_id),
            )
            return "resolved"
        return "joined"
    if latest is not None and abs(latest[2] - alert.starts_at) <= config.starts_tolerance:
        _link(tx, int(latest[0]), delivery_id, now)
        return "late"
    policy = config.policy_for(labels) if alert.status == "firing" else None
    incident_id = tx.insert(
        "INSERT INTO incidents (fingerprint, alertname, severity, team, service, status, starts_at, ends_at,"
        " labels, annotations, notification_count, last_delivery_at, escalation_policy, next_escalation_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        (
            alert.fingerprint,
            labels.get("alertname", ""),
            labels.get("severity", ""),
            labels.get("team", ""),
            labels.get("service", ""),
            alert.status,
            alert.starts_at,
            None if alert.status == "firing" else (alert.ends_at if alert.ends_at is not None else now),
            orjson.dumps(labels, option=orjson.OPT_SORT_KEYS).decode(),
            orjson.dumps(alert.annotations, option=orjson.OPT_SORT_KEYS).decode(),
            now,
            policy.name if policy else None,
            now + policy.steps[0].wait if policy else None,
        ),
    )
    tx.execute(
        "INSERT INTO incident_deliveries (incident_id, delivery_id) VALUES (?, ?)", (incident_id, delivery_id)
    )
    return "opened" if alert.status == "firing" else "resolved"
