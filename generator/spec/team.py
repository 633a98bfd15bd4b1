"""Teams: who owns services and alerts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from generator.spec.alertmanager import ReceiverName, TeamRouting, WorkingHours
from generator.spec.common import DurationText, ResourceName, SpecModel


class Member(SpecModel):
    """A person on the team (contact details only; credentials never go here)."""

    name: str = Field(min_length=1)
    """Full name, as shown in acknowledgements and reports."""
    email: str | None = None
    """Email address."""
    slack: str | None = None
    """Slack handle, such as `@alice`."""
    phone: str | None = None
    """Phone number for escalation calls."""


class EscalationStep(SpecModel):
    """One step of the team's escalation: who is notified, and how long to wait for an ack."""

    receiver: ReceiverName
    """The receiver notified at this step."""
    wait: DurationText = "15m"
    """How long to wait for an acknowledgement before the next step."""


class Team(SpecModel):
    """A team that owns services and receives their alerts."""

    kind: Literal["Team"]
    name: ResourceName
    """Short name used in labels and file names, for example `payments`."""
    display_name: str | None = None
    """Human name shown in dashboards and reports. Default: the name."""
    description: str | None = None
    """What the team does, for newcomers."""
    runbook_base_url: str | None = None
    """Base URL of this team's runbooks; overrides the Settings' `runbook_base_url`."""
    working_hours: WorkingHours | None = None
    """When the team works; routes can use it as the time interval `<team>-working-hours`."""
    routing: TeamRouting | None = None
    """Where the team's alerts go. Every team that owns alerts needs one."""
    members: list[Member] = Field(default_factory=list)
    """The people on the team."""
    escalation: list[EscalationStep] = Field(default_factory=list)
    """Escalation contacts in order: run by the notification history receiver until someone acks."""
