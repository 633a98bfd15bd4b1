"""Read side: incidents, notifications and an incident's timeline, shaped for the JSON API.

The incident shape follows the seeds' alert objects (id, rule, severity, status, startsAt,
endsAt, labels, annotations, acknowledgedBy, acknowledgedAt) plus what the receiver adds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from receiver.db import Row, Tx
from receiver.timeutil import format_rfc3339

MAX_LIMIT = 10_000

_INCIDENT_COLUMNS = (
    "id, fingerprint, alertname, severity, team, service, status, starts_at, ends_at, labels, annotations,"
    " acked_by, acked_at, ack_comment, silence_id, notification_count, escalation_policy, escalation_level,"
    " next_escalation_at"
)


@dataclass(frozen=True)
class IncidentFilter:
    team: str | None = None
    service: str | None = None
    severity: str | None = None
    status: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = 100
    offset: int = 0

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("team", "service", "severity", "status"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since is not None:
            clauses.append("starts_at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append("starts_at <= ?")
            params.append(self.until)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def incident_view(row: Row) -> dict[str, Any]:
    return {
        "id": row[0],
        "fingerprint": row[1],
        "rule": row[2],
        "severity": row[3],
        "team": row[4],
        "service": row[5],
        "status": row[6],
        "startsAt": format_rfc3339(row[7]),
        "endsAt": format_rfc3339(row[8]),
        "labels": orjson.loads(row[9]),
        "annotations": orjson.loads(row[10]),
        "acknowledgedBy": row[11],
        "acknowledgedAt": format_rfc3339(row[12]),
        "ackComment": row[13],
        "silenceId": row[14],
        "notificationCount": row[15],
        "escalationPolicy": row[16],
        "escalationLevel": row[17],
        "nextEscalationAt": format_rfc3339(row[18]),
    }


def list_incidents(tx: Tx, query: IncidentFilter) -> tuple[list[dict[str, Any]], int]:
    where, params = query.where()
    total_row = tx.one(f"SELECT COUNT(*) FROM incidents{where}", params)
    rows = tx.all(
        f"SELECT {_INCIDENT_COLUMNS} FROM incidents{where} ORDER BY starts_at DESC, id DESC LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    return [incident_view(row) for row in rows], int(total_row[0]) if total_row else 0


def get_incident(tx: Tx, incident_id: int) -> dict[str, Any] | None:
    row = tx.one(f"SELECT {_INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))
    return None if row is None else incident_view(row)


def _delivery_view(row: Row) -> dict[str, Any]:
    body = orjson.loads(row[6])
    return {
        "id": row[0],
        "receiver": row[1],
        "groupKey": row[2],
        "status": row[3],
        "externalURL": row[4],
        "receivedAt": format_rfc3339(row[5]),
        "alerts": body.get("alerts", []),
    }


_DELIVERY_COLUMNS = "d.id, d.receiver, d.group_key, d.status, d.external_url, d.received_at, d.body"


def list_notifications(
    tx: Tx, receiver: str | None, since: float | None, until: float | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    clauses: list[str] = []
    params: list[Any] = []
    if receiver is not None:
        clauses.append("d.receiver = ?")
        params.append(receiver)
    if since is not None:
        clauses.append("d.received_at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("d.received_at <= ?")
        params.append(until)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    total_row = tx.one(f"SELECT COUNT(*) FROM deliveries d{where}", params)
    rows = tx.all(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d{where} ORDER BY d.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_delivery_view(row) for row in rows], int(total_row[0]) if total_row else 0


def timeline(tx: Tx, incident_id: int) -> dict[str, list[dict[str, Any]]]:
    """An incident's notifications and recorded events (acks, escalation steps, reconciling)."""
    deliveries = tx.all(
        f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN incident_deliveries l ON l.delivery_id = d.id"
        " WHERE l.incident_id = ? ORDER BY d.id",
        (incident_id,),
    )
    events = tx.all("SELECT at, kind, detail FROM events WHERE incident_id = ? ORDER BY id", (incident_id,))
    return {
        "notifications": [_delivery_view(row) for row in deliveries],
        "events": [
            {"at": format_rfc3339(at), "kind": kind, "detail": orjson.loads(detail)}
            for at, kind, detail in events
        ],
    }


def count_open(tx: Tx) -> int:
    row = tx.one("SELECT COUNT(*) FROM incidents WHERE status = 'firing'")
    return int(row[0]) if row else 0


def heartbeat(tx: Tx, name: str) -> tuple[float, bool] | None:
    row = tx.one("SELECT last_seen, alarm_sent FROM heartbeats WHERE name = ?", (name,))
    return None if row is None else (float(row[0]), bool(row[1]))
