"""Positioned YAML trees: plain dicts and lists that remember where each value was written.

The loader builds these; overlays merge them (a patched value keeps the overlay file's position);
spec validation errors are mapped back to a `file:line:col` through `locate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.diagnostics import Location


class PosDict(dict[str, Any]):
    """A YAML mapping with the location of itself, of each key and of each value."""

    __slots__ = ("key_locations", "location", "value_locations")

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.key_locations: dict[str, Location] = {}
        self.value_locations: dict[str, Location] = {}

    def set(self, key: str, value: Any, key_location: Location, value_location: Location) -> None:
        self[key] = value
        self.key_locations[key] = key_location
        self.value_locations[key] = value_location

    def copy_shallow(self) -> PosDict:
        twin = PosDict(self.location)
        for key, value in self.items():
            twin.set(
                key,
                value,
                self.key_locations.get(key, self.location),
                self.value_locations.get(key, self.location),
            )
        return twin


class PosList(list[Any]):
    """A YAML sequence with the location of itself and of each item."""

    __slots__ = ("item_locations", "location")

    def __init__(self, location: Location) -> None:
        super().__init__()
        self.location = location
        self.item_locations: list[Location] = []

    def add(self, value: Any, location: Location) -> None:
        self.append(value)
        self.item_locations.append(location)


def location_of(node: Any, default: Location) -> Location:
    if isinstance(node, PosDict | PosList):
        return node.location
    return default


def locate(tree: Any, path: Sequence[str | int], *, key: bool = False) -> Location:
    """The location of the value at `path`, or of the deepest part of it that exists.

    Path parts that are not keys of the tree (pydantic inserts union tags such as `threshold`)
    are skipped. With `key=True` the location of the last mapping key is returned instead of
    its value (for "unknown key" messages).
    """
    current = tree
    here = location_of(tree, Location("<unknown>"))
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(current, PosDict) and isinstance(part, str) and part in current:
            here = current.key_locations[part] if (last and key) else current.value_locations[part]
            current = current[part]
        elif isinstance(current, PosList) and isinstance(part, int) and 0 <= part < len(current):
            here = current.item_locations[part]
            current = current[part]
        else:
            continue
    return here


def step(current: Any, part: str | int) -> tuple[bool, Any]:
    """One step down a tree: whether `part` is a key (or index) of `current`, and its value."""
    if isinstance(current, dict) and isinstance(part, str) and part in current:
        return True, current[part]
    if isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
        return True, current[part]
    return False, None


def value_at(tree: Any, path: Sequence[str | int]) -> tuple[bool, Any]:
    """The user's raw value at `path` (skipping parts that are not in the tree, like `locate`).

    The flag says whether the last part of the path exists.
    """
    current = tree
    found = True
    for part in path:
        found, child = step(current, part)
        if found:
            current = child
    return found, current


def format_path(path: Sequence[str | int]) -> str:
    """`('alerts', 2, 'for')` as `alerts[2].for`, the way users read paths."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out
