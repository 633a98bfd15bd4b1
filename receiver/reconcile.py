"""Closing acked-and-silenced incidents that Alertmanager no longer holds.

An alert that resolves while silenced never gets a resolved notification (alertmanager issue
226), so an incident acked with a silence would stay open in our history forever. Alertmanager's
GET /api/v2/alerts lists every unresolved alert, silenced ones included; an acked, silenced,
open incident whose fingerprint is missing there has resolved, and is closed here."""

from __future__ import annotations

from functools import partial

from receiver import incidents
from receiver.httpclient import HttpError
from receiver.service import Receiver


def reconcile(receiver: Receiver) -> int:
    """Returns how many incidents were closed."""
    if receiver.alertmanager is None:
        return 0
    candidates = receiver._read(incidents.acked_silenced_open)
    if not candidates:
        return 0
    try:
        active = receiver.alertmanager.active_fingerprints()
    except HttpError:
        receiver.instruments.alertmanager_errors.inc("list_alerts")
        return 0
    now = receiver.clock.now()
    gone = [incident_id for incident_id, fingerprint in candidates if fingerprint not in active]
    closed = sum(
        receiver.writer.submit(partial(incidents.close_reconciled, incident_id=incident_id, now=now))
        for incident_id in gone
    )
    if closed:
        receiver.instruments.incidents_resolved.inc("reconciled", by=closed)
    return closed
