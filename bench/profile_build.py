"""Profile `gen build` in-process: time per pipeline stage, and cProfile's hottest functions.

Each measurement runs in a fresh interpreter (this script, `--what ...`), so caches such as the
PromQL parse cache and the YAML emitter's plain-scalar cache start empty, as they do for `gen build`:

- `--what stages`: the real `generator.pipeline.build`, `generator.write.plan` and `write`, with the
  functions each stage consists of wrapped in timers (no profiler overhead);
- `--what cprofile`: the same run under cProfile; the top functions by cumulative and by own time;
- `--what imports`: `python -X importtime -c "import generator.cli"`, the fixed start-up cost.

Modes: `cold` (no output folder), `unchanged` (output folder up to date), `env` (`--env prod`, cold).
Results go to stdout and, with `--json`, to a file (bench_build.py --profile reads them from there).

Run: `python bench/profile_build.py --root bench/out/repo --mode cold --what cprofile`.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import pstats
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

MODES = ("cold", "unchanged", "env")
ENVIRONMENT = "prod"


class ProfileRow(TypedDict):
    ncalls: str
    tottime: float
    cumtime: float
    function: str


class Timers:
    """Accumulated wall time per label; `wrap` replaces a module attribute by a timed twin."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._patched: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attribute: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start
                self.calls[label] = self.calls.get(label, 0) + 1

        self._patched.append((owner, attribute, original))
        setattr(owner, attribute, timed)

    def restore(self) -> None:
        for owner, attribute, original in reversed(self._patched):
            setattr(owner, attribute, original)
        self._patched.clear()


def _out_dir(root: Path, mode: str) -> Path:
    return root / ("generated" if mode != "env" else f"generated-{ENVIRONMENT}")


def _prepare(root: Path, mode: str) -> None:
    """Cold modes start without an output folder; `unchanged` needs an up-to-date one."""
    out = _out_dir(root, mode)
    if mode == "unchanged":
        gen = Path(sys.executable).with_name("gen")
        command = [str(gen)] if gen.exists() else [sys.executable, "-m", "generator"]
        subprocess.run([*command, "build", "--root", str(root), "-q"], check=True)
    else:
        shutil.rmtree(out, ignore_errors=True)


def run_build(root: Path, mode: str) -> dict[str, int]:
    """What `gen build [--env prod]` does, in-process: build, plan, write."""
    from generator.pipeline import build
    from generator.write import plan, write

    environment = ENVIRONMENT if mode == "env" else None
    result = build(root, environment)
    if not result.ok:
        raise SystemExit(f"build failed with {len(result.diagnostics)} diagnostics")
    out = _out_dir(root, mode)
    changes = plan(out, result.files)
    write(out, result.files, changes)
    return {
        "files": len(result.files),
        "created": len(changes.created),
        "changed": len(changes.changed),
        "unchanged": changes.unchanged,
    }


def stages(root: Path, mode: str) -> dict[str, Any]:
    """Wall time of each stage of one build, measured by wrapping the stage functions."""
    started = time.perf_counter()
    import generator.cli
    import generator.load
    import generator.pipeline
    import generator.schema
    import generator.write

    imported = time.perf_counter() - started
    timers = Timers()
    pipeline = generator.pipeline
    timers.wrap(generator.load, "discover", "discover")
    timers.wrap(generator.load, "load_file", "load_file")
    timers.wrap(generator.load._Loader, "construct_document", "construct")
    timers.wrap(pipeline, "validate", "validate")
    timers.wrap(pipeline, "patches_for", "overlay")
    timers.wrap(pipeline, "apply", "overlay")
    timers.wrap(pipeline, "resolve", "resolve")
    timers.wrap(pipeline, "compile_config", "compile_config")
    timers.wrap(pipeline, "compile_rules", "compile_rules")
    timers.wrap(generator.schema, "artifact", "schema")
    timers.wrap(pipeline, "render", "render")
    timers.wrap(generator.write, "dump", "yaml_dump")
    timers.wrap(pipeline, "build", "build")
    timers.wrap(generator.write, "plan", "plan")
    timers.wrap(generator.write, "write", "write")
    # run_build imports these names at call time, so it gets the timed twins.
    start = time.perf_counter()
    counts = run_build(root, mode)
    total = time.perf_counter() - start
    timers.restore()
    s = timers.seconds
    construct = s.get("construct", 0.0)
    yaml_dump = s.get("yaml_dump", 0.0)
    listed = {
        "load: find files": s.get("discover", 0.0),
        "load: read + libyaml parse/compose (incl. tag resolution)": s.get("load_file", 0.0) - construct,
        "load: construct positioned trees (PosDict/PosList)": construct,
        "overlay: select + merge patches": s.get("overlay", 0.0),
        "spec: pydantic validation": s.get("validate", 0.0),
        "resolve: model, PromQL parse, rule generation": s.get("resolve", 0.0),
        "compile: prometheus.yml": s.get("compile_config", 0.0),
        "compile: rule files": s.get("compile_rules", 0.0),
        "compile: JSON schema (pydantic json_schema)": s.get("schema", 0.0),
        "render: YAML emitter (yamlout.dump)": yaml_dump,
        "render: JSON schema dump, headers, manifest": s.get("render", 0.0) - yaml_dump,
        "plan: read existing outputs + compare": s.get("plan", 0.0),
        "write: atomic replace (mkstemp, fsync, rename)": s.get("write", 0.0),
    }
    build_total = s.get("build", 0.0)
    inside_build = sum(value for key, value in listed.items() if not key.startswith(("plan", "write")))
    listed["other (build glue, diagnostics)"] = max(build_total - inside_build, 0.0)
    return {
        "mode": mode,
        "import_seconds": imported,
        "total_seconds": total,
        "build_seconds": build_total,
        "stages": listed,
        "calls": timers.calls,
        "counts": counts,
    }


def _function_name(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename == "~":
        return name  # a built-in, such as {method 'read' of '_io.BufferedReader' objects}
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/lib/python3", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{line}({name})"


def _rows(stats: pstats.Stats, sort: str, top: int) -> list[ProfileRow]:
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    if sort == "cumulative":
        ordered = sorted(raw.items(), key=lambda item: item[1][3], reverse=True)[:top]
    else:
        ordered = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:top]
    rows: list[ProfileRow] = []
    for key, (primitive, total_calls, tottime, cumtime, _callers) in ordered:
        calls = str(total_calls) if primitive == total_calls else f"{total_calls}/{primitive}"
        rows.append(ProfileRow(ncalls=calls, tottime=tottime, cumtime=cumtime, function=_function_name(key)))
    return rows


def profile(root: Path, mode: str, top: int, dump: Path | None) -> dict[str, Any]:
    """cProfile one build; the import of the generator happens before, outside the profile."""
    import generator.cli
    import generator.pipeline  # noqa: F401

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    run_build(root, mode)
    profiler.disable()
    total = time.perf_counter() - start
    if dump is not None:
        profiler.dump_stats(str(dump))
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return {
        "mode": mode,
        "profiled_seconds": total,
        "by_cumulative": _rows(stats, "cumulative", top),
        "by_tottime": _rows(stats, "tottime", top),
        "text": text.getvalue(),
    }


def imports(top: int) -> dict[str, Any]:
    """`-X importtime` of the CLI module: the cost every `gen` invocation pays first."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import generator.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    entries: list[dict[str, Any]] = []
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|", 2)
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        entries.append(
            {
                "module": name.strip(),
                "depth": depth,
                "self_ms": int(self_us) / 1000,
                "cumulative_ms": int(cumulative_us) / 1000,
            }
        )
    top_level = sorted(
        (e for e in entries if e["depth"] == 0), key=lambda e: e["cumulative_ms"], reverse=True
    )
    return {
        "wall_seconds": wall,
        "by_cumulative": sorted(entries, key=lambda e: e["cumulative_ms"], reverse=True)[:top],
        "by_self": sorted(entries, key=lambda e: e["self_ms"], reverse=True)[:top],
        "top_level": top_level[:top],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Profile gen build in-process.")
    parser.add_argument("--root", type=Path, required=True, help="Definitions repository.")
    parser.add_argument("--mode", choices=MODES, default="cold")
    parser.add_argument("--what", choices=("stages", "cprofile", "imports"), default="stages")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", type=Path, default=None, help="Also write the result here.")
    parser.add_argument("--pstats", type=Path, default=None, help="cProfile: dump raw stats here.")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    result: dict[str, Any]
    if args.what == "imports":
        result = imports(args.top)
        print(f"import generator.cli: {result['wall_seconds']:.3f}s wall (interpreter included)")
        for entry in result["by_cumulative"]:
            print(
                f"  {entry['cumulative_ms']:9.1f} ms cumulative "
                f"{entry['self_ms']:8.1f} ms self  {entry['module']}"
            )
    else:
        _prepare(root, args.mode)
        if args.what == "stages":
            result = stages(root, args.mode)
            print(
                f"{args.mode}: {result['total_seconds']:.3f}s "
                f"(imports before: {result['import_seconds']:.3f}s)"
            )
            for label, seconds in result["stages"].items():
                print(f"  {seconds:8.3f}s  {label}")
        else:
            result = profile(root, args.mode, args.top, args.pstats)
            print(result["text"])
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
