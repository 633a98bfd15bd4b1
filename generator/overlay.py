"""Environment overlays, applied to the raw trees before validation.

Merging raw trees (not validated models) means an overlay can change any field, a patched value
is validated like any other, and an error in it points into the overlay file, because merged
values keep the position they were written at.

Merge rules (RFC 7386 JSON merge patch, plus lists of named items):
- mappings merge key by key; `null` removes a key;
- a list whose items are mappings with `name` (alerts) or `record` (recording rules) merges item
  by item on that key, new items are appended;
- any other value replaces the old one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.diagnostics import Diagnostic
from generator.load import RawDocument
from generator.source import PosDict, PosList, locate
from generator.spec import SINGLETONS
from generator.spec.validate import ParsedDocument

ITEM_KEYS = ("name", "record")


@dataclass(frozen=True)
class PatchRef:
    """One patch of an overlay, with its positioned tree."""

    environment: str
    target: str
    tree: PosDict
    overlay: ParsedDocument
    index: int


def patches_for(overlays: Iterable[ParsedDocument], environment: str) -> list[PatchRef]:
    found: list[PatchRef] = []
    for document in overlays:
        spec = document.spec
        if getattr(spec, "environment", None) != environment:
            continue
        raw_patches = document.raw.data["patches"]
        for index, patch in enumerate(spec.patches):  # type: ignore[union-attr]
            found.append(PatchRef(environment, patch.target, raw_patches[index]["patch"], document, index))
    return found


def target_key(data: PosDict) -> str:
    kind = str(data.get("kind", ""))
    if kind in SINGLETONS:
        return kind
    return f"{kind}/{data.get('name', '')}"


def apply(
    documents: list[RawDocument], patches: list[PatchRef]
) -> tuple[list[RawDocument], list[Diagnostic]]:
    """Return the documents with the patches merged in, and a diagnostic per dangling target."""
    by_target: dict[str, int] = {}
    for position, document in enumerate(documents):
        by_target.setdefault(target_key(document.data), position)
    result = list(documents)
    problems: list[Diagnostic] = []
    for patch in patches:
        found = by_target.get(patch.target)
        if found is None and patch.target in SINGLETONS:
            # Prometheus and Settings exist with their defaults even when nobody wrote them.
            implicit = PosDict(patch.tree.location)
            implicit.set("kind", patch.target, patch.tree.location, patch.tree.location)
            result.append(RawDocument(patch.overlay.raw.file, -1, implicit))
            found = by_target[patch.target] = len(result) - 1
        if found is None:
            known = sorted(by_target)
            close = difflib.get_close_matches(patch.target, known, n=1, cutoff=0.6)
            problems.append(
                Diagnostic(
                    locate(patch.overlay.raw.data, ["patches", patch.index, "target"]),
                    f"overlay for {patch.environment!r} patches {patch.target!r}, "
                    "which no definition declares",
                    path=f"patches[{patch.index}].target",
                    hint=f"did you mean {close[0]!r}?"
                    if close
                    else "targets are `Kind/name` of a definition, e.g. "
                    + (known[0] if known else "Service/api"),
                )
            )
            continue
        original = result[found]
        result[found] = RawDocument(original.file, original.index, merge(original.data, patch.tree))
    return result, problems


def merge(base: Any, patch: Any) -> Any:
    if isinstance(base, PosDict) and isinstance(patch, PosDict):
        merged = base.copy_shallow()
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
                continue
            if key in merged and isinstance(merged[key], PosDict | PosList):
                combined = merge(merged[key], value)
                location = (
                    merged.value_locations[key] if combined is not value else patch.value_locations[key]
                )
                merged.set(key, combined, merged.key_locations[key], location)
            else:
                merged.set(key, value, patch.key_locations[key], patch.value_locations[key])
        return merged
    if isinstance(base, PosList) and isinstance(patch, PosList):
        item_key = _item_key(base) or _item_key(patch)
        if item_key and _item_key(patch) == item_key:
            return _merge_named(base, patch, item_key)
    return patch


def _item_key(items: PosList) -> str | None:
    for key in ITEM_KEYS:
        if items and all(isinstance(i, PosDict) and key in i for i in items):
            return key
    return None


def _merge_named(base: PosList, patch: PosList, key: str) -> PosList:
    merged = PosList(base.location)
    index = {item[key]: position for position, item in enumerate(base)}
    replacements: dict[int, Any] = {}
    appended: list[tuple[Any, Any]] = []
    for item, location in zip(patch, patch.item_locations, strict=True):
        if item[key] in index:
            position = index[item[key]]
            replacements[position] = merge(replacements.get(position, base[position]), item)
        else:
            appended.append((item, location))
    for position, (item, location) in enumerate(zip(base, base.item_locations, strict=True)):
        merged.add(replacements.get(position, item), location)
    for item, location in appended:
        merged.add(item, location)
    return merged
