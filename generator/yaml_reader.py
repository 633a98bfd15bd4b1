"""Parse one YAML file into positioned trees: the reading half of stage 1 (`generator.load`).

YAML is parsed by libyaml (PyYAML's C parser); construction is ours so that every mapping,
sequence and scalar can say where it is written (`file:line:col`, found from the parser nodes the
trees keep, when a diagnostic asks: see `generator.source`). `!include path` (pyyaml-include)
splices in another file, resolved relative to the including file and confined to the repository.
Duplicate keys, which PyYAML would silently let the last one win, are reported, and so is every
string value with a secret's shape (`generator.secret_values`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, Location
from generator.secret_values import SecretShapes, finding, may_hold_secrets
from generator.source import PosDict, PosList


class IncludeFailed:
    """Stands where an `!include` could not be read. The include was already reported, so
    validation errors about this value are not (the user made one mistake, not two)."""

    def __repr__(self) -> str:
        return "<include failed>"


INCLUDE_FAILED = IncludeFailed()


class ReadContext:
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
    stale = False  # its trees hold its nodes (`generator.load_workers.Reparse`: trees from a worker)

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

    context: ReadContext
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
        documents = list(parse_stream(stream.read(), path, context, location))
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


def parse_stream(
    text: bytes | str, path: Path, context: ReadContext, included_from: Location | None = None
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
