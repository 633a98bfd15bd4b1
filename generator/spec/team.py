"""Teams: who owns services and alerts."""

from __future__ import annotations

from typing import Literal

from generator.spec.alertmanager import TeamRouting, WorkingHours
from generator.spec.common import ResourceName, SpecModel


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
