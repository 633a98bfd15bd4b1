"""Stage 1, load: find definition files and parse them into positioned trees.

Every string value is checked for a secret's shape as it is built (`generator.secret_values`).

YAML is parsed by libyaml (PyYAML's C parser); construction is ours so that every mapping,
sequence and scalar remembers its `file:line:col`. `!include path` (pyyaml-include) splices in
another file, resolved relative to the including file and confined to the repository.
Duplicate keys, which PyYAML would silently let the last one win, are reported.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator import forks
from generator.conventions import INPUT_DIRS, USER_TEMPLATES_DIR
from generator.diagnostics import Diagnostic, Location
from generator.secret_values import SecretShapes, finding, may_hold_secrets
from generator.source import PosDict, PosList

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


class IncludeFailed:
    """Stands where an `!include` could not be read. The include was already reported, so
    validation errors about this value are not (the user made one mistake, not two)."""

    def __repr__(self) -> str:
        return "<include failed>"


INCLUDE_FAILED = IncludeFailed()


class _Context:
    """State shared by the loaders of one file and of the files it includes."""

    def __init__(self, root: Path, shapes: SecretShapes | None = None) -> None:
        self.root = root  # resolved by the caller, once per load
        self.shapes = shapes or SecretShapes()  # shared by all files of a load
        self.diagnostics: list[Diagnostic] = []
        self.stack: list[Path] = []
        self.included: set[str] = set()

    def display(self, path: Path) -> str:
        """The path as users read it: relative to the repository."""
        # Files found under the resolved root are named as found; resolving each one again was
        # three realpath calls per file (40 ms of a 500-file build). Paths with `..` (includes)
        # are resolved.
        if path.is_absolute() and ".." not in path.parts:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


class _FileSource:
    """Locates the nodes of one parsed file, when a diagnostic asks (see `generator.source`)."""

    __slots__ = ("_lines", "display_name", "odd_keys", "text")
    stale = False  # its trees hold its nodes (see `_Reparse` for trees that came from a worker)

    def __init__(self, display_name: str, text: bytes | str) -> None:
        self.display_name = display_name
        self.text = text
        self._lines: list[str] | None = None
        # Keys that are not plain strings (`200:`, `true:`), as construction spelled them.
        self.odd_keys: dict[int, str] = {}

    def refresh(self) -> None:
        """Nothing to bring back."""

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            text = self.text
            self._lines = (
                text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
            ).splitlines()
        return self._lines

    def location(self, node: yaml.Node) -> Location:
        start, end = node.start_mark, node.end_mark
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            # A block scalar starts at its `|`; its text, which the user will fix, starts a line below.
            lines = self.lines
            for number in range(start.line + 1, min(end.line + 1, len(lines))):
                text = lines[number]
                if text.strip():
                    indent = len(text) - len(text.lstrip())
                    return Location(self.display_name, number + 1, indent + 1, len(text.strip()))
        width = end.column - start.column if end.line == start.line else 0
        return Location(self.display_name, start.line + 1, start.column + 1, max(width, 1))

    def key(self, key_node: yaml.Node) -> str | None:
        """The key as construction spelled it (None for a key not constructed yet)."""
        if key_node.tag == _STR_TAG and isinstance(key_node, yaml.ScalarNode):
            return str(key_node.value)
        return self.odd_keys.get(id(key_node))

    def entries(self, node: yaml.MappingNode) -> list[tuple[str, yaml.Node, yaml.Node]]:
        return [(self.key(k) or "", k, value_node) for k, value_node in node.value]

    def items(self, node: yaml.SequenceNode) -> list[yaml.Node]:
        return list(node.value)


class _Loader(yaml.CSafeLoader):
    """libyaml parser with position-keeping construction."""

    context: _Context
    source: _FileSource
    path: Path
    scan_secrets: bool  # whether the file's text may hold a secret-shaped value at all

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """PyYAML's tag resolution, which libyaml calls back for every node, with the regex
        matching of plain scalars remembered per text: keys and values repeat across a
        repository's files. Same answers as `BaseResolver.resolve`, which, with no path resolvers
        registered (asserted below), depends on the node's kind and a plain scalar's text alone."""
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            tag = _RESOLVED.get(value)
            if tag is None:
                if len(_RESOLVED) >= _RESOLVED_MAX:
                    _RESOLVED.clear()
                tag = _RESOLVED[value] = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            return tag
        return self.DEFAULT_SEQUENCE_TAG if kind is yaml.SequenceNode else self.DEFAULT_MAPPING_TAG


assert not _Loader.yaml_path_resolvers, "the resolver shortcut above assumes no path resolvers"
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 200_000  # distinct plain scalars remembered; a long `gen dev` session starts over
_STR_TAG = "tag:yaml.org,2002:str"


def _construct_value(loader: _Loader, node: yaml.Node) -> Any:
    """Most values of a definition are plain strings: those skip PyYAML's generic dispatch,
    which is what SafeConstructor.construct_yaml_str would return for them anyway."""
    if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
        return node.value
    return loader.construct_object(node, deep=True)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> PosDict:
    loader.flatten_mapping(node)
    source = loader.source
    result = PosDict(source=source, node=node)
    scan, clean = loader.scan_secrets, loader.context.shapes.clean
    for key_node, value_node in node.value:
        if key_node.tag == _STR_TAG and isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
        else:
            constructed = loader.construct_object(key_node, deep=True)
            key = str(constructed).lower() if isinstance(constructed, bool) else str(constructed)
            source.odd_keys[id(key_node)] = key
        if key in result:
            _report_duplicate(loader, node, key, key_node)
        value = result[key] = _construct_value(loader, value_node)
        if scan and isinstance(value, str) and value not in clean:
            _check_secret(loader, value, value_node)
    return result


def _check_secret(loader: _Loader, value: str, node: yaml.Node) -> None:
    """Secret-looking values are reported where they are written (`generator.secret_values`)."""
    what = loader.context.shapes.what(value)
    if what is not None:
        loader.context.diagnostics.append(finding(what, loader.source.location(node)))


def _report_duplicate(loader: _Loader, node: yaml.MappingNode, key: str, again: yaml.Node) -> None:
    source = loader.source
    first_node = next(k for k, _ in node.value if source.key(k) == key)
    loader.context.diagnostics.append(
        Diagnostic(
            source.location(again),
            f"duplicate key {key!r} (first written at line {source.location(first_node).line})",
            code="yaml",
            hint="YAML keeps only the last value of a repeated key; remove one of them",
        )
    )


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> PosList:
    result = PosList(source=loader.source, node=node)
    scan, clean = loader.scan_secrets, loader.context.shapes.clean
    for item in node.value:
        value = _construct_value(loader, item)
        result.append(value)
        if scan and isinstance(value, str) and value not in clean:
            _check_secret(loader, value, item)
    return result


def _construct_include(loader: _Loader, node: yaml.Node) -> Any:
    context = loader.context
    location = loader.source.location(node)
    target = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(target, str) or not target:
        context.diagnostics.append(
            Diagnostic(
                location, "!include takes a relative file path (or glob) as a plain string", code="include"
            )
        )
        return INCLUDE_FAILED
    problem = _unsafe_include(target, loader.path.parent, context.root)
    if problem:
        context.diagnostics.append(Diagnostic(location, f"!include {target!r}: {problem}", code="include"))
        return INCLUDE_FAILED

    def parse_included(urlpath: str, stream: Any, _loader_type: object) -> Any:
        path = Path(urlpath)
        if path.resolve() in [p.resolve() for p in context.stack]:
            chain = " -> ".join(context.display(p) for p in [*context.stack, path])
            context.diagnostics.append(
                Diagnostic(location, f"!include {target!r} closes an include cycle: {chain}", code="include")
            )
            return INCLUDE_FAILED
        context.included.add(context.display(path))
        documents = list(_parse_stream(stream.read(), path, context, location))
        if len(documents) != 1:
            context.diagnostics.append(
                Diagnostic(
                    location,
                    f"!include {target!r}: an included file must hold exactly one YAML document, "
                    f"{context.display(path)} holds {len(documents)}",
                    code="include",
                )
            )
            return INCLUDE_FAILED
        return documents[0]

    # Imported here: pyyaml-include brings fsspec (30 ms), which a repository without includes
    # never needs.
    import yaml_include

    constructor = yaml_include.Constructor(base_dir=loader.path.parent, custom_loader=parse_included)
    try:
        result = constructor(loader, node)
    except FileNotFoundError:
        wanted = loader.path.parent / target
        siblings = [p.name for p in wanted.parent.iterdir()] if wanted.parent.is_dir() else []
        close = difflib.get_close_matches(wanted.name, siblings, n=1, cutoff=0.6)
        context.diagnostics.append(
            Diagnostic(
                location,
                f"included file not found: {target!r} (looked for {context.display(wanted)})",
                code="include",
                hint=f"did you mean {str(PurePosixPath(target).with_name(close[0]))!r}?" if close else "",
            )
        )
        return INCLUDE_FAILED
    if isinstance(result, list) and not isinstance(result, PosList):
        # A glob include yields a plain list, one item per file; keep positions for each item.
        positioned = PosList(location)
        for item in result:
            positioned.add(item, item.location if isinstance(item, PosDict | PosList) else location)
        if not positioned:
            context.diagnostics.append(
                Diagnostic(location, f"!include {target!r} matched no files", code="include")
            )
        return positioned
    return result


def _unsafe_include(target: str, base: Path, root: Path) -> str:
    """Why an include target is refused: only files inside the repository may be spliced in."""
    if "://" in target:
        return "only files inside the repository can be included, not URLs"
    if PurePosixPath(target).is_absolute():
        return "use a path relative to the including file, not an absolute path"
    resolved = (base / target).resolve()
    try:
        resolved.relative_to(root)
    except ValueError:
        return "the path leaves the repository"
    return ""


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)
_Loader.add_constructor("!include", _construct_include)


def _parse_stream(
    text: bytes | str, path: Path, context: _Context, included_from: Location | None = None
) -> Iterator[Any]:
    loader = _Loader(text)
    loader.context = context
    loader.path = path
    loader.source = _FileSource(context.display(path), text)
    loader.scan_secrets = may_hold_secrets(text)
    context.stack.append(path)
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]
            yield loader.get_data()
    except yaml.MarkedYAMLError as error:
        context.diagnostics.append(_syntax_error(error, loader.source.display_name, text, included_from))
    except yaml.reader.ReaderError as error:
        line, column = _line_and_column(text, error.position)
        context.diagnostics.append(
            Diagnostic(
                Location(loader.source.display_name, line, column, 1),
                f"not valid UTF-8 text: {error.reason}",
                code="yaml",
                hint="save the file as UTF-8",
            )
        )
    except UnicodeDecodeError as error:
        context.diagnostics.append(
            Diagnostic(Location(loader.source.display_name), f"not UTF-8 text: {error.reason}", code="yaml")
        )
    finally:
        context.stack.pop()
        loader.dispose()


def _line_and_column(text: bytes | str, position: int) -> tuple[int, int]:
    before = text[:position]
    newline: Any = b"\n" if isinstance(before, bytes) else "\n"
    return before.count(newline) + 1, position - (before.rfind(newline) + 1) + 1


def _syntax_error(
    error: yaml.MarkedYAMLError, name: str, text: bytes | str, included_from: Location | None
) -> Diagnostic:
    """A parser error where the user can act on it: an unclosed bracket or quote is reported at
    its opening, with where the parser noticed; tabs get a hint."""
    problem = error.problem or "invalid YAML"
    mark = error.problem_mark or error.context_mark
    opened = error.context_mark
    if (
        opened is not None
        and mark is not None
        and error.context
        and "flow" in error.context
        and mark is not opened
    ):
        what = "`[ ]` list" if "sequence" in error.context else "`{ }` mapping"
        message = (
            f"YAML syntax error: this {what} is not closed: {problem} "
            f"(noticed at line {mark.line + 1}, column {mark.column + 1})"
        )
        mark = opened
    elif opened is not None and error.context and mark is not opened:
        message = (
            f"YAML syntax error: {problem} ({error.context} started at line {opened.line + 1}, "
            f"column {opened.column + 1})"
        )
    else:
        message = f"YAML syntax error: {problem}"
    hints = []
    lines = text.decode(errors="replace").splitlines() if isinstance(text, bytes) else text.splitlines()
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line]:
        hints.append("YAML does not allow tabs for indentation; use spaces")
    if included_from is not None:
        hints.append(f"included from {included_from}")
    where = Location(name, mark.line + 1, mark.column + 1, 1) if mark else Location(name)
    return Diagnostic(where, message, code="yaml", hint="; ".join(hints))


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    return "number" if isinstance(value, int | float) else "text" if isinstance(value, str) else "value"


def load_file(path: Path, root: Path) -> tuple[list[RawDocument], list[Diagnostic], set[str]]:
    """Parse one definition file into its non-empty documents."""
    return _load_file(path.resolve(), _Context(root.resolve()))


def _load_file(path: Path, context: _Context) -> tuple[list[RawDocument], list[Diagnostic], set[str]]:
    name = context.display(path)
    documents: list[RawDocument] = []
    for index, data in enumerate(_parse_stream(path.read_bytes(), path, context)):
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
        lambda path: _load_file(path, _Context(root, shapes)),
        paths,
        workers=workers,
        detach=lambda loaded: _detach(loaded, root),
        lead=1.25,
    )
    for path, (documents, diagnostics, included) in zip(paths, loaded, strict=True):
        result.included |= included
        result.files.append(path.relative_to(root).as_posix())
        result.documents.extend(documents)
        result.diagnostics.extend(diagnostics)
    return result


Loaded = tuple[list[RawDocument], list[Diagnostic], set[str]]


def _detach(loaded: Loaded, root: Path) -> Loaded:
    """A file's trees made ready to cross to the parent: parser nodes stay behind (pickling them
    would cost more than parsing), a `_Reparse` source takes their place. The documents' own
    locations, which every build reads, are computed before leaving."""
    documents = loaded[0]
    if documents:
        first = documents[0]
        reparse = _Reparse(root, first.file, [(d.index, d.data) for d in documents])
        for document in documents:
            document.data.location  # noqa: B018  (computed and kept, see above)
            _hand_over(document.data, reparse)
    return loaded


def _hand_over(tree: Any, reparse: _Reparse) -> None:
    pending = [tree]
    while pending:
        current = pending.pop()
        current.bind(reparse, None)
        children = current.values() if isinstance(current, PosDict) else current
        pending.extend(child for child in children if isinstance(child, PosDict | PosList))


class _Reparse:
    """The stale source of trees loaded in another process (`generator.source.TreeSource`):
    asked for a location, it parses its file again and hands the fresh parser nodes to the
    trees, matched by their place in the documents. Trees it cannot match (the file changed
    since) are located at the file."""

    stale = True

    def __init__(self, root: Path, display_name: str, roots: list[tuple[int, PosDict]]) -> None:
        self.root = root
        self.display_name = display_name
        self.roots = roots

    def refresh(self) -> None:
        if not self.stale:
            return
        self.stale = False
        try:
            documents, _, _ = _load_file(self.root / self.display_name, _Context(self.root))
        except OSError:  # gone or unreadable since: everything is located at the file
            return
        fresh = {document.index: document.data for document in documents}
        for index, tree in self.roots:
            _adopt(tree, fresh.get(index))

    def location(self, _node: object) -> Location:
        return Location(self.display_name)

    def entries(self, _node: object) -> list[tuple[str, Any, Any]]:
        return []

    def items(self, _node: object) -> list[Any]:
        return []


def _adopt(mine: Any, fresh: Any) -> None:
    """Give `mine` (and what it holds) the source and nodes of its freshly parsed twin."""
    pending = [(mine, fresh)]
    while pending:
        tree, twin = pending.pop()
        if isinstance(tree, PosDict) and isinstance(twin, PosDict):
            tree.bind(*twin.origin)
            pending.extend((value, twin[key]) for key, value in tree.items() if key in twin)
        elif isinstance(tree, PosList) and isinstance(twin, PosList):
            tree.bind(*twin.origin)
            pending.extend(zip(tree, twin, strict=False))
