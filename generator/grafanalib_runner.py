"""Run users' grafanalib dashboard files and print their dashboards as JSON on stdout.

The build runs this file as a child process (`python grafanalib_runner.py FILE...`), never
imports it: a `*.dashboard.py` file is a program, and whatever it does (print, exit, change
`sys.path`, import half of PyPI) must neither break nor slow the build's own process. One child
runs all files, so the interpreter and grafanalib start once.

grafanalib's convention (its `generate-dashboard` command) is a module-level variable `dashboard`
holding a `grafanalib.core.Dashboard`; we serialize it with grafanalib's own `DashboardEncoder`.
Standard library only above the point where grafanalib is imported, so a missing grafanalib is
reported as such.

Output: one JSON object, `{"grafanalib": {...}, "results": [...]}`; a result has `file` and
either `dashboard` or `error` with the `line` of the user's file the error came from.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import sys
import traceback
from typing import Any


def _same(filename: str | None, path: str) -> bool:
    try:
        return bool(filename) and os.path.samefile(str(filename), path)
    except OSError:  # "<frozen ...>", "<string>": not a file
        return False


def _user_line(error: BaseException, path: str) -> int:
    """The deepest line of the user's own file in the traceback (a SyntaxError has its own)."""
    if isinstance(error, SyntaxError) and _same(error.filename, path):
        return error.lineno or 1
    line = 1
    for frame in traceback.extract_tb(error.__traceback__):
        if _same(frame.filename, path):
            line = frame.lineno or line
    return line


def _describe(error: BaseException, limit: int = 300) -> str:
    """The exception's first line; attrs' validation errors repeat the whole attribute, so cut."""
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def run(path: str) -> dict[str, Any]:
    from grafanalib._gen import DashboardEncoder
    from grafanalib.core import Dashboard

    folder = os.path.dirname(os.path.abspath(path))
    saved_path = list(sys.path)
    sys.path.insert(0, folder)  # the file may import its own helpers beside it
    try:
        # The user's prints go to stderr: stdout carries our JSON.
        with contextlib.redirect_stdout(sys.stderr):
            namespace = runpy.run_path(path, run_name="__grafanalib_dashboard__")
    except SystemExit as error:
        return {
            "file": path,
            "error": f"the file called exit({error.code!r})",
            "line": _user_line(error, path),
        }
    except BaseException as error:
        return {"file": path, "error": _describe(error), "line": _user_line(error, path)}
    finally:
        sys.path[:] = saved_path
    dashboard = namespace.get("dashboard")
    if dashboard is None:
        return {
            "file": path,
            "error": "the file defines no `dashboard` variable (grafanalib's convention)",
            "line": 1,
        }
    if not isinstance(dashboard, Dashboard):
        return {
            "file": path,
            "error": f"`dashboard` is a {type(dashboard).__name__}, not a grafanalib.core.Dashboard",
            "line": 1,
        }
    try:
        data = json.loads(json.dumps(dashboard.to_json_data(), cls=DashboardEncoder))
    except Exception as error:
        return {"file": path, "error": f"grafanalib could not serialize it: {_describe(error)}", "line": 1}
    return {"file": path, "dashboard": data}


def main(paths: list[str]) -> int:
    try:
        import grafanalib
    except ImportError as error:
        print(json.dumps({"grafanalib": {"error": str(error)}, "results": []}))
        return 0
    from importlib.metadata import PackageNotFoundError, version

    results = [run(path) for path in paths]
    try:
        installed = version("grafanalib")
    except PackageNotFoundError:
        installed = ""
    info = {"version": installed, "core": os.path.join(os.path.dirname(grafanalib.__file__), "core.py")}
    sys.stdout.write(json.dumps({"grafanalib": info, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
