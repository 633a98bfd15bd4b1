"""OpenSLO v1 alert policies (inline or by `alertPolicyRef`) as the native SLO's alert tiers.

Native SLOs alert with the SRE workbook's multiwindow burn rates: a page tier (14.4x over 1h, 6x
over 6h for a 30-day period) and a ticket tier (3x over 1d, 1x over 3d), scaled to the period. A
`burnrate` condition whose threshold and lookback window are one of these turns its tier on, with
the condition's severity (`page` reads as critical, `ticket` as warning) and `alertAfter` as `for`.
Tiers no policy names are turned off; `alertWhenNoData` turns the no-data alert on.

A condition that is not one of these alerts is reported (a warning) and the SLO then keeps the
default tiers: an SLO that asked for alerts is never left without them. Notification targets and
`alertWhenResolved` are notes: routing comes from the owning team, resolved notifications from
its receivers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from generator.durations import Duration, parse_duration
from generator.imports.openslo_catalog import Catalog, shorthand, spec_of
from generator.imports.tree import Claim, Node, Notes, native, put
from generator.slo_windows import BurnWindow, burn_windows
from generator.source import PosDict

SEVERITIES = {
    "critical": "critical",
    "warning": "warning",
    "info": "info",
    "page": "critical",
    "ticket": "warning",
}
TIERS = ("page", "ticket")


@dataclass
class Plan:
    """What the policies of one SLO ask for, tier by tier."""

    tiers: dict[str, tuple[Claim | None, Claim | None, Node]] = field(default_factory=dict)
    named: set[tuple[str, int]] = field(default_factory=set)
    unmapped: bool = False
    no_data: Claim | None = None


def alerting(spec: Node, period: Duration, catalog: Catalog, notes: Notes) -> PosDict | None:
    """The native `alerting` of an SLO with `alertPolicies`; None keeps the defaults."""
    policies = notes.mappings(spec, "alertPolicies")
    if not policies:
        return None
    windows = burn_windows(period)
    plan = Plan()
    for item in policies:
        policy = _policy(item, catalog, notes)
        if policy is not None:
            _read_policy(policy, windows, plan, catalog, notes)
    where = spec.at("alertPolicies")
    tree = native(where)
    for tier in TIERS:
        native_tier = native(where)
        if tier in plan.tiers:
            severity, after, condition = plan.tiers[tier]
            if severity is not None:
                put(native_tier, "severity", severity.value, severity.location)
            if after is not None:
                put(native_tier, "for", after.value, after.location)
            _other_windows(tier, windows, plan, condition, notes)
        elif not plan.unmapped:
            put(native_tier, "enabled", False, where)
        if native_tier:
            put(tree, tier, native_tier, where)
    no_data = native(where)
    put(no_data, "enabled", plan.no_data is not None, plan.no_data.location if plan.no_data else where)
    put(tree, "no_data", no_data, where)
    return tree


def _policy(item: Node, catalog: Catalog, notes: Notes) -> Node | None:
    if "alertPolicyRef" in item.data:
        notes.unknown_keys(item, ("alertPolicyRef",), "an alert policy reference")
        ref = notes.text(item, "alertPolicyRef")
        entry = (
            catalog.find(
                "AlertPolicy", Claim(ref, item.at("alertPolicyRef")), item.where("alertPolicyRef"), notes
            )
            if ref is not None
            else None
        )
        return spec_of(entry.node, notes) if entry is not None else None
    notes.unknown_keys(item, ("kind", "metadata", "spec"), "an inline OpenSLO AlertPolicy")
    return spec_of(item, notes)


def _read_policy(
    policy: Node, windows: tuple[BurnWindow, ...], plan: Plan, catalog: Catalog, notes: Notes
) -> None:
    notes.unknown_keys(
        policy,
        (
            "description",
            "alertWhenNoData",
            "alertWhenResolved",
            "alertWhenBreaching",
            "conditions",
            "notificationTargets",
        ),
        "an OpenSLO AlertPolicy",
    )
    if notes.flag(policy, "alertWhenNoData"):
        plan.no_data = plan.no_data or Claim("true", policy.at("alertWhenNoData"))
    if notes.flag(policy, "alertWhenResolved"):
        notes.info(
            policy.key_at("alertWhenResolved"),
            "resolved notifications are sent by the team's receivers (their `send_resolved`)",
            path=policy.where("alertWhenResolved"),
        )
    if "notificationTargets" in policy.data:
        notes.info(
            policy.key_at("notificationTargets"),
            "notification targets are not imported: alerts go where the owning team routes them",
            path=policy.where("notificationTargets"),
            hint="see the team's `routing` (kind: Team)",
        )
    if notes.flag(policy, "alertWhenBreaching") is not True:
        notes.info(
            policy.data.location,
            "alertWhenBreaching is not true: this policy raises no burn-rate alert",
            path=policy.where(),
        )
        return
    for item in notes.mappings(policy, "conditions", required=True):
        condition = _condition(item, catalog, notes)
        if condition is not None:
            _read_condition(condition, windows, plan, notes)


def _condition(item: Node, catalog: Catalog, notes: Notes) -> Node | None:
    if "conditionRef" in item.data:
        notes.unknown_keys(item, ("conditionRef",), "an alert condition reference")
        ref = notes.text(item, "conditionRef")
        entry = (
            catalog.find(
                "AlertCondition", Claim(ref, item.at("conditionRef")), item.where("conditionRef"), notes
            )
            if ref is not None
            else None
        )
        return spec_of(entry.node, notes) if entry is not None else None
    notes.unknown_keys(item, ("kind", "metadata", "spec"), "an inline OpenSLO AlertCondition")
    return spec_of(item, notes)


def _read_condition(spec: Node, windows: tuple[BurnWindow, ...], plan: Plan, notes: Notes) -> None:
    notes.unknown_keys(spec, ("description", "severity", "condition"), "an OpenSLO AlertCondition")
    condition = notes.mapping(spec, "condition", required=True)
    if condition is None:
        return
    notes.unknown_keys(
        condition, ("kind", "op", "threshold", "lookbackWindow", "alertAfter"), "an alert condition"
    )
    kind = notes.text(condition, "kind") or "burnrate"
    op = notes.text(condition, "op", required=True)
    threshold = notes.number(condition, "threshold", required=True)
    lookback = shorthand(condition, "lookbackWindow", notes, required=True)
    after = shorthand(condition, "alertAfter", notes)
    if op is None or threshold is None or lookback is None:
        return
    lookback_ms = parse_duration(lookback.value).milliseconds
    burn = Decimal(repr(threshold)).normalize()
    found = [
        w
        for w in windows
        if kind == "burnrate"
        and op in ("gt", "gte")
        and w.burn_rate == burn
        and w.long.milliseconds == lookback_ms
    ]
    if not found:
        plan.unmapped = True
        offered = ", ".join(f"{w.burn_rate}x over {w.long} ({w.tier})" for w in windows)
        notes.warning(
            condition.data.location,
            f"{kind} {op} {threshold:g} over {lookback.value} is not one of the generated alerts: this SLO "
            "keeps the default page and ticket alerts",
            path=condition.where(),
            hint=f"for this SLO's period they are: {offered}",
        )
        return
    window = found[0]
    plan.named.add((window.tier, window.long.milliseconds))
    severity = _severity(spec, window.tier, notes)
    if window.tier in plan.tiers:
        first_severity = plan.tiers[window.tier][0]
        if severity is not None and first_severity is not None and severity.value != first_severity.value:
            notes.warning(
                severity.location,
                f"the {window.tier} tier already has severity {first_severity.value} "
                f"(line {first_severity.location.line}); a tier has one severity",
                path=spec.where("severity"),
            )
        return
    plan.tiers[window.tier] = (severity, after, condition)


def _severity(spec: Node, tier: str, notes: Notes) -> Claim | None:
    severity = notes.text(spec, "severity")
    if severity is None:
        return None
    mapped = SEVERITIES.get(severity.lower())
    if mapped is None:
        notes.warning(
            spec.at("severity"),
            f"severity {severity!r} is not one routing understands: the {tier} alerts keep their default",
            path=spec.where("severity"),
            hint="use critical, warning or info (page reads as critical, ticket as warning)",
        )
        return None
    return Claim(mapped, spec.at("severity"))


def _other_windows(
    tier: str, windows: tuple[BurnWindow, ...], plan: Plan, condition: Node, notes: Notes
) -> None:
    """A tier alerts on both of its windows; say so when a policy named only one."""
    for window in windows:
        if window.tier == tier and (tier, window.long.milliseconds) not in plan.named:
            notes.info(
                condition.data.location,
                f"the {tier} tier also alerts at {window.burn_rate}x over {window.long}",
                path=condition.where(),
            )
