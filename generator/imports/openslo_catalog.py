"""OpenSLO v1 objects by kind and name, and the small value types they share.

OpenSLO objects refer to each other by `metadata.name` (`indicatorRef`, `alertPolicyRef`,
`conditionRef`, `metricSourceRef`). The catalog finds them, suggests close names for a typo, and
remembers which were used so the ones no SLO uses can be reported.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from generator.imports.tree import Claim, Node, Notes

API_VERSION = "openslo/v1"
KINDS = ("SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "DataSource", "Service")
_SHORTHAND = re.compile(r"^([0-9]+)([mhdwMQY])$")


@dataclass(frozen=True)
class Entry:
    """One OpenSLO object: its root mapping and where it lives."""

    kind: str
    name: str
    node: Node
    file: str
    index: int


@dataclass
class Catalog:
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    used: set[tuple[str, str]] = field(default_factory=set)

    def add(self, entry: Entry, notes: Notes) -> None:
        key = (entry.kind, entry.name)
        first = self.entries.get(key)
        if first is not None:
            metadata = entry.node.get("metadata")
            where = metadata.value_locations["name"] if metadata else entry.node.data.location
            notes.error(
                where,
                f"a second OpenSLO {entry.kind} named {entry.name!r}",
                path="metadata.name",
                hint=f"the first is in {first.file}",
            )
            return
        self.entries[key] = entry

    def find(self, kind: str, ref: Claim, path: str, notes: Notes) -> Entry | None:
        """The object `ref` names, reported when there is none."""
        entry = self.entries.get((kind, ref.value))
        if entry is None:
            known = sorted(name for k, name in self.entries if k == kind)
            close = difflib.get_close_matches(ref.value, known, n=1, cutoff=0.6)
            notes.error(
                ref.location,
                f"no OpenSLO {kind} named {ref.value!r}",
                path=path,
                hint=f"did you mean {close[0]!r}?"
                if close
                else (f"{kind} objects: {', '.join(known)}" if known else f"declare it with `kind: {kind}`"),
            )
            return None
        self.used.add((kind, ref.value))
        return entry


def spec_of(node: Node, notes: Notes) -> Node | None:
    """The `spec` mapping of an object (inline or declared on its own)."""
    return notes.mapping(node, "spec", required=True)


def shorthand(node: Node, key: str, notes: Notes, *, required: bool = False) -> Claim | None:
    """An OpenSLO duration shorthand (`28d`, `4w`, `1h`) as a Prometheus duration.

    Months and quarters have no fixed length in days, so they are refused rather than guessed;
    a year is 365 days, as Prometheus counts it.
    """
    text = notes.text(node, key, required=required)
    if text is None:
        return None
    match = _SHORTHAND.match(text.strip())
    where = node.at(key)
    if match is None:
        notes.error(
            where,
            f"expected an OpenSLO duration such as 30d, 4w or 1h, got {text!r}",
            path=node.where(key),
        )
        return None
    number, unit = match.groups()
    if unit in "MQ":
        notes.error(
            where,
            f"{text} is not a whole number of days: months and quarters vary in length",
            path=node.where(key),
            hint="write days, such as 30d for a month or 90d for a quarter",
        )
        return None
    return Claim(f"{number}{unit.lower()}", where)


def labels_of(metadata: Node | None, notes: Notes) -> list[tuple[str, list[Claim], Claim]]:
    """`metadata.labels`: each key with its values (a label may hold a list) and the key's place."""
    if metadata is None:
        return []
    labels = notes.mapping(metadata, "labels")
    if labels is None:
        return []
    found = []
    for key, value in labels.data.items():
        values: list[Claim] = []
        if isinstance(value, list):
            locations = getattr(value, "item_locations", [labels.at(key)] * len(value))
            values = [Claim(str(v), at) for v, at in zip(value, locations, strict=True)]
        elif value is not None:
            values = [Claim(str(value).lower() if isinstance(value, bool) else str(value), labels.at(key))]
        found.append((key, values, Claim(key, labels.key_at(key))))
    return found
