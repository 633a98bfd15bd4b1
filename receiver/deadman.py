"""The dead man's switch: the always-firing Watchdog alert must keep arriving.

Alertmanager re-sends the Watchdog every repeat interval of its route. When it has not arrived
for `interval + grace`, the whole alerting path (Prometheus, Alertmanager, the network) may be
down, so the alarm goes to a fallback webhook that does not pass through Alertmanager, and shows
on /metrics as receiver_watchdog_missing 1. One alarm per outage, and one all-clear after it;
the flag lives in the database so replicas send it once."""

from __future__ import annotations

import hashlib

import orjson

from receiver import incidents, queries
from receiver.httpclient import HttpError
from receiver.service import Receiver
from receiver.timeutil import format_rfc3339


def fallback_body(name: str, status: str, since: float, now: float) -> dict[str, object]:
    """A complete Alertmanager webhook body (payload version 4), so the fallback can be any
    Alertmanager-compatible webhook, another receiver included. The alarm and its all-clear
    share startsAt (the last heartbeat) and fingerprint, so they make one incident there."""
    labels = {"alertname": "DeadMansSwitch", "severity": "critical", "watchdog": name}
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"The {name} alert stopped arriving; the alerting pipeline may be down."},
        "startsAt": format_rfc3339(since),
        "endsAt": format_rfc3339(now) if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": hashlib.sha256(f"dead-mans-switch/{name}".encode()).hexdigest()[:16],
    }
    return {
        "version": "4",
        "receiver": "dead-mans-switch",
        "status": status,
        "alerts": [alert],
        "groupLabels": {"alertname": "DeadMansSwitch"},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "",
        "groupKey": f'{{}}:{{alertname="DeadMansSwitch", watchdog="{name}"}}',
        "truncatedAlerts": 0,
    }


def missing(receiver: Receiver) -> bool | None:
    """True when the heartbeat is overdue; None before the first one ever arrived."""
    beat = receiver._read(queries.heartbeat, receiver.config.watchdog_alertname)
    if beat is None:
        return None
    watchdog = receiver.config.watchdog
    return bool(receiver.clock.now() - beat[0] > watchdog.interval + watchdog.grace)


def check(receiver: Receiver) -> str | None:
    """Send the alarm or the all-clear when the state changed; returns which was sent."""
    name = receiver.config.watchdog_alertname
    overdue = missing(receiver)
    if overdue is None:
        return None
    beat = receiver._read(queries.heartbeat, name)
    alarm_sent = bool(beat and beat[1])
    if overdue == alarm_sent:
        return None
    if not receiver.writer.submit(lambda tx: incidents.set_alarm(tx, name, overdue, alarm_sent)):
        return None  # another replica got there first
    status = "firing" if overdue else "resolved"
    now = receiver.clock.now()
    receiver.writer.submit(
        lambda tx: incidents.record(
            tx, None, now, "watchdog", {"status": status, "lastSeen": beat and beat[0]}
        )
    )
    url = receiver.config.watchdog.fallback_url
    if url:
        body = fallback_body(name, status, beat[0] if beat else now, now)
        try:
            receiver.http.request("POST", url, orjson.dumps(body))
            receiver.instruments.fallback.inc(status)
        except HttpError:
            receiver.instruments.fallback.inc("failed")
            # Give the flag back so the next tick tries again.
            receiver.writer.submit(lambda tx: incidents.set_alarm(tx, name, alarm_sent, overdue))
    return status
