"""The receiver's operations, independent of HTTP: what the API handlers and the scheduler call.

Every write goes through the group-commit writer; reads borrow their own connection. Calls to
Alertmanager happen outside transactions, so a slow Alertmanager never holds the writer."""

from __future__ import annotations

from typing import Any

from receiver import incidents, queries
from receiver.alertmanager import Alertmanager
from receiver.clock import Clock
from receiver.config import Config
from receiver.db import Database, StorageError, Tx
from receiver.httpclient import HttpClient, HttpError
from receiver.ingest import Stored, store_delivery
from receiver.instruments import Instruments
from receiver.payload import parse_delivery
from receiver.writer import Writer

# Alertmanager's convention for a silence made by acknowledging (issue 7).
ACK_COMMENT_PREFIX = "ACK! "


class NotFound(LookupError):
    pass


class Refused(ValueError):
    """The request cannot be done with this receiver's configuration (a 4xx, not a failure)."""


class UpstreamError(RuntimeError):
    """Alertmanager could not do what the request asked (silence not created)."""


class Receiver:
    def __init__(
        self,
        database: Database,
        config: Config,
        clock: Clock,
        http: HttpClient,
        instruments: Instruments,
    ) -> None:
        self.database = database
        self.config = config
        self.clock = clock
        self.http = http
        self.instruments = instruments
        self.alertmanager = Alertmanager(config.alertmanager_url, http) if config.alertmanager_url else None
        self.writer = Writer(database, on_batch=instruments.observe_batch)
        instruments.registry.gauge(
            "receiver_open_incidents", "Incidents firing now.", lambda: float(self._read(queries.count_open))
        )

    def close(self) -> None:
        self.writer.stop()
        self.database.close()

    def _read(self, fn: Any, *args: Any) -> Any:
        with self.database.transaction(write=False) as tx:
            return fn(tx, *args)

    # --- deliveries -------------------------------------------------------------------------

    def ingest(self, body: bytes) -> Stored:
        """Validate and durably store one webhook body. PayloadError for bad input (nothing
        stored), StorageError when the commit failed (the caller answers 5xx so it is retried)."""
        delivery = parse_delivery(body)
        now = self.clock.now()
        stored = self.writer.submit(lambda tx: store_delivery(tx, delivery, body, now, self.config))
        self.instruments.deliveries.inc("duplicate" if stored.duplicate else "stored")
        if stored.opened:
            self.instruments.incidents_opened.inc(by=stored.opened)
        if stored.resolved:
            self.instruments.incidents_resolved.inc("notification", by=stored.resolved)
        return stored

    # --- reads ------------------------------------------------------------------------------

    def incidents(self, query: queries.IncidentFilter) -> tuple[list[dict[str, Any]], int]:
        result: tuple[list[dict[str, Any]], int] = self._read(queries.list_incidents, query)
        return result

    def incident(self, incident_id: int) -> dict[str, Any]:
        with self.database.transaction(write=False) as tx:
            found = queries.get_incident(tx, incident_id)
            if found is None:
                raise NotFound(f"no incident with id {incident_id}")
            return {**found, **queries.timeline(tx, incident_id)}

    def notifications(
        self, receiver: str | None, since: float | None, until: float | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        result: tuple[list[dict[str, Any]], int] = self._read(
            queries.list_notifications, receiver, since, until, limit, offset
        )
        return result

    def ready(self) -> bool:
        if not self.writer.alive():
            return False
        with self.database.transaction(write=False) as tx:
            tx.one("SELECT 1")
        return True

    # --- acknowledgements -------------------------------------------------------------------

    def ack(self, incident_id: int, who: str, comment: str, silence_for: float | None) -> dict[str, Any]:
        """Record an ack (stopping escalation) and, with `silence_for` seconds, silence the alert
        in Alertmanager first, so a failed silence leaves no half-done ack."""
        found = self._read(queries.get_incident, incident_id)
        if found is None:
            raise NotFound(f"no incident with id {incident_id}")
        now = self.clock.now()
        silence_id = None
        if silence_for is not None:
            if self.alertmanager is None:
                raise Refused("silence: no alertmanager_url is configured here; ack without a silence")
            try:
                silence_id = self.alertmanager.create_silence(
                    found["labels"], now, now + silence_for, who, ACK_COMMENT_PREFIX + comment
                )
            except HttpError as error:
                self.instruments.alertmanager_errors.inc("silence")
                raise UpstreamError(f"Alertmanager did not create the silence: {error}") from None

        def record(tx: Tx) -> bool:
            return incidents.ack(tx, incident_id, who, comment, silence_id, now)

        try:
            recorded = self.writer.submit(record)
        except StorageError:
            self._expire_quietly(silence_id)  # no ack recorded, so no silence either
            raise
        if not recorded:
            self._expire_quietly(silence_id)
            raise NotFound(f"no incident with id {incident_id}")
        self.instruments.acks.inc()
        return self.incident(incident_id)

    def unack(self, incident_id: int, who: str) -> dict[str, Any]:
        """Withdraw an ack: escalation resumes from its current step; the ack's silence expires."""
        found = self._read(queries.get_incident, incident_id)
        if found is None:
            raise NotFound(f"no incident with id {incident_id}")
        now = self.clock.now()
        policy = self.config.policy_named(found["escalationPolicy"])
        upcoming = policy.after(found["escalationLevel"]) if policy else None
        resume_at = now + upcoming[1] if upcoming else None
        exists, silence_id = self.writer.submit(
            lambda tx: incidents.unack(tx, incident_id, who, resume_at, now)
        )
        if not exists:
            raise NotFound(f"no incident with id {incident_id}")
        self._expire_quietly(silence_id)
        return self.incident(incident_id)

    def _expire_quietly(self, silence_id: str | None) -> None:
        if silence_id and self.alertmanager is not None:
            try:
                self.alertmanager.expire_silence(silence_id)
            except HttpError:
                # Already expired or deleted by hand (Alertmanager answers 500 for unknown ids).
                self.instruments.alertmanager_errors.inc("expire_silence")
