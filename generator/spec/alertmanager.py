"""Alertmanager definitions: receivers, routing, time intervals, inhibition, routing tests.

Routes and matchers use Alertmanager's own vocabulary (`matchers: ['severity="critical"']`,
`group_by`, `repeat_interval`, `continue`), so the Alertmanager documentation reads the same.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from generator.spec.common import (
    MATCHER_PATTERN,
    RECEIVER_NAME_PATTERN,
    TIME_RANGE_PATTERN,
    DurationText,
    LabelName,
    Labels,
    SpecModel,
)

ReceiverName = Annotated[str, StringConstraints(pattern=RECEIVER_NAME_PATTERN)]
Matcher = Annotated[str, StringConstraints(pattern=MATCHER_PATTERN)]


class EmailChannel(SpecModel):
    """Send an email (Alertmanager `email_configs`); SMTP settings come from the Alertmanager document."""

    to: str
    """Recipient address(es), comma separated."""
    send_resolved: bool = True
    """Also notify when the alert resolves."""
    subject: str | None = None
    """Subject template. Default: the generated `maac.title` template."""


class SlackChannel(SpecModel):
    """Post to Slack through an incoming webhook (Alertmanager `slack_configs`)."""

    channel: str
    """Channel such as `#payments-alerts`."""
    api_url_file: str | None = None
    """File holding the Slack webhook URL (a secret).
    Default: the Alertmanager document's `slack_api_url_file`."""
    send_resolved: bool = True
    """Also notify when the alert resolves."""
    title: str | None = None
    """Title template. Default: the generated `maac.title` template."""
    text: str | None = None
    """Text template. Default: the generated `maac.slack.text` template (summary, runbook, dashboard)."""


class PagerDutyChannel(SpecModel):
    """Page through PagerDuty Events API v2 (Alertmanager `pagerduty_configs`)."""

    routing_key_file: str
    """File holding the integration's routing key (a secret)."""
    send_resolved: bool = True
    """Resolve the PagerDuty incident when the alert resolves."""
    severity: str | None = None
    """PagerDuty severity template. Default: the alert's `severity` label."""


class WebhookChannel(SpecModel):
    """POST the notification as JSON to a URL (Alertmanager `webhook_configs`)."""

    url: str
    """Endpoint. No credentials or tokens in it: use `credentials_file`."""
    credentials_file: str | None = None
    """File holding a bearer token sent as `Authorization: Bearer <token>`."""
    send_resolved: bool = True
    """Also notify when the alert resolves."""
    max_alerts: int = Field(default=0, ge=0)
    """Most alerts per message (0: all)."""


class Receiver(SpecModel):
    """Where notifications go: one or more channels under one name."""

    kind: Literal["Receiver"]
    name: ReceiverName
    """Name routes refer to, lower case with `-` or `_` (Alertmanager regex-escapes other characters)."""
    team: str | None = None
    """The team that owns this receiver."""
    description: str | None = None
    """Who is reached here, for newcomers."""
    email: list[EmailChannel] = Field(default_factory=list)
    """Email recipients."""
    slack: list[SlackChannel] = Field(default_factory=list)
    """Slack channels."""
    pagerduty: list[PagerDutyChannel] = Field(default_factory=list)
    """PagerDuty services."""
    webhook: list[WebhookChannel] = Field(default_factory=list)
    """Webhooks (ticketing, chat bots, audit logs)."""


class Timing(SpecModel):
    """Grouping and timing of notifications (Alertmanager route fields)."""

    group_by: list[LabelName] | None = None
    """Labels that group alerts into one notification. Default: inherited."""
    group_wait: DurationText | None = None
    """How long to wait for more alerts of a new group before the first notification."""
    group_interval: DurationText | None = None
    """How long to wait before notifying about new alerts in a group already notified."""
    repeat_interval: DurationText | None = None
    """How long to wait before repeating a notification that is still firing."""


class Route(Timing):
    """A branch of a team's routing: alerts matching `matchers` go to `receiver`."""

    matchers: list[Matcher] = Field(default_factory=list)
    """Alertmanager matchers, all of which must hold: `severity="critical"`, `service=~"cart|checkout"`."""
    receiver: ReceiverName | None = None
    """Receiver of matching alerts. Default: the enclosing route's receiver."""
    continue_: bool = Field(default=False, alias="continue")
    """Keep looking at the following routes after this one matched (send to both)."""
    mute_time_intervals: list[str] = Field(default_factory=list)
    """Time intervals during which this route sends nothing (maintenance windows)."""
    active_time_intervals: list[str] = Field(default_factory=list)
    """Time intervals outside which this route sends nothing (working hours)."""
    routes: list[Route] = Field(default_factory=list)
    """Nested routes, tried in order."""


class Digest(SpecModel):
    """Batch low-severity alerts into a few notifications a day instead of one each."""

    severities: list[Literal["info", "warning"]] = Field(default_factory=lambda: ["info"])  # type: ignore[arg-type]
    """Severities that go into the digest."""
    receiver: ReceiverName | None = None
    """Where digests go. Default: the team's receiver."""
    group_wait: DurationText = "10m"
    """How long the first digest collects alerts."""
    group_interval: DurationText = "6h"
    """How often a digest with new alerts goes out."""
    repeat_interval: DurationText = "1d"
    """How often a digest of still-firing alerts is repeated."""


class TeamRouting(Timing):
    """How a team's alerts (label `team=<name>`) are routed."""

    receiver: ReceiverName
    """Receiver of the team's alerts that no nested route takes."""
    digest: Digest | None = None
    """Batch low-severity alerts (checked before the routes below)."""
    routes: list[Route] = Field(default_factory=list)
    """Routes tried in order, for example critical alerts to a pager."""
    mute_time_intervals: list[str] = Field(default_factory=list)
    """Time intervals during which the team's routes send nothing."""


class TimeRange(SpecModel):
    """One rule of a time interval; all given fields must hold."""

    times: list[Annotated[str, StringConstraints(pattern=TIME_RANGE_PATTERN)]] = Field(default_factory=list)
    """Times of day as `HH:MM-HH:MM`, for example `09:00-18:00`."""
    weekdays: list[str] = Field(default_factory=list)
    """Days or ranges such as `monday:friday`, `saturday`."""
    days_of_month: list[str] = Field(default_factory=list)
    """Days of the month or ranges, such as `1:7` or `-1` (the last day)."""
    months: list[str] = Field(default_factory=list)
    """Months or ranges, such as `december` or `1:3`."""
    years: list[str] = Field(default_factory=list)
    """Years or ranges, such as `2026:2027`."""
    location: str | None = None
    """IANA time zone of the times, such as `Europe/Berlin`. Default: UTC."""


class WorkingHours(TimeRange):
    """A team's working hours; routes use them as `<team>-working-hours`."""


class TimeInterval(SpecModel):
    """A named time interval (maintenance window, working hours) for routes to mute or activate on."""

    kind: Literal["TimeInterval"]
    name: ReceiverName
    """Name routes refer to."""
    intervals: list[TimeRange] = Field(min_length=1)
    """The interval holds when any of these holds."""


class InhibitRule(SpecModel):
    """While an alert matching `source` fires, mute alerts matching `target` that share `equal` labels."""

    source: list[Matcher] = Field(min_length=1)
    """Matchers of the inhibiting alert, such as `severity="critical"`."""
    target: list[Matcher] = Field(min_length=1)
    """Matchers of the muted alerts, such as `severity="warning"`."""
    equal: list[LabelName] = Field(default_factory=list)
    """Labels both alerts must have with equal values, such as `alertname` and `service`."""


class SMTP(SpecModel):
    """The mail server Alertmanager sends email through."""

    smarthost: str = Field(pattern=r"^[^\s:]+:[0-9]+$")
    """`host:port` of the SMTP server."""
    sender: str = Field(alias="from")
    """Sender address."""
    auth_username: str | None = None
    """SMTP user name."""
    auth_password_file: str | None = None
    """File holding the SMTP password."""
    require_tls: bool = True
    """Require STARTTLS."""


class History(SpecModel):
    """The notification history receiver: added as a webhook to every receiver, so every
    notification is recorded whatever channel a team uses."""

    url: str
    """The receiver's webhook endpoint, such as `http://receiver:8080/webhook`."""
    credentials_file: str | None = None
    """File holding the receiver's bearer token."""
    watchdog_fallback_url: str | None = None
    """Webhook the receiver calls when the always-firing Watchdog stops arriving (a dead man's
    switch): not through Alertmanager, which may be what is down. Such as a paging service's
    heartbeat or an on-call chat webhook; no credentials in the URL."""


class Alertmanager(SpecModel):
    """Alertmanager-wide settings: the default route, SMTP, Slack, inhibition, history."""

    kind: Literal["Alertmanager"]
    default_receiver: ReceiverName
    """Receiver of every alert no team route takes, so nothing is dropped. It must reach a human."""
    group_by: list[LabelName] = Field(default_factory=lambda: ["alertname", "team", "service"])
    """Labels that group alerts into one notification, unless a route says otherwise."""
    group_wait: DurationText = "30s"
    """Wait for more alerts of a new group before the first notification."""
    group_interval: DurationText = "5m"
    """Wait before notifying about new alerts in a group already notified."""
    repeat_interval: DurationText = "4h"
    """Wait before repeating a notification that is still firing."""
    resolve_timeout: DurationText = "5m"
    """When an alert without an end time counts as resolved (alerts from Prometheus carry one)."""
    smtp: SMTP | None = None
    """Mail server, needed by email channels."""
    slack_api_url_file: str | None = None
    """File holding the default Slack webhook URL."""
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    """Inhibition rules, beside the generated ones."""
    inhibit_warning_when_critical: bool = True
    """Generate the rule: a critical alert mutes the warning of the same alert, service and instance."""
    history: History | None = None
    """The notification history receiver, if deployed."""


class RoutingCase(SpecModel):
    """One routing test: an alert's labels and the receivers it must reach, in order."""

    labels: Labels = Field(min_length=1)
    """Labels of the alert, such as `{team: payments, severity: critical}`."""
    receivers: list[ReceiverName] = Field(min_length=1)
    """Receivers the alert must reach (all of them, in routing order)."""


class RoutingTest(SpecModel):
    """Routing tests, run by `gen check` through `amtool config routes test`."""

    kind: Literal["RoutingTest"]
    name: str
    """What these cases test."""
    cases: list[RoutingCase] = Field(min_length=1)
    """The cases."""
