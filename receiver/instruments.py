"""Every metric the receiver exports, created on an injected registry."""

from __future__ import annotations

from receiver.metrics import Registry


class Instruments:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.deliveries = registry.counter(
            "receiver_deliveries_total",
            "Webhook deliveries by outcome: stored, duplicate, rejected (4xx), failed (5xx).",
            ["outcome"],
        )
        self.incidents_opened = registry.counter("receiver_incidents_opened_total", "Incidents opened.")
        self.incidents_resolved = registry.counter(
            "receiver_incidents_resolved_total", "Incidents resolved, by how.", ["how"]
        )
        self.requests = registry.histogram(
            "receiver_request_duration_seconds",
            "HTTP request latency by route and status code.",
            ["route", "code"],
        )
        self.batch_size = registry.counter(
            "receiver_write_jobs_total", "Write jobs committed by the group-commit writer."
        )
        self.batches = registry.counter(
            "receiver_write_batches_total", "Transactions committed by the writer."
        )
        self.commit_seconds = registry.histogram(
            "receiver_write_batch_duration_seconds", "Time to run and commit one batch of writes."
        )
        self.escalations = registry.counter(
            "receiver_escalation_steps_total", "Escalation steps by result: sent or failed.", ["result"]
        )
        self.acks = registry.counter("receiver_acks_total", "Acknowledgements recorded.")
        self.alertmanager_errors = registry.counter(
            "receiver_alertmanager_errors_total", "Failed calls to Alertmanager's API, by purpose.", ["call"]
        )
        self.fallback = registry.counter(
            "receiver_watchdog_fallback_total",
            "Messages sent to the dead man's switch fallback webhook.",
            ["status"],
        )

    def observe_batch(self, jobs: int, seconds: float) -> None:
        self.batch_size.inc(by=jobs)
        self.batches.inc()
        self.commit_seconds.observe(seconds)
