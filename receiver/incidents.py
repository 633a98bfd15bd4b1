"""Write side of incidents beyond ingest: acks, escalation steps, reconciling, recorded events.
Each function runs inside the writer's transaction and returns data, never raising for a
missing incident, so one request's mistake cannot fail the batch it shares."""

from __future__ import annotations

from typing import Any

import orjson

from receiver.db import Tx


def record(tx: Tx, incident_id: int | None, at: float, kind: str, detail: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO events (incident_id, at, kind, detail) VALUES (?, ?, ?, ?)",
        (incident_id, at, kind, orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode()),
    )


def ack(tx: Tx, incident_id: int, who: str, comment: str, silence_id: str | None, now: float) -> bool:
    """Acknowledge; stops escalation. False when there is no such incident."""
    row = tx.one(
        "UPDATE incidents SET acked_by = ?, acked_at = ?, ack_comment = ?, silence_id = ?,"
        " next_escalation_at = NULL WHERE id = ? RETURNING id",
        (who, now, comment, silence_id, incident_id),
    )
    if row is None:
        return False
    record(tx, incident_id, now, "ack", {"by": who, "comment": comment, "silenceId": silence_id})
    return True


def unack(tx: Tx, incident_id: int, who: str, resume_at: float | None, now: float) -> tuple[bool, str | None]:
    """Withdraw an ack; escalation resumes at `resume_at` while the incident is open.
    Returns whether the incident exists and the silence id the ack had created."""
    row = tx.one("SELECT silence_id, status FROM incidents WHERE id = ?", (incident_id,))
    if row is None:
        return False, None
    tx.execute(
        "UPDATE incidents SET acked_by = NULL, acked_at = NULL, ack_comment = NULL, silence_id = NULL,"
        " next_escalation_at = ? WHERE id = ?",
        (resume_at if row[1] == "firing" else None, incident_id),
    )
    record(tx, incident_id, now, "unack", {"by": who, "silenceId": row[0]})
    return True, row[0]


def due_escalations(tx: Tx, now: float, limit: int = 100) -> list[tuple[Any, ...]]:
    """Open, unacknowledged incidents whose next escalation step is due."""
    return tx.all(
        "SELECT id, labels, annotations, escalation_policy, escalation_level FROM incidents"
        " WHERE next_escalation_at <= ? AND status = 'firing' AND acked_at IS NULL"
        " ORDER BY next_escalation_at LIMIT ?",
        (now, limit),
    )


def claim_step(tx: Tx, incident_id: int, level: int, next_at: float | None) -> bool:
    """Move the incident from `level` to `level + 1` unless something (an ack, a resolution,
    another replica) got there first; the compare-and-set makes each step run once."""
    row = tx.one(
        "UPDATE incidents SET escalation_level = ?, next_escalation_at = ?, escalation_open = 1"
        " WHERE id = ? AND escalation_level = ? AND status = 'firing' AND acked_at IS NULL RETURNING id",
        (level + 1, next_at, incident_id, level),
    )
    return row is not None


def stop_escalation(tx: Tx, incident_id: int) -> None:
    """No further steps: the incident's policy was removed or shortened by a new configuration."""
    tx.execute("UPDATE incidents SET next_escalation_at = NULL WHERE id = ?", (incident_id,))


def release_step(
    tx: Tx, incident_id: int, level: int, retry_at: float, now: float, detail: dict[str, Any]
) -> None:
    """Undo a claimed step whose notification could not be sent, to try again at `retry_at`."""
    record(tx, incident_id, now, "escalation_failed", detail)
    tx.execute(
        "UPDATE incidents SET escalation_level = ?, next_escalation_at = ?"
        " WHERE id = ? AND escalation_level = ? AND status = 'firing' AND acked_at IS NULL",
        (level, retry_at, incident_id, level + 1),
    )


def copies_to_close(tx: Tx, limit: int = 100) -> list[tuple[Any, ...]]:
    """Acked or resolved incidents whose escalation copies may still be active in Alertmanager."""
    return tx.all(
        "SELECT id, labels, escalation_policy, escalation_level FROM incidents"
        " WHERE escalation_open = 1 AND (acked_at IS NOT NULL OR status <> 'firing') LIMIT ?",
        (limit,),
    )


def copies_closed(tx: Tx, incident_id: int, level: int) -> None:
    """Mark the copies up to `level` resolved (unless a new step ran meanwhile)."""
    tx.execute(
        "UPDATE incidents SET escalation_open = 0 WHERE id = ? AND escalation_level = ?", (incident_id, level)
    )


def acked_silenced_open(tx: Tx) -> list[tuple[Any, ...]]:
    return tx.all(
        "SELECT id, fingerprint FROM incidents WHERE status = 'firing' AND acked_at IS NOT NULL"
        " AND silence_id IS NOT NULL"
    )


def close_reconciled(tx: Tx, incident_id: int, now: float) -> bool:
    row = tx.one(
        "UPDATE incidents SET status = 'resolved', ends_at = ?, next_escalation_at = NULL"
        " WHERE id = ? AND status = 'firing' RETURNING id",
        (now, incident_id),
    )
    if row is None:
        return False
    record(tx, incident_id, now, "reconciled", {"reason": "no longer active in Alertmanager"})
    return True


def set_alarm(tx: Tx, name: str, sent: bool, expected: bool) -> bool:
    """Flip the heartbeat's alarm flag from `expected` to `sent`; True if this call flipped it."""
    row = tx.one(
        "UPDATE heartbeats SET alarm_sent = ? WHERE name = ? AND alarm_sent = ? RETURNING name",
        (int(sent), name, int(expected)),
    )
    return row is not None
