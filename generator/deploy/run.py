"""One deploy: every target plans, a dry run stops there, otherwise each target applies its plan.

Targets apply in the order their dependencies want: a ruler's rule groups and Prometheus first,
then the Alertmanagers (what Prometheus sends them is unchanged by a reload), Grafana last (its
panels query what the rules record). The first failure stops the deploy; what was applied before
it stays applied and is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from generator.deploy.changes import Change, DeployError


class Target(Protocol):
    @property
    def name(self) -> str: ...

    def plan(self) -> list[Change]: ...

    def apply(self, plan: list[Change]) -> None: ...


PROMETHEUS = "Prometheus"
ALERTMANAGER = "Alertmanager"


@dataclass
class ReloadedServer:
    """Prometheus or an Alertmanager: both read their files from disk, so applying is a checked
    reload, and a plan made again afterwards proves the server runs what the files say."""

    kind: str  # PROMETHEUS or ALERTMANAGER
    url: str
    config: Path  # the file the server reads, as we have it

    @property
    def name(self) -> str:
        return f"{self.kind} {self.url}"

    def plan(self) -> list[Change]:
        from generator.deploy import servers  # promql-parser: only when deploying

        plan = servers.plan_prometheus if self.kind == PROMETHEUS else servers.plan_alertmanager
        return plan(self.url, self.config)

    def apply(self, plan: list[Change]) -> None:
        from generator.deploy import servers

        reload = servers.reload_prometheus if self.kind == PROMETHEUS else servers.reload_alertmanager
        reload(self.url, self.config)
        left = [change for change in self.plan() if change.changes_anything]
        if left:
            items = ", ".join(change.item for change in left[:5])
            raise DeployError(
                f"{self.kind} at {self.url} reloaded but still differs from {self.config} ({items}): "
                "does it read these files?"
            )


@dataclass
class FunctionTarget:
    """A target given as its two functions (the Grafana and ruler clients)."""

    name: str
    plan_function: Callable[[], list[Change]]
    apply_function: Callable[[list[Change]], object]

    def plan(self) -> list[Change]:
        return self.plan_function()

    def apply(self, plan: list[Change]) -> None:
        self.apply_function(plan)


@dataclass
class Outcome:
    plans: dict[str, list[Change]] = field(default_factory=dict)  # target name -> its plan
    applied: list[str] = field(default_factory=list)  # targets applied, in order
    unchanged: list[str] = field(default_factory=list)  # targets with nothing to apply
    error: DeployError | None = None

    @property
    def changes(self) -> list[Change]:
        return [change for plan in self.plans.values() for change in plan if change.changes_anything]


def deploy(
    targets: list[Target], *, dry_run: bool, announce: Callable[[str], None] = lambda _: None
) -> Outcome:
    outcome = Outcome()
    try:
        for target in targets:
            outcome.plans[target.name] = target.plan()
        if dry_run:
            return outcome
        for target in targets:
            plan = outcome.plans[target.name]
            if not any(change.changes_anything for change in plan):
                outcome.unchanged.append(target.name)
                continue
            announce(f"applying to {target.name}")
            target.apply(plan)
            outcome.applied.append(target.name)
    except DeployError as error:
        outcome.error = error
    return outcome
