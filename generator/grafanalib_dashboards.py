"""Load stage for dashboards written with grafanalib: `dashboards/**/*.dashboard.py`.

Each file is run (in one child process for all of them, see grafanalib_runner.py) and must leave a
grafanalib `Dashboard` in a variable named `dashboard`, grafanalib's own convention, so files
written for its `generate-dashboard` command work unchanged. The JSON it produces is kept as it is
here; `dashboard_upgrade` turns it into current Grafana JSON at compile time, when the provisioned
data source is known, and the `dashboards/legacy` check reports what the upgrade could not convert.

A file in a sub-folder goes to that folder, which must be a team (the same rule as `folder:` of a
`kind: Dashboard`); a file directly in `dashboards/` goes to the general folder. The uid is the
dashboard's own `uid`, else one derived from its title.

Errors (an exception, a syntax error, no `dashboard`, a timeout) are diagnostics at the line of
the user's file they come from, and fail the build like any other definition error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import conventions as names
from generator.diagnostics import Diagnostic, Location

DASHBOARDS_DIR = "dashboards"
PATTERN = "*.dashboard.py"
TIMEOUT_SECONDS = 120
RUNNER = Path(__file__).with_name("grafanalib_runner.py")


@dataclass(frozen=True)
class GrafanalibDashboard:
    """What one `*.dashboard.py` produced, before the upgrade."""

    file: str  # relative to the repository root, with forward slashes
    folder: str | None  # the sub-folder of dashboards/ it sits in, if any
    uid: str
    title: str
    data: dict[str, Any]
    location: Location  # where its uid (or title) is written
    lines: tuple[str, ...] = field(repr=False, default=())

    def line_of(self, text: str) -> Location:
        """The first line quoting `text` (a panel title, say), else the file's first line."""
        for quoted in (f'"{text}"', f"'{text}'"):
            for number, line in enumerate(self.lines, start=1):
                column = line.find(quoted)
                if column >= 0:
                    return Location(self.file, number, column + 1)
        return Location(self.file, 1, 1)


@dataclass
class Loaded:
    dashboards: list[GrafanalibDashboard] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # grafanalib's own code, for the build cache


def discover(root: Path) -> list[Path]:
    folder = root / DASHBOARDS_DIR
    if not folder.is_dir():
        return []
    return sorted(folder.rglob(PATTERN))


def load(root: Path) -> Loaded:
    files = [path.resolve() for path in discover(root)]
    loaded = Loaded()
    if not files:
        return loaded
    relative = {str(path): path.relative_to(root.resolve()).as_posix() for path in files}
    first = Location(relative[str(files[0])], 1, 1)
    output = _run(root, files, first, loaded)
    if output is None:
        return loaded
    info = output.get("grafanalib", {})
    if "error" in info:
        loaded.diagnostics.append(
            Diagnostic(
                first,
                f"grafanalib is not installed in the Python that runs `gen` ({info['error']})",
                code="dashboards",
                hint="pip install 'grafanalib>=0.7,<0.8' beside the generator",
            )
        )
        return loaded
    if info.get("core"):
        loaded.inputs.append(str(info["core"]))
    for result in output.get("results", []):
        name = relative.get(str(result.get("file")), str(result.get("file")))
        if "error" in result:
            loaded.diagnostics.append(
                Diagnostic(
                    Location(name, int(result.get("line") or 1), 1),
                    f"{name} failed: {result['error']}",
                    code="dashboards",
                )
            )
            continue
        loaded.dashboards.append(_dashboard(root, name, result["dashboard"]))
    return loaded


def _run(root: Path, files: list[Path], first: Location, loaded: Loaded) -> dict[str, Any] | None:
    # No bytecode: __pycache__ folders under dashboards/ would change the build cache's inputs.
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        process = subprocess.run(
            [sys.executable, str(RUNNER), *(str(f) for f in files)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        loaded.diagnostics.append(
            Diagnostic(
                first,
                f"the grafanalib dashboard files did not finish within {TIMEOUT_SECONDS} s",
                code="dashboards",
                hint="a *.dashboard.py file should only build a dashboard: no network, no waiting",
            )
        )
        return None
    try:
        output: dict[str, Any] = json.loads(process.stdout)
    except json.JSONDecodeError:
        tail = " ".join(process.stderr.strip().splitlines()[-3:]) or f"exit status {process.returncode}"
        loaded.diagnostics.append(
            Diagnostic(first, f"running the grafanalib dashboard files failed: {tail}", code="dashboards")
        )
        return None
    return output


def _dashboard(root: Path, name: str, data: dict[str, Any]) -> GrafanalibDashboard:
    parts = name.split("/")
    folder = parts[1] if len(parts) > 2 else None
    title = str(data.get("title") or Path(name).name.removesuffix(".dashboard.py"))
    uid = str(data.get("uid") or names.slug_uid(title))
    lines = tuple((root / name).read_text(encoding="utf-8", errors="replace").splitlines())
    board = GrafanalibDashboard(name, folder, uid, title, data, Location(name, 1, 1), lines)
    where = board.line_of(uid) if data.get("uid") else board.line_of(title)
    return GrafanalibDashboard(name, folder, uid, title, data, where, lines)
