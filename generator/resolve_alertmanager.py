"""Resolve the Alertmanager definitions: receivers, the routing tree, time intervals, inhibition,
routing tests.

The tree is: a root route whose receiver is the Alertmanager document's `default_receiver` (so no
alert is ever dropped), then one route per team with routing, matching `team="<name>"`, holding
the team's own routes. References (receivers, time intervals, teams) are checked here, with
positions, so the generated file never names something that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from generator import conventions as names
from generator import model as m
from generator import spec as s
from generator.diagnostics import Diagnostic, Location
from generator.durations import Duration, parse_duration
from generator.problems import Problems, did_you_mean
from generator.source import locate
from generator.spec.validate import ParsedDocument
from generator.stack_alerts import WATCHDOG

_MATCHER = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


def parse_matcher(text: str) -> m.Matcher:
    """`severity="critical"` -> Matcher; the spec pattern has already accepted the text."""
    found = _MATCHER.match(text)
    assert found is not None, text
    name, op, value = found.groups()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return m.Matcher(name, op, value)


class _Resolver(Problems):
    def __init__(self, documents: list[ParsedDocument]) -> None:
        super().__init__()
        self.documents = documents
        self.receivers: dict[str, tuple[s.Receiver, ParsedDocument]] = {}
        self.intervals: dict[str, Location] = {}
        self.used_intervals: set[str] = set()
        self.generated_receivers: set[str] = set()

    def of_kind(self, kind: type[Any]) -> list[tuple[Any, ParsedDocument]]:
        return [(d.spec, d) for d in self.documents if isinstance(d.spec, kind)]

    # -- receivers -------------------------------------------------------------------------------

    def resolve_receivers(self, settings: s.Alertmanager, teams: set[str]) -> list[m.Receiver]:
        out: list[m.Receiver] = []
        for spec, document in self.of_kind(s.Receiver):
            if spec.name in self.receivers:
                self.add(
                    document,
                    ["name"],
                    f"duplicate receiver {spec.name!r}",
                    hint=f"first declared at {self.receivers[spec.name][1].location}",
                )
                continue
            self.receivers[spec.name] = (spec, document)
            if spec.team is not None and spec.team not in teams:
                self.add(
                    document,
                    ["team"],
                    f"unknown team {spec.team!r}",
                    code="reference",
                    hint=did_you_mean(spec.team, teams) or "declare it with `kind: Team`",
                )
            if not (spec.email or spec.slack or spec.pagerduty or spec.webhook):
                self.add(
                    document,
                    ["name"],
                    f"receiver {spec.name!r} has no channel: alerts routed to it are dropped",
                    hint="add email, slack, pagerduty or webhook",
                )
            if spec.email and settings.smtp is None:
                self.add(
                    document,
                    ["email"],
                    "email needs the mail server: set `smtp` in the Alertmanager definition",
                )
            for index, slack in enumerate(spec.slack):
                if slack.api_url_file is None and settings.slack_api_url_file is None:
                    self.add(
                        document,
                        ["slack", index],
                        "no Slack webhook: give `api_url_file` here or "
                        "`slack_api_url_file` in the Alertmanager definition",
                    )
            for index, hook in enumerate(spec.webhook):
                self.check_webhook_url(document, ["webhook", index, "url"], hook.url)
            out.append(
                m.Receiver(
                    spec.name,
                    spec.team,
                    tuple(spec.email),
                    tuple(spec.slack),
                    tuple(spec.pagerduty),
                    tuple(spec.webhook),
                    locate(document.raw.data, ["name"]),
                )
            )
        return sorted(out, key=lambda r: r.name)

    def check_webhook_url(self, document: ParsedDocument, path: Sequence[str | int], url: str) -> None:
        self.check_url(
            document,
            path,
            url,
            "Alertmanager 0.25 has no url_file for webhooks: put the "
            "token in a file and give it as `credentials_file`",
        )

    def receiver_ref(self, document: ParsedDocument, path: Sequence[str | int], name: str | None) -> None:
        if name is not None and name not in self.receivers and name not in self.generated_receivers:
            self.add(
                document,
                path,
                f"unknown receiver {name!r}",
                code="reference",
                hint=did_you_mean(name, self.receivers) or "declare it with `kind: Receiver`",
            )

    # -- time intervals --------------------------------------------------------------------------

    def resolve_intervals(self) -> list[m.TimeInterval]:
        out: list[m.TimeInterval] = []
        for spec, document in self.of_kind(s.Team):
            if spec.working_hours is not None:
                name = names.working_hours_interval(spec.name)
                self.intervals[name] = locate(document.raw.data, ["working_hours"])
                out.append(m.TimeInterval(name, (spec.working_hours,), self.intervals[name]))
        for spec, document in self.of_kind(s.TimeInterval):
            if spec.name in self.intervals:
                self.add(
                    document,
                    ["name"],
                    f"duplicate time interval {spec.name!r}",
                    hint=f"also defined at {self.intervals[spec.name]}",
                )
                continue
            self.intervals[spec.name] = locate(document.raw.data, ["name"])
            out.append(m.TimeInterval(spec.name, tuple(spec.intervals), self.intervals[spec.name]))
        return sorted(out, key=lambda t: t.name)

    def interval_refs(self, document: ParsedDocument, path: Sequence[str | int], refs: list[str]) -> None:
        for index, name in enumerate(refs):
            self.used_intervals.add(name)
            if name not in self.intervals:
                self.add(
                    document,
                    [*path, index],
                    f"unknown time interval {name!r}",
                    code="reference",
                    hint=did_you_mean(name, self.intervals)
                    or "declare it with `kind: TimeInterval` or a team's `working_hours`",
                )

    # -- routes ----------------------------------------------------------------------------------

    def route(self, document: ParsedDocument, path: list[str | int], spec: s.Route) -> m.Route:
        self.receiver_ref(document, [*path, "receiver"], spec.receiver)
        self.interval_refs(document, [*path, "mute_time_intervals"], spec.mute_time_intervals)
        self.interval_refs(document, [*path, "active_time_intervals"], spec.active_time_intervals)
        return m.Route(
            matchers=tuple(parse_matcher(t) for t in spec.matchers),
            receiver=spec.receiver,
            continue_=spec.continue_,
            group_by=tuple(spec.group_by) if spec.group_by is not None else None,
            group_wait=_maybe(spec.group_wait),
            group_interval=_maybe(spec.group_interval),
            repeat_interval=_maybe(spec.repeat_interval),
            mute_time_intervals=tuple(spec.mute_time_intervals),
            active_time_intervals=tuple(spec.active_time_intervals),
            routes=tuple(self.route(document, [*path, "routes", i], r) for i, r in enumerate(spec.routes)),
            location=locate(document.raw.data, path),
        )

    def team_route(self, team: s.Team, document: ParsedDocument) -> m.Route:
        routing = team.routing
        assert routing is not None
        path: list[str | int] = ["routing"]
        self.receiver_ref(document, [*path, "receiver"], routing.receiver)
        self.interval_refs(document, [*path, "mute_time_intervals"], routing.mute_time_intervals)
        routes = [self.route(document, [*path, "routes", i], r) for i, r in enumerate(routing.routes)]
        if routing.digest is not None:
            self.receiver_ref(document, [*path, "digest", "receiver"], routing.digest.receiver)
            routes.insert(0, _digest_route(routing.digest, locate(document.raw.data, [*path, "digest"])))
        return m.Route(
            matchers=(m.Matcher(names.TEAM_LABEL, "=", team.name),),
            receiver=routing.receiver,
            continue_=False,
            group_by=tuple(routing.group_by) if routing.group_by is not None else None,
            group_wait=_maybe(routing.group_wait),
            group_interval=_maybe(routing.group_interval),
            repeat_interval=_maybe(routing.repeat_interval),
            mute_time_intervals=tuple(routing.mute_time_intervals),
            active_time_intervals=(),
            routes=tuple(routes),
            location=locate(document.raw.data, path),
        )


def _digest_route(digest: s.Digest, location: Location) -> m.Route:
    """Low severities batched per team: long intervals, one group for all of them."""
    severities = sorted(set(digest.severities))
    matcher = (
        m.Matcher(names.SEVERITY_LABEL, "=", severities[0])
        if len(severities) == 1
        else m.Matcher(names.SEVERITY_LABEL, "=~", "|".join(severities))
    )
    return m.Route(
        matchers=(matcher,),
        receiver=digest.receiver,
        continue_=False,
        group_by=(names.TEAM_LABEL, names.SEVERITY_LABEL),
        group_wait=parse_duration(digest.group_wait),
        group_interval=parse_duration(digest.group_interval),
        repeat_interval=parse_duration(digest.repeat_interval),
        mute_time_intervals=(),
        active_time_intervals=(),
        routes=(),
        location=location,
    )


def _watchdog_route(location: Location) -> m.Route:
    """The Watchdog goes to the history receiver every minute (the dead man's switch), never to people."""
    return m.Route(
        matchers=(m.Matcher("alertname", "=", WATCHDOG),),
        receiver=names.WATCHDOG_RECEIVER,
        continue_=False,
        group_by=("alertname",),
        group_wait=Duration(0, "0s"),
        group_interval=Duration(60_000, "1m"),
        repeat_interval=Duration(60_000, "1m"),
        mute_time_intervals=(),
        active_time_intervals=(),
        routes=(),
        location=location,
    )


def _escalation_routes(teams: dict[str, tuple[s.Team, ParsedDocument]]) -> list[m.Route]:
    """An escalated page (re-posted by the receiver service with `escalation_target`) goes to that
    contact and nowhere else: ahead of the team routes, which would send it to the first contact
    again. The first step is the team's own routing; the later steps are the targets."""
    targets: dict[str, Location] = {}
    for _, (spec, document) in sorted(teams.items()):
        for index, step in enumerate(spec.escalation[1:], start=1):
            targets.setdefault(step.receiver, locate(document.raw.data, ["escalation", index, "receiver"]))
    return [
        m.Route(
            matchers=(m.Matcher(names.ESCALATION_TARGET_LABEL, "=", target),),
            receiver=target,
            continue_=False,
            group_by=("alertname", names.TEAM_LABEL, names.ESCALATION_TARGET_LABEL),
            group_wait=Duration(0, "0s"),
            group_interval=None,
            repeat_interval=None,
            mute_time_intervals=(),
            active_time_intervals=(),
            routes=(),
            location=location,
        )
        for target, location in sorted(targets.items())
    ]


def _generated_inhibitions(
    settings: s.Alertmanager, settings_doc: ParsedDocument, documents: list[ParsedDocument]
) -> list[m.InhibitRule]:
    """Noise reduction from the definitions: critical mutes warning, a dependency's outage mutes
    its dependents' symptoms."""
    rules: list[m.InhibitRule] = []
    if settings.inhibit_warning_when_critical:
        rules.append(
            m.InhibitRule(
                (m.Matcher(names.SEVERITY_LABEL, "=", "critical"),),
                (m.Matcher(names.SEVERITY_LABEL, "=", "warning"),),
                ("alertname", names.SERVICE_LABEL, "instance"),
                locate(settings_doc.raw.data, ["inhibit_warning_when_critical"])
                if "inhibit_warning_when_critical" in settings_doc.raw.data
                else settings_doc.location,
            )
        )
    for document in documents:
        spec = document.spec
        if isinstance(spec, s.Service):
            for index, dependency in enumerate(spec.depends_on):
                rules.append(
                    m.InhibitRule(
                        (
                            m.Matcher(names.SERVICE_LABEL, "=", dependency),
                            m.Matcher(names.SEVERITY_LABEL, "=", "critical"),
                        ),
                        (m.Matcher(names.SERVICE_LABEL, "=", spec.name),),
                        (),
                        locate(document.raw.data, ["depends_on", index]),
                    )
                )
    return rules


def _maybe(text: str | None) -> Duration | None:
    return parse_duration(text) if text is not None else None


def resolve_alertmanager(
    documents: list[ParsedDocument], templates: tuple[tuple[str, str], ...]
) -> tuple[m.AlertmanagerConfig | None, list[Diagnostic]]:
    """The Alertmanager part of the model, or None when the repository has no Alertmanager
    definition (then nothing of Alertmanager is generated)."""
    resolver = _Resolver(documents)
    settings_docs = resolver.of_kind(s.Alertmanager)
    if not settings_docs:
        for kind in (s.Receiver, s.TimeInterval, s.RoutingTest):
            for _, document in resolver.of_kind(kind)[:1]:
                resolver.add(
                    document,
                    ["kind"],
                    f"a {kind.__name__} needs a `kind: Alertmanager` definition",
                    hint="it names the default receiver, so no alert is ever dropped",
                )
        return None, resolver.items
    settings, settings_doc = settings_docs[0]
    teams = {spec.name: (spec, document) for spec, document in resolver.of_kind(s.Team)}
    receivers = resolver.resolve_receivers(settings, set(teams))
    intervals = resolver.resolve_intervals()
    # The Watchdog needs a route of its own when the stack's alerts are generated.
    watchdog = any(
        isinstance(d.spec, s.Settings) and d.spec.stack_alerts is not None and d.spec.stack_alerts.enabled
        for d in documents
    )
    if watchdog and names.WATCHDOG_RECEIVER in resolver.receivers:
        spec_doc = resolver.receivers[names.WATCHDOG_RECEIVER][1]
        resolver.add(
            spec_doc,
            ["name"],
            f"the receiver name {names.WATCHDOG_RECEIVER!r} is taken by the generated Watchdog route",
            hint="rename this receiver",
        )
    elif watchdog:
        receivers.append(m.Receiver(names.WATCHDOG_RECEIVER, None, (), (), (), (), settings_doc.location))
        receivers.sort(key=lambda r: r.name)
        resolver.generated_receivers.add(names.WATCHDOG_RECEIVER)
    resolver.receiver_ref(settings_doc, ["default_receiver"], settings.default_receiver)
    if settings.history is not None:
        resolver.check_webhook_url(settings_doc, ["history", "url"], settings.history.url)
        if settings.history.watchdog_fallback_url is not None:
            resolver.check_webhook_url(
                settings_doc, ["history", "watchdog_fallback_url"], settings.history.watchdog_fallback_url
            )

    for spec, document in (pair for _, pair in sorted(teams.items())):
        for index, step in enumerate(spec.escalation):
            resolver.receiver_ref(document, ["escalation", index, "receiver"], step.receiver)
    team_routes = [
        resolver.team_route(spec, document)
        for name, (spec, document) in sorted(teams.items())
        if spec.routing is not None
    ]
    escalation_routes = _escalation_routes(teams)
    root_route = m.Route(
        matchers=(),
        receiver=settings.default_receiver,
        continue_=False,
        group_by=tuple(settings.group_by),
        group_wait=parse_duration(settings.group_wait),
        group_interval=parse_duration(settings.group_interval),
        repeat_interval=parse_duration(settings.repeat_interval),
        mute_time_intervals=(),
        active_time_intervals=(),
        routes=(
            *([_watchdog_route(settings_doc.location)] if watchdog else []),
            *escalation_routes,
            *team_routes,
        ),
        location=locate(settings_doc.raw.data, ["default_receiver"]),
    )
    inhibit = (
        *_generated_inhibitions(settings, settings_doc, documents),
        *(
            m.InhibitRule(
                tuple(parse_matcher(t) for t in rule.source),
                tuple(parse_matcher(t) for t in rule.target),
                tuple(rule.equal),
                locate(settings_doc.raw.data, ["inhibit_rules", index]),
            )
            for index, rule in enumerate(settings.inhibit_rules)
        ),
    )
    cases: list[m.RoutingCase] = []
    for spec, document in resolver.of_kind(s.RoutingTest):
        for index, case in enumerate(spec.cases):
            for position, receiver in enumerate(case.receivers):
                resolver.receiver_ref(document, ["cases", index, "receivers", position], receiver)
            cases.append(
                m.RoutingCase(
                    tuple(sorted(case.labels.items())),
                    tuple(case.receivers),
                    locate(document.raw.data, ["cases", index]),
                    spec.name,
                )
            )
    for name, _ in templates:
        if name == names.NOTIFICATION_TEMPLATES_FILE:
            resolver.items.append(
                Diagnostic(
                    Location(f"{names.USER_TEMPLATES_DIR}/{name}"),
                    f"{name} is the name of the generated templates file",
                    hint="rename your file; generated and own templates are loaded side by side",
                )
            )
    sources = sorted(
        {d.raw.file for d in documents if isinstance(d.spec, (s.Alertmanager, s.Receiver, s.TimeInterval))}
        | {d.raw.file for _, d in teams.values()}
    )
    config = m.AlertmanagerConfig(
        root=root_route,
        receivers=tuple(receivers),
        time_intervals=tuple(intervals),
        inhibit_rules=inhibit,
        cases=tuple(cases),
        resolve_timeout=parse_duration(settings.resolve_timeout),
        smtp=settings.smtp,
        slack_api_url_file=settings.slack_api_url_file,
        history=settings.history,
        templates=templates,
        sources=tuple(sources),
        location=settings_doc.location,
    )
    return config, resolver.items
