"""Checks on routing: the tree delivers every alert to a human, no route is dead, tests pass."""

from __future__ import annotations

from collections.abc import Iterator

from generator import conventions as names
from generator.checks import Finding, check
from generator.diagnostics import Severity
from generator.model import Model, Route
from generator.routing import receivers_for, walk

SEVERITIES = ("critical", "warning", "info")


@check("routing/tests", Severity.ERROR)
def routing_tests(model: Model) -> Iterator[Finding]:
    """Every routing test case reaches exactly the receivers it names (with --offline; otherwise
    amtool runs the cases, see `amtool/routes`)."""
    config = model.alertmanager
    if config is None:
        return
    for case in config.cases:
        got = receivers_for(config.root, dict(case.labels))
        if got != list(case.receivers):
            labels = ", ".join(f"{k}={v}" for k, v in case.labels)
            yield Finding(
                case.location,
                f"routing test {case.suite!r}: {{{labels}}} reaches {','.join(got)}, "
                f"expected {','.join(case.receivers)}",
                hint="`amtool config routes --tree` on the generated file shows the tree",
            )


def _alerting_teams(model: Model) -> dict[str, str]:
    """Teams that own alerts, with one of their services (for realistic labels)."""
    teams: dict[str, str] = {}
    for group in model.rule_groups:
        teams.setdefault(group.team, group.service or group.name)
    return teams


@check("routing/team-route", Severity.ERROR)
def team_route(model: Model) -> Iterator[Finding]:
    """Every team that owns alerts has a route of its own (else they all land on the default receiver)."""
    config = model.alertmanager
    if config is None:
        return
    routed = {m.value for route in config.root.routes for m in route.matchers if m.name == names.TEAM_LABEL}
    for team in model.teams:
        if team.name in _alerting_teams(model) and team.name not in routed:
            yield Finding(
                team.location,
                f"team {team.name!r} owns alerts but has no `routing`: they all go "
                f"to the default receiver {config.root.receiver!r}",
                hint="add `routing: {receiver: ...}` to the team",
            )


@check("routing/human", Severity.ERROR)
def reaches_a_human(model: Model) -> Iterator[Finding]:
    """Every severity of every team's alerts, and an alert of no team, reaches a human channel
    (email, Slack or PagerDuty; a webhook alone does not count)."""
    config = model.alertmanager
    if config is None:
        return
    human = {r.name for r in config.receivers if r.reaches_a_human}
    probes: list[tuple[dict[str, str], str]] = [({"alertname": "Unrouted"}, "an alert with no team")]
    for team, service in sorted(_alerting_teams(model).items()):
        for severity in SEVERITIES:
            labels = {
                "alertname": "Probe",
                names.TEAM_LABEL: team,
                names.SERVICE_LABEL: service,
                names.SEVERITY_LABEL: severity,
            }
            probes.append((labels, f"a {severity} alert of team {team} ({service})"))
    for labels, what in probes:
        got = receivers_for(config.root, labels)
        if not human.intersection(got):
            yield Finding(
                config.location,
                f"{what} reaches only {got}, which no human reads",
                hint="route it to a receiver with email, slack or pagerduty",
            )


@check("routing/unused-receiver", Severity.WARNING)
def unused_receiver(model: Model) -> Iterator[Finding]:
    """Every receiver is used by some route."""
    config = model.alertmanager
    if config is None:
        return
    used = {route.receiver for route in walk(config.root)}
    for receiver in config.receivers:
        if receiver.name not in used:
            yield Finding(
                receiver.location,
                f"receiver {receiver.name!r} is not used by any route",
                hint="route alerts to it or remove it",
            )


def _shadows(earlier: Route, later: Route) -> bool:
    """`earlier` takes every alert `later` would: its matchers are a subset of `later`'s."""
    return not earlier.continue_ and set(earlier.matchers) <= set(later.matchers)


@check("routing/shadowed", Severity.ERROR)
def shadowed(model: Model) -> Iterator[Finding]:
    """No route is unreachable because an earlier sibling without `continue` takes all its alerts."""
    config = model.alertmanager
    if config is None:
        return
    for parent in walk(config.root):
        for index, later in enumerate(parent.routes):
            for earlier in parent.routes[:index]:
                if _shadows(earlier, later):
                    shown = ", ".join(m.render() for m in earlier.matchers) or "no matchers"
                    yield Finding(
                        later.location,
                        f"this route is never reached: the route at line "
                        f"{earlier.location.line} ({shown}) takes all its alerts first",
                        hint="move it before that route, narrow that route, or give it `continue: true`",
                    )
                    break
