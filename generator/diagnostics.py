"""Diagnostics: what a user's mistake looks like on the terminal.

Every stage reports problems as `Diagnostic` values instead of raising, so one run reports all of
them. A diagnostic names the place (`file:line:col`), the field path, the user's own value, what
was expected and, where we can guess, a hint. Rendering follows pint's layout: the source line with
a caret under the problem.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.IntEnum):
    """How bad a finding is. Only errors fail a build or a check run."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    """A position in a definition file; line and column count from 1, as editors do."""

    file: str
    line: int = 0
    column: int = 0
    # Width of the highlighted span; 0 means "just this column".
    width: int = field(default=0, compare=False)

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the definitions or in what they generate."""

    location: Location
    message: str
    code: str = "definitions"
    severity: Severity = Severity.ERROR
    path: str = ""
    hint: str = ""

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.location.file, self.location.line, self.location.column, self.code, self.message)

    def headline(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.location}: {self.severity}: {where}{self.message} [{self.code}]"


def quote(value: object) -> str:
    """Show a user's value the way they wrote it, quoted so empty strings stay visible."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


class SourceCache:
    """Reads definition files once, for showing source lines under diagnostics."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._lines: dict[str, list[str]] = {}

    def line(self, file: str, number: int) -> str | None:
        if file not in self._lines:
            path = Path(file)
            if not path.is_absolute() and self._root is not None:
                path = self._root / path
            try:
                self._lines[file] = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[file] = []
        lines = self._lines[file]
        if 1 <= number <= len(lines):
            return lines[number - 1]
        return None


def render(diagnostic: Diagnostic, sources: SourceCache | None = None) -> str:
    """Format one diagnostic: headline, the source line with a caret, and the hint."""
    out = [diagnostic.headline()]
    loc = diagnostic.location
    text = sources.line(loc.file, loc.line) if sources is not None and loc.line > 0 else None
    if text is not None:
        gutter = f"{loc.line:>5} | "
        out.append(gutter + text.rstrip())
        if loc.column > 0:
            span = max(1, min(loc.width, max(1, len(text) - loc.column + 1)))
            out.append(" " * (len(gutter) - 2) + "| " + " " * (loc.column - 1) + "^" * span)
    if diagnostic.hint:
        out.append(f"      = hint: {diagnostic.hint}")
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], sources: SourceCache | None = None) -> str:
    ordered = sorted(diagnostics, key=Diagnostic.sort_key)
    return "\n".join(render(d, sources) for d in ordered)


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    counts = {s: 0 for s in Severity}
    for d in diagnostics:
        counts[d.severity] += 1
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}" for s in reversed(Severity) if counts[s]]
    return ", ".join(parts) if parts else "no problems"
