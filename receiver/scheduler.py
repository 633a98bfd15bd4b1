"""The background loop: escalation steps, reconciling with Alertmanager, the dead man's switch.

`tick()` does one round and is what tests call with a hand-moved clock; `start()` runs it every
`config.tick` seconds on a daemon thread. A failing round is counted and logged, never fatal."""

from __future__ import annotations

import logging
import threading

from receiver import deadman, escalation, queries, reconcile
from receiver.service import Receiver

log = logging.getLogger("receiver")


class Scheduler:
    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_reconcile = float("-inf")
        registry = receiver.instruments.registry
        self._errors = registry.counter("receiver_scheduler_errors_total", "Background rounds that failed.")
        registry.gauge(
            "receiver_watchdog_last_seen_timestamp_seconds",
            "When the Watchdog alert last arrived (Unix time).",
            self._last_seen,
        )
        registry.gauge(
            "receiver_watchdog_missing",
            "1 when the Watchdog alert is overdue (dead man's switch), 0 when it arrives.",
            lambda: None if (state := deadman.missing(receiver)) is None else float(state),
        )

    def _last_seen(self) -> float | None:
        beat = self._receiver._read(queries.heartbeat, self._receiver.config.watchdog_alertname)
        return None if beat is None else float(beat[0])

    def tick(self) -> None:
        receiver = self._receiver
        escalation.run_due_steps(receiver)
        escalation.close_copies(receiver)
        now = receiver.clock.now()
        if now - self._last_reconcile >= receiver.config.reconcile_interval:
            self._last_reconcile = now
            reconcile.reconcile(receiver)
        deadman.check(receiver)

    def _loop(self) -> None:
        while not self._stop.wait(self._receiver.config.tick):
            try:
                self.tick()
            except Exception:
                self._errors.inc()
                log.exception("background round failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="receiver-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
