"""Attach imported SLOs to services: the native `kind: Service` of that name, or a synthesized one.

A foreign format names its service by a string. When a native Service of that name exists, the
imported SLOs are appended to its `slos` (a `team` the foreign file states must agree with it).
Otherwise a Service is synthesized from what the foreign files say: the name, a team (from a
`team` label, else an `owner` label), a tier and a description when given. It has no metric
shortcuts and no scrape job: imported SLIs are written as selectors or queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from generator.diagnostics import Location
from generator.imports.tree import Claim, Notes, native, native_list, put
from generator.load import RawDocument
from generator.source import PosDict, PosList
from generator.spec.common import NAME_PATTERN, PATTERN_MEANINGS


@dataclass
class Imported:
    """The native SLO trees one foreign document declares for one service."""

    service: str
    service_at: Location
    file: str
    index: int
    team_hint: str
    """How this format names a team, for the message when none is given."""
    slos: list[PosDict] = field(default_factory=list)
    teams: list[Claim] = field(default_factory=list)
    """Teams the document states (a `team` label): they must agree with the service's."""
    owners: list[Claim] = field(default_factory=list)
    """Weaker: an `owner` label names the team only when a service is synthesized."""
    tier: Claim | None = None
    description: Claim | None = None


Slot = RawDocument | list[Imported]
"""A document as loaded (native, kept), or what a foreign document was translated into."""


def attach(slots: list[Slot], notes: Notes) -> list[RawDocument]:
    """The native documents, with imported SLOs appended to their service or in a new one."""
    natives: dict[str, int] = {}
    for position, slot in enumerate(slots):
        if isinstance(slot, RawDocument) and slot.data.get("kind") == "Service":
            name = slot.data.get("name")
            if isinstance(name, str):
                natives.setdefault(name, position)
    groups: dict[str, list[Imported]] = {}
    first: dict[str, int] = {}
    for position, slot in enumerate(slots):
        if isinstance(slot, list):
            for imported in slot:
                groups.setdefault(imported.service, []).append(imported)
                first.setdefault(imported.service, position)
    replaced: dict[int, RawDocument] = {}
    created: dict[int, list[RawDocument]] = {}
    for name, group in groups.items():
        if name in natives:
            position = natives[name]
            original = slots[position]
            assert isinstance(original, RawDocument)
            replaced[position] = _extended(original, group, notes)
        else:
            document = _synthesized(name, group, notes)
            if document is not None:
                created.setdefault(first[name], []).append(document)
    result: list[RawDocument] = []
    for position, slot in enumerate(slots):
        if isinstance(slot, RawDocument):
            result.append(replaced.get(position, slot))
        result.extend(created.get(position, []))
    return result


def _extended(original: RawDocument, group: list[Imported], notes: Notes) -> RawDocument:
    data = original.data
    team = data.get("team")
    name = data["name"]
    for claim in (c for imported in group for c in imported.teams):
        if isinstance(team, str) and claim.value != team:
            declared = f"{original.file}:{data.value_locations['team'].line}"
            notes.error(
                claim.location,
                path=claim.path,
                message=f"this file says team {claim.value!r}, but service {name!r} is declared with "
                f"team {team!r} ({declared})",
                hint="alerts are routed by the service's team; make the two agree or drop the label",
            )
    tier = data.get("tier", 2)
    for imported in group:
        if imported.tier is not None and imported.tier.value != str(tier):
            notes.warning(
                imported.tier.location,
                path=imported.tier.path,
                message=f"tier {imported.tier.value} here, but service {name!r} is declared with "
                f"tier {tier} ({original.file})",
                hint="the declared service's tier is kept",
            )
    existing = data.get("slos")
    if existing is not None and not isinstance(existing, PosList):
        return original  # validation reports the user's own `slos:`; nothing to append to
    first_slo = group[0].slos[0].location if group[0].slos else data.location
    slos = PosList(existing.location if existing is not None else first_slo)
    for value, where in zip(existing or [], existing.item_locations if existing else [], strict=True):
        slos.add(value, where)
    for imported in group:
        for slo in imported.slos:
            slos.add(slo, slo.location)
    extended = data.copy_shallow()
    extended.set(
        "slos",
        slos,
        data.key_locations.get("slos", first_slo),
        data.value_locations.get("slos", first_slo),
    )
    return RawDocument(original.file, original.index, extended)


def _synthesized(name: str, group: list[Imported], notes: Notes) -> RawDocument | None:
    head = group[0]
    if not re.match(NAME_PATTERN, name):
        notes.error(
            head.service_at,
            f"service name {name!r} cannot be a service here: expected {PATTERN_MEANINGS[NAME_PATTERN]}",
            path="service",
            hint="rename the service, or declare a `kind: Service` with a valid name and keep this "
            "file's name for it in sync",
        )
        return None
    claims = [c for imported in group for c in imported.teams] or [
        c for imported in group for c in imported.owners
    ]
    if not claims:
        notes.error(
            head.service_at,
            f"no team owns service {name!r}: no `kind: Service` declares it and this file names no team",
            path="service",
            hint=f"declare it (`kind: Service`, `name: {name}`, `team: <team>`) or {head.team_hint}",
        )
        return None
    team = claims[0]
    for other in claims[1:]:
        if other.value != team.value:
            notes.error(
                other.location,
                path=other.path,
                message=f"service {name!r} would be owned by {other.value!r} here and by {team.value!r} at "
                f"{team.location}",
                hint="a service has one owning team; make the labels agree",
            )
            return None
    data = native(head.service_at)
    put(data, "kind", "Service", head.service_at)
    put(data, "name", name, head.service_at)
    put(data, "team", team.value, team.location)
    tier = next((i.tier for i in group if i.tier is not None), None)
    if tier is not None:
        put(data, "tier", int(tier.value), tier.location)
    description = next((i.description for i in group if i.description is not None), None)
    if description is not None:
        put(data, "description", description.value, description.location)
    slos = [slo for imported in group for slo in imported.slos]
    put(data, "slos", native_list(head.service_at, ((s, s.location) for s in slos)), head.service_at)
    return RawDocument(head.file, -1, data)
