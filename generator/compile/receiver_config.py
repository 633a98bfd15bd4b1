"""The receiver's configuration (receiver/config.py reads it): escalation policies from the teams'
`escalation` lists, the Watchdog it must keep seeing, and where Alertmanager is.

A team's escalation reads "notify this receiver, wait this long for an ack, then the next". The
first receiver is notified by the team's own routing when the alert fires; the receiver service
runs the rest: after the first step's `wait` without an ack it re-posts the alert with
`escalation_target=<next receiver>`, and so on. Only pages (severity critical) escalate; tickets
and digests never wake anyone up.
"""

from __future__ import annotations

from typing import Any

from generator.compile import Artifact
from generator.model import Model, Team
from generator.stack_alerts import WATCHDOG

RECEIVER_CONFIG_FILE = "receiver/receiver.yml"
# The Alertmanager of docker-compose.yml, as the receiver reaches it for silences and escalation.
ALERTMANAGER_URL = "http://alertmanager:9093"
# The generated Watchdog route repeats every minute (resolve_alertmanager._watchdog_route).
WATCHDOG_INTERVAL = "1m"
WATCHDOG_GRACE = "2m"
ESCALATING_SEVERITY = "critical"


def _policy(team: Team) -> dict[str, Any] | None:
    steps = team.escalation
    if len(steps) < 2:
        return None  # the routing already notifies the only contact
    return {
        "name": team.name,
        "match": {"team": team.name, "severity": ESCALATING_SEVERITY},
        "steps": [
            {"target": steps[index + 1][0], "wait": str(steps[index][1])} for index in range(len(steps) - 1)
        ],
    }


def compile_receiver_config(model: Model) -> list[Artifact]:
    """The receiver's config file, when the definitions deploy a notification history receiver."""
    alertmanager = model.alertmanager
    if alertmanager is None or alertmanager.history is None:
        return []
    policies = [policy for team in model.teams if (policy := _policy(team)) is not None]
    content = {
        "alertmanager_url": ALERTMANAGER_URL,
        "watchdog": {
            "alertname": WATCHDOG,
            "interval": WATCHDOG_INTERVAL,
            "grace": WATCHDOG_GRACE,
            **(
                {"fallback_url": alertmanager.history.watchdog_fallback_url}
                if alertmanager.history.watchdog_fallback_url
                else {}
            ),
        },
        "escalation": policies,
    }
    sources = tuple(sorted({team.location.file for team in model.teams if team.escalation}))
    return [Artifact(RECEIVER_CONFIG_FILE, content, sources or alertmanager.sources)]
