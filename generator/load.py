"""Stage 1, load: find the definition files and parse them into positioned trees.

Each file is read by `generator.yaml_reader` (positions, `!include`, duplicate keys, secret
shapes). Large repositories are read on several cores (`generator.forks`); the trees the workers
send back are located through `generator.load_workers` when a diagnostic asks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import forks, load_workers
from generator.conventions import INPUT_DIRS, USER_TEMPLATES_DIR
from generator.diagnostics import Diagnostic, Location
from generator.secret_values import SecretShapes
from generator.source import PosDict
from generator.yaml_reader import INCLUDE_FAILED, IncludeFailed, ReadContext, parse_stream

__all__ = ["INCLUDE_FAILED", "IncludeFailed", "LoadResult", "RawDocument", "discover", "load", "load_file"]

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RawDocument:
    """One YAML document of a definition file, before validation."""

    file: str
    index: int
    data: PosDict


@dataclass
class LoadResult:
    documents: list[RawDocument] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # Files spliced in by `!include`: inputs too, for whoever decides whether a build is current.
    included: set[str] = field(default_factory=set)


def discover(root: Path) -> list[Path]:
    """Definition files under the input folders, sorted; names starting with `_` or `.` are
    fragments meant for `!include` and are not loaded on their own."""
    found: list[Path] = []
    for folder in INPUT_DIRS:
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(("_", ".")))
            for name in filenames:
                if name.endswith(YAML_SUFFIXES) and not name.startswith(("_", ".")):
                    found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return "number" if isinstance(value, int | float) else "text" if isinstance(value, str) else "value"


def load_file(path: Path, root: Path) -> tuple[list[RawDocument], list[Diagnostic], set[str]]:
    """Parse one definition file into its non-empty documents."""
    return _load_file(path.resolve(), ReadContext(root.resolve()))


def _load_file(path: Path, context: ReadContext) -> Loaded:
    name = context.display(path)
    documents: list[RawDocument] = []
    for index, data in enumerate(parse_stream(path.read_bytes(), path, context)):
        if data is None:
            continue
        if not isinstance(data, PosDict):
            context.diagnostics.append(
                Diagnostic(
                    Location(name, 1, 1),
                    f"document {index + 1} is a {_kind_of(data)}, expected a mapping with a `kind` key",
                    code="definitions",
                )
            )
            continue
        documents.append(RawDocument(name, index, data))
    return documents, context.diagnostics, context.included


def load_templates(root: Path) -> tuple[tuple[str, str], ...]:
    """Users' own notification templates (`alertmanager/templates/*.tmpl`), copied to the output."""
    folder = root / USER_TEMPLATES_DIR
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.tmpl")))


# Below this many files a build loads them in its own process: a fork and pickling back cost
# more than they save (about 5 ms; a file takes about 0.5 ms).
PARALLEL_FROM_FILES = 64


def load(root: Path, *, workers: int | None = None) -> LoadResult:
    """Load every definition file of the repository at `root`, on up to `workers` cores
    (default: all usable, at most 4)."""
    result = LoadResult()
    root = root.resolve()
    paths = discover(root)
    shapes = SecretShapes()
    if workers is None:
        workers = min(forks.usable_cores(), 4) if len(paths) >= PARALLEL_FROM_FILES else 1
    # The parent's share is larger: children also pickle their trees (35 ms per 250 files).
    loaded = forks.map_forked(
        lambda path: _load_file(path, ReadContext(root, shapes)),
        paths,
        workers=workers,
        detach=lambda loaded: _detached(loaded, root),
        lead=1.25,
    )
    for path, (documents, diagnostics, included) in zip(paths, loaded, strict=True):
        result.included |= included
        result.files.append(path.relative_to(root).as_posix())
        result.documents.extend(documents)
        result.diagnostics.extend(diagnostics)
    return result


Loaded = tuple[list[RawDocument], list[Diagnostic], set[str]]


def _detached(loaded: Loaded, root: Path) -> Loaded:
    load_workers.detach(loaded[0], root)
    return loaded
