"""Positioned YAML trees: plain dicts and lists that remember where each value was written.

The loader builds these; overlays merge them (a patched value keeps the overlay file's position);
spec validation errors are mapped back to a `file:line:col` through `locate`.

Locations are computed when somebody asks. A tree the loader built keeps its parser node and a
`TreeSource` that turns nodes into `Location`s; most trees are validated and compiled without a
single location being read (a build of 500 dashboards made 154,000 of them to read none, 0.25 s
of its 1.4 s, bench/RESULTS.md). Trees built in code (imports, overlays) carry their locations
from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from generator.diagnostics import Location


class TreeSource(Protocol):
    """What a loader leaves behind to locate the parts of the trees it built, later.

    A source is `stale` when the trees came from another process (`generator.forks`): their
    parser nodes stayed there. `refresh()` parses the file again and gives every tree of it the
    new nodes and source; trees it cannot match (the file changed meanwhile) keep the stale
    source, which then locates everything at the file itself.
    """

    stale: bool
    display_name: str  # the file, as users read its path

    def refresh(self) -> None:
        """Give the trees of this source their parser nodes back (a no-op unless stale)."""

    def location(self, node: Any) -> Location:
        """Where `node` (a mapping, sequence or scalar node) is written."""

    def entries(self, node: Any) -> list[tuple[str, Any, Any]]:
        """The `(key, key node, value node)` of a mapping node, in the order they are written."""

    def items(self, node: Any) -> list[Any]:
        """The item nodes of a sequence node."""


class _Located:
    """What a mapping and a sequence share: where they are, and what locates them. It has no
    slots of its own, so `dict` and `list` subclasses can take it beside theirs (two bases with
    slots would conflict); the subclasses declare the slots it assigns, which mypy cannot see
    from here, hence the two `misc` ignores."""

    __slots__ = ()
    _location: Location | None
    _source: TreeSource | None
    _node: Any

    @property
    def location(self) -> Location:
        if self._location is None:
            source, node = self._origin()
            self._location = source.location(node)  # type: ignore[misc]
        return self._location

    @property
    def origin(self) -> tuple[TreeSource | None, Any]:
        """The source and parser node this tree is located with (None for a tree built in code)."""
        return self._source, self._node

    def bind(self, source: TreeSource | None, node: Any) -> None:
        """Locate this tree with another source and node (the loader moves trees between
        processes with these)."""
        self._source, self._node = source, node  # type: ignore[misc]

    def _origin(self) -> tuple[TreeSource, Any]:
        """The source and parser node this tree is located with, brought back if stale."""
        source = self._source
        assert source is not None, "a tree built in code carries its locations"
        if source.stale:
            source.refresh()
            source = self._source
            assert source is not None
        return source, self._node


class PosDict(_Located, dict[str, Any]):
    """A YAML mapping with the location of itself, of each key and of each value."""

    __slots__ = ("_key_locations", "_location", "_node", "_source", "_value_locations")

    def __init__(
        self, location: Location | None = None, *, source: TreeSource | None = None, node: Any = None
    ):
        super().__init__()
        self._location = location
        self._source = source
        self._node = node
        self._key_locations: dict[str, Location] | None = None if source is not None else {}
        self._value_locations: dict[str, Location] | None = None if source is not None else {}

    def file_of_parts(self) -> str | None:
        """The file this mapping's keys and values are written in, when known without locating
        them (a loaded mapping: its file; one built or changed in code may mix files)."""
        return self._source.display_name if self._source is not None and self._key_locations is None else None

    def _located(self) -> tuple[dict[str, Location], dict[str, Location]]:
        """Every key's and value's location, computed once (a repeated key: the last one)."""
        if self._key_locations is None or self._value_locations is None:
            source, node = self._origin()
            keys: dict[str, Location] = {}
            values: dict[str, Location] = {}
            for key, key_node, value_node in source.entries(node):
                keys[key] = source.location(key_node)
                values[key] = source.location(value_node)
            if len(keys) < len(self):  # the file changed before a stale tree was located
                for key in self.keys() - keys.keys():
                    keys[key] = values[key] = self.location
            self._key_locations, self._value_locations = keys, values
        return self._key_locations, self._value_locations

    @property
    def key_locations(self) -> dict[str, Location]:
        return self._located()[0]

    @property
    def value_locations(self) -> dict[str, Location]:
        return self._located()[1]

    def _one(self, key: str, value: bool) -> Location | None:
        """One key's (or value's) location, without locating the rest of the mapping."""
        known = self._value_locations if value else self._key_locations
        if known is not None:
            return known.get(key)
        source, node = self._origin()
        found = None
        for written, key_node, value_node in source.entries(node):
            if written == key:
                found = value_node if value else key_node
        return None if found is None else source.location(found)

    def value_location(self, key: str, default: Location | None = None) -> Location:
        """Where the value of `key` is written; `default` (else the mapping) when it is not."""
        return self._one(key, True) or default or self.location

    def key_location(self, key: str, default: Location | None = None) -> Location:
        """Where `key` itself is written; `default` (else the mapping) when it is not."""
        return self._one(key, False) or default or self.location

    def set(self, key: str, value: Any, key_location: Location, value_location: Location) -> None:
        keys, values = self._located()
        self[key] = value
        keys[key] = key_location
        values[key] = value_location

    def copy_shallow(self) -> PosDict:
        twin = PosDict(self.location)
        keys, values = self._located()
        for key, value in self.items():
            twin.set(key, value, keys.get(key, self.location), values.get(key, self.location))
        return twin


class PosList(_Located, list[Any]):
    """A YAML sequence with the location of itself and of each item."""

    __slots__ = ("_item_locations", "_location", "_node", "_source")

    def __init__(
        self, location: Location | None = None, *, source: TreeSource | None = None, node: Any = None
    ):
        super().__init__()
        self._location = location
        self._source = source
        self._node = node
        self._item_locations: list[Location] | None = None if source is not None else []

    def file_of_parts(self) -> str | None:
        """The file this list's items are written in, when known without locating them."""
        return (
            self._source.display_name if self._source is not None and self._item_locations is None else None
        )

    @property
    def item_locations(self) -> list[Location]:
        if self._item_locations is None:
            source, node = self._origin()
            located = [source.location(n) for n in source.items(node)]
            # A stale source that could not match this list knows no items: the list itself.
            self._item_locations = located or [self.location] * len(self)
        return self._item_locations

    def item_location(self, index: int) -> Location:
        """Where item `index` is written, without locating the other items."""
        if self._item_locations is not None:
            return self._item_locations[index]
        source, node = self._origin()
        items = source.items(node)
        return source.location(items[index]) if index < len(items) else self.location

    def add(self, value: Any, location: Location) -> None:
        self.item_locations.append(location)
        self.append(value)


def location_of(node: Any, default: Location) -> Location:
    if isinstance(node, PosDict | PosList):
        return node.location
    return default


def locate(tree: Any, path: Sequence[str | int], *, key: bool = False) -> Location:
    """The location of the value at `path`, or of the deepest part of it that exists.

    Path parts that are not keys of the tree (pydantic inserts union tags such as `threshold`)
    are skipped. With `key=True` the location of the last mapping key is returned instead of
    its value (for "unknown key" messages). The answer is a `DeferredLocation`: the resolver
    notes where each of 10,000 alerts was written, and only a diagnostic ever reads one.
    """
    current = tree
    # The deepest step taken: (container, part, whether it is the path's last part).
    deepest: tuple[PosDict | PosList, str | int, bool] | None = None
    for index, part in enumerate(path):
        if isinstance(current, PosDict) and isinstance(part, str) and part in current:
            deepest = (current, part, index == len(path) - 1)
            current = current[part]
        elif isinstance(current, PosList) and isinstance(part, int) and 0 <= part < len(current):
            deepest = (current, part, False)
            current = current[part]
    if deepest is None:
        return location_of(tree, Location("<unknown>"))
    container, part, last = deepest
    return DeferredLocation(container, part, last and key)


def _locate_step(container: PosDict | PosList, part: str | int, key: bool) -> Location:
    if isinstance(container, PosList):
        return container.item_location(int(part))
    if key:
        return container.key_location(str(part))
    return container.value_location(str(part))


_FIELDS = ("file", "line", "column", "width")


class DeferredLocation(Location):
    """A `Location` that finds itself in its tree when first read.

    It is a `Location` in every way that shows: same fields, equal to and ordered with plain
    `Location`s by file, line and column, hashed alike, pickled as a plain one.
    """

    def __init__(self, container: PosDict | PosList, part: str | int, key: bool) -> None:
        object.__setattr__(self, "_where", (container, part, key))

    def __getattribute__(self, name: str) -> Any:
        # The fields have class-level defaults (`line = 0`), so `__getattr__` would never be
        # asked for them: every field read comes through here until the location is found.
        if name not in _FIELDS:
            return object.__getattribute__(self, name)
        state = object.__getattribute__(self, "__dict__")
        if name in state:
            return state[name]
        container, part, key = state["_where"]
        if name == "file":
            # The file alone is known without locating (it names the sources of generated files).
            known = container.file_of_parts()
            if known is not None:
                state["file"] = known
                return known
        found = _locate_step(container, part, key)
        for field in _FIELDS:
            state[field] = getattr(found, field)
        del state["_where"]
        return state[name]

    def _compared(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._compared() == (other.file, other.line, other.column)
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._compared() < (other.file, other.line, other.column)
        return NotImplemented

    def __le__(self, other: object) -> bool:
        return self == other or self < other

    def __gt__(self, other: object) -> bool:
        if isinstance(other, Location):
            return self._compared() > (other.file, other.line, other.column)
        return NotImplemented

    def __ge__(self, other: object) -> bool:
        return self == other or self > other

    def __hash__(self) -> int:
        return hash(self._compared())

    def __reduce__(self) -> tuple[type[Location], tuple[str, int, int, int]]:
        return (Location, (self.file, self.line, self.column, self.width))


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
