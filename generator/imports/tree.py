"""Positioned trees for the importers: read a foreign document, build a native one.

Reading goes through `Node` (a mapping with its path in the foreign document) and `Notes` (the
diagnostics of the import, each at the `file:line:col` of what it is about). Building uses `put`,
which copies a foreign value's position into the native tree, so that when validation or the
resolver later finds a mistake in an imported value, the caret lands in the foreign file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Diagnostic, Location, Severity
from generator.source import PosDict, PosList, format_path

CODE = "import"


@dataclass(frozen=True)
class Node:
    """A mapping of a foreign document and where it sits in that document."""

    data: PosDict
    path: tuple[str | int, ...] = ()

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def at(self, key: str) -> Location:
        """Where the value of `key` is written (the mapping itself when the key is absent)."""
        return self.data.value_locations.get(key, self.data.location)

    def key_at(self, key: str) -> Location:
        return self.data.key_locations.get(key, self.data.location)

    def where(self, *parts: str | int) -> str:
        """The path of a key below this mapping, as users read paths (`slos[0].sli`)."""
        return format_path((*self.path, *parts))


@dataclass(frozen=True)
class Claim:
    """A value read from a foreign document, with where it was written."""

    value: str
    location: Location
    path: str = ""


@dataclass
class Notes:
    """The diagnostics of an import. Errors fail the build; warnings and notes do not."""

    items: list[Diagnostic] = field(default_factory=list)
    # Keys a typo was reported for, per mapping: their absence is that typo, not a second mistake.
    suggested: set[tuple[int, str]] = field(default_factory=set)

    def add(
        self, severity: Severity, location: Location, message: str, *, path: str = "", hint: str = ""
    ) -> None:
        self.items.append(Diagnostic(location, message, CODE, severity, path, hint))

    def error(self, location: Location, message: str, *, path: str = "", hint: str = "") -> None:
        self.add(Severity.ERROR, location, message, path=path, hint=hint)

    def warning(self, location: Location, message: str, *, path: str = "", hint: str = "") -> None:
        self.add(Severity.WARNING, location, message, path=path, hint=hint)

    def info(self, location: Location, message: str, *, path: str = "", hint: str = "") -> None:
        self.add(Severity.INFO, location, message, path=path, hint=hint)

    def unknown_keys(self, node: Node, known: Iterable[str], what: str) -> None:
        """Report keys `what` does not have, with the closest known key as a hint."""
        options = list(known)
        for key in node.data:
            if key in options:
                continue
            close = difflib.get_close_matches(key, options, n=1, cutoff=0.6)
            if close:
                self.suggested.add((id(node.data), close[0]))
            self.error(
                node.key_at(key),
                f"unknown key {key!r} in {what}",
                path=node.where(key),
                hint=f"did you mean {close[0]!r}?" if close else "known keys here: " + ", ".join(options),
            )

    def mapping(self, node: Node, key: str, *, required: bool = False) -> Node | None:
        value = node.get(key)
        if value is None:
            self._absent(node, key, required)
            return None
        if not isinstance(value, PosDict):
            self.error(node.at(key), f"expected a mapping under {key!r}", path=node.where(key))
            return None
        return Node(value, (*node.path, key))

    def mappings(self, node: Node, key: str, *, required: bool = False) -> list[Node]:
        """The mapping items of a list; other items are reported."""
        value = node.get(key)
        if value is None:
            self._absent(node, key, required)
            return []
        if not isinstance(value, PosList):
            self.error(node.at(key), f"expected a list under {key!r}", path=node.where(key))
            return []
        found = []
        for index, (item, where) in enumerate(zip(value, value.item_locations, strict=True)):
            if isinstance(item, PosDict):
                found.append(Node(item, (*node.path, key, index)))
            else:
                self.error(where, f"expected a mapping as item {index + 1} of {key!r}", path=node.where(key))
        return found

    def text(self, node: Node, key: str, *, required: bool = False) -> str | None:
        value = node.get(key)
        if value is None:
            self._absent(node, key, required)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(node.at(key), f"expected text under {key!r}", path=node.where(key))
            return None
        return str(value)

    def number(self, node: Node, key: str, *, required: bool = False) -> float | None:
        value = node.get(key)
        if value is None:
            self._absent(node, key, required)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(node.at(key), f"expected a number under {key!r}", path=node.where(key))
            return None
        return float(value)

    def flag(self, node: Node, key: str) -> bool | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(node.at(key), f"expected true or false under {key!r}", path=node.where(key))
            return None
        return value

    def missing(self, node: Node, key: str) -> None:
        """Report a required key that is absent (unless a typo of it was reported already)."""
        if (id(node.data), key) not in self.suggested:
            self.error(node.data.location, f"missing required key {key!r}", path=node.where())

    def _absent(self, node: Node, key: str, required: bool) -> None:
        if required:
            self.missing(node, key)


def native(location: Location) -> PosDict:
    """An empty native mapping placed at `location` of the foreign file."""
    return PosDict(location)


def put(tree: PosDict, key: str, value: Any, at: Location, key_at: Location | None = None) -> None:
    """Set `key` in a native tree, remembering the foreign position of its value (and key)."""
    tree.set(key, value, key_at or at, at)


def copy(tree: PosDict, key: str, node: Node, source: str) -> None:
    """Copy the foreign value of `source` into `tree[key]`, with its position."""
    put(tree, key, node.get(source), node.at(source), node.key_at(source))


def native_list(location: Location, items: Iterable[tuple[Any, Location]]) -> PosList:
    result = PosList(location)
    for value, where in items:
        result.add(value, where)
    return result
