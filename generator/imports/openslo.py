"""OpenSLO v1 documents (`apiVersion: openslo/v1`) translated into native SLO trees.

Every OpenSLO kind is taken out of the native documents (an OpenSLO `kind: Service` is not ours).
Each `SLO` becomes a native SLO of the service `spec.service` names:

| OpenSLO                                 | native                                                 |
|-----------------------------------------|--------------------------------------------------------|
| `metadata.name`                         | the SLO's `name`                                       |
| `spec.description` (else `displayName`) | `description`                                          |
| `spec.timeWindow[0]` rolling `duration` | `period` (30d when absent; calendar windows refused)   |
| `objectives[0].target` / `targetPercent`| `objective` (a percentage)                             |
| `indicator` / `indicatorRef`            | `sli` (see `openslo_sli`)                              |
| `alertPolicies`                         | `alerting` (see `openslo_alerts`)                      |
| `metadata.labels`                       | the SLO's `labels`; `team`/`owner` name the owning team |

An OpenSLO `Service` gives the description and team of a service that is not declared natively.
Composite SLOs and several objectives per SLO are refused with a diagnostic; objects no SLO uses
are noted.
"""

from __future__ import annotations

import re
from decimal import Decimal

from generator import conventions as names
from generator.diagnostics import Location
from generator.durations import parse_duration
from generator.imports.attach import Imported
from generator.imports.openslo_alerts import alerting
from generator.imports.openslo_catalog import API_VERSION, KINDS, Catalog, Entry, labels_of, shorthand
from generator.imports.openslo_sli import indicator
from generator.imports.tree import Claim, Node, Notes, native, put
from generator.load import RawDocument
from generator.source import PosDict
from generator.spec.common import LABEL_NAME_PATTERN

DEFAULT_PERIOD = "30d"
SLO_KEYS = ("timeWindow", "objectives", "alertPolicies")
OBJECTIVE_KEYS = ("timeSliceWindow", "indicator", "indicatorRef", "compositeWeight")
TEAM_HINT = "add a `team` label to the SLO's or the OpenSLO Service's `metadata.labels`"
GENERATED_LABELS = frozenset(
    {names.SERVICE_LABEL, names.SEVERITY_LABEL, names.SLI_LABEL, names.SLO_LABEL, names.TIER_LABEL}
    | {names.LONG_WINDOW_LABEL, names.SHORT_WINDOW_LABEL, "alertname"}
)


def recognizes(raw: RawDocument) -> bool:
    api = raw.data.get("apiVersion")
    return isinstance(api, str) and api.startswith("openslo/")


def translate(documents: list[RawDocument], notes: Notes) -> dict[tuple[str, int], list[Imported]]:
    """The SLOs of every OpenSLO document, keyed by the document that declared them."""
    catalog = Catalog()
    for raw in documents:
        entry = _entry(raw, notes)
        if entry is not None:
            catalog.add(entry, notes)
    result: dict[tuple[str, int], list[Imported]] = {}
    for entry in list(catalog.entries.values()):
        if entry.kind == "SLO":
            imported = _slo(entry, catalog, notes)
            result[(entry.file, entry.index)] = [imported] if imported is not None else []
    for (kind, name), entry in catalog.entries.items():
        if kind not in ("SLO", "AlertNotificationTarget") and (kind, name) not in catalog.used:
            notes.info(
                entry.node.at("kind"),
                f"OpenSLO {kind} {name!r} is not used by any SLO: nothing is generated from it",
                path="kind",
            )
        elif kind == "AlertNotificationTarget":
            notes.info(
                entry.node.at("kind"),
                "notification targets are not imported: alerts go where the owning team routes them",
                path="kind",
                hint="see the team's `routing` (kind: Team)",
            )
    return result


def _entry(raw: RawDocument, notes: Notes) -> Entry | None:
    root = Node(raw.data)
    if raw.data.get("apiVersion") != API_VERSION:
        notes.error(
            root.at("apiVersion"),
            f"OpenSLO {raw.data.get('apiVersion')} is not supported",
            path="apiVersion",
            hint=f"documents are imported in the {API_VERSION} format",
        )
        return None
    kind = notes.text(root, "kind", required=True)
    if kind is not None and kind not in KINDS:
        notes.error(
            root.at("kind"), f"unknown OpenSLO kind {kind!r}", path="kind", hint="kinds: " + ", ".join(KINDS)
        )
        return None
    notes.unknown_keys(root, ("apiVersion", "kind", "metadata", "spec"), f"an OpenSLO {kind}")
    metadata = notes.mapping(root, "metadata", required=True)
    name = notes.text(metadata, "name", required=True) if metadata is not None else None
    if kind is None or metadata is None or name is None:
        return None
    notes.unknown_keys(metadata, ("name", "displayName", "labels", "annotations"), "OpenSLO metadata")
    return Entry(kind, name, root, raw.file, raw.index)


def _slo(entry: Entry, catalog: Catalog, notes: Notes) -> Imported | None:
    metadata = Node(entry.node.get("metadata"), ("metadata",))
    spec = notes.mapping(entry.node, "spec", required=True)
    if spec is None:
        return None
    notes.unknown_keys(
        spec,
        (*("description", "service", "indicator", "indicatorRef", "budgetingMethod"), *SLO_KEYS),
        "an OpenSLO SLO",
    )
    service = notes.text(spec, "service", required=True)
    budgeting = notes.text(spec, "budgetingMethod", required=True)
    objective = _objective(spec, notes)
    period = _period(spec, notes)
    if service is None or budgeting is None or objective is None:
        return None
    imported = Imported(service, spec.at("service"), entry.file, entry.index, TEAM_HINT)
    tree = native(entry.node.data.location)
    put(tree, "name", entry.name, metadata.at("name"), metadata.key_at("name"))
    target, target_at, objective_node = objective
    put(tree, "objective", target, target_at)
    if period is not None:
        put(tree, "period", period.value, period.location)
    description = notes.text(spec, "description")
    if description is not None:
        put(tree, "description", description, spec.at("description"))
    elif isinstance(metadata.get("displayName"), str):
        put(tree, "description", metadata.get("displayName"), metadata.at("displayName"))
    labels = _labels(metadata, imported, notes)
    if labels:
        put(tree, "labels", labels, labels.location)
    _service(catalog, imported, notes)
    budget = Claim(budgeting, spec.at("budgetingMethod"))
    sli = indicator(spec, objective_node, budget, catalog, notes)
    if sli is None:
        return None
    put(tree, "sli", sli, sli.location)
    alerts = alerting(spec, parse_duration(period.value if period else DEFAULT_PERIOD), catalog, notes)
    if alerts is not None:
        put(tree, "alerting", alerts, alerts.location)
    imported.slos.append(tree)
    return imported


def _objective(spec: Node, notes: Notes) -> tuple[float, Location, Node] | None:
    objectives = notes.mappings(spec, "objectives", required=True)
    if not objectives:
        return None
    for extra in objectives[1:]:
        notes.error(
            extra.data.location,
            "one objective per SLO is imported",
            path=extra.where(),
            hint="write one SLO document per objective; SLOs on the same SLI share its recordings",
        )
    objective = objectives[0]
    notes.unknown_keys(
        objective,
        (*("displayName", "op", "value", "target", "targetPercent", "timeSliceTarget"), *OBJECTIVE_KEYS),
        "an OpenSLO objective",
    )
    for key in ("indicator", "indicatorRef", "compositeWeight"):
        if key in objective.data:
            notes.error(
                objective.key_at(key),
                "composite SLOs are not supported",
                path=objective.where(key),
                hint="write one SLO per indicator",
            )
            return None
    target = notes.number(objective, "target")
    percent = notes.number(objective, "targetPercent")
    if (target is None) == (percent is None):
        notes.error(
            objective.data.location,
            "give exactly one of `target` (0.999) or `targetPercent` (99.9)",
            path=objective.where(),
        )
        return None
    if percent is not None:
        return percent, objective.at("targetPercent"), objective
    assert target is not None
    if not 0 < target < 1:
        notes.error(
            objective.at("target"),
            f"a target is a fraction between 0 and 1, got {target:g}",
            path=objective.where("target"),
            hint="0.999 for 99.9%, or write targetPercent: 99.9",
        )
        return None
    return float(Decimal(repr(target)) * 100), objective.at("target"), objective


def _period(spec: Node, notes: Notes) -> Claim | None:
    windows = notes.mappings(spec, "timeWindow")
    if not windows:
        return None
    for extra in windows[1:]:
        notes.error(extra.data.location, "an SLO has one time window", path=extra.where())
    window = windows[0]
    notes.unknown_keys(window, ("duration", "isRolling", "calendar"), "an OpenSLO time window")
    if "calendar" in window.data or notes.flag(window, "isRolling") is not True:
        notes.error(
            window.key_at("calendar") if "calendar" in window.data else window.at("isRolling"),
            "calendar-aligned time windows are not supported: SLOs here are measured over a rolling period",
            path=window.where(),
            hint="use `isRolling: true` without `calendar`",
        )
        return None
    return shorthand(window, "duration", notes, required=True)


def _labels(metadata: Node, imported: Imported, notes: Notes) -> PosDict | None:
    """Single-valued labels with Prometheus names are kept; `team` and `owner` name the team."""
    tree: PosDict | None = None
    found = labels_of(metadata, notes)
    imported.owners.extend(_team(found))
    for key, values, key_at in found:
        if key == names.TEAM_LABEL:
            continue
        reason = (
            "the generator sets it"
            if key in GENERATED_LABELS
            else "it is not a Prometheus label name"
            if not re.match(LABEL_NAME_PATTERN, key)
            else "it holds several values"
            if len(values) != 1
            else ""
        )
        if reason:
            notes.warning(
                key_at.location,
                f"label {key!r} is not carried over to the SLO's series: {reason}",
                path=f"metadata.labels.{key}",
            )
            continue
        if tree is None:
            tree = native(key_at.location)
        put(tree, key, values[0].value, values[0].location, key_at.location)
    return tree


def _service(catalog: Catalog, imported: Imported, notes: Notes) -> None:
    """An OpenSLO Service of that name gives the description and team of a synthesized one."""
    entry = catalog.entries.get(("Service", imported.service))
    if entry is None:
        return
    catalog.used.add(("Service", imported.service))
    metadata = Node(entry.node.get("metadata"), ("metadata",))
    imported.owners.extend(_team(labels_of(metadata, notes)))
    spec = entry.node.get("spec")
    if isinstance(spec, PosDict) and isinstance(spec.get("description"), str):
        imported.description = Claim(spec["description"], spec.value_locations["description"])


def _team(labels: list[tuple[str, list[Claim], Claim]]) -> list[Claim]:
    """The team a `team` label names, else an `owner` label."""
    by_key = {key: values for key, values, _ in labels}
    return by_key.get(names.TEAM_LABEL) or by_key.get("owner") or []
