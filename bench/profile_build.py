"""Profile `gen build` in-process: time per pipeline stage, and cProfile's hottest functions.

The real CLI runs in-process (`generator.cli.main([...])`), so whatever `gen build` does (its build
cache, its garbage-collector handling, its lazy imports, the per-file report) is what is measured.
Timers are wrapped around the stage functions it calls. Each measurement runs in a fresh
interpreter (one invocation of this script), so caches such as the PromQL parse cache and the YAML
emitter's plain-scalar cache start empty, as they do for `gen build`:

- `--what stages`: wall time per stage (exclusive of nested stages; garbage-collector pauses charged
  to the stage they interrupt), no profiler overhead; definition files load on one core here (a
  forked loader's time would not show);
- `--what cprofile`: the same run under cProfile; the top functions by cumulative and by own time;
- `--what imports`: `python -X importtime -c "import generator.cli"`, the fixed start-up cost.

Modes: `cold` (no output folder, no build cache), `unchanged` (output up to date, rebuilt in full:
`--no-cache` where the CLI has a build cache), `env` (`--env prod`, cold), `cached` (output and
build cache up to date: the default `gen build` with nothing changed).
`--what-if-gc` flips the garbage collector for the build: on where the CLI switches it off, off
where it leaves it on. Results go to stdout and, with `--json`, to a file.

Run: `python bench/profile_build.py --root bench/out/repo --mode cold --what cprofile`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import gc
import io
import json
import pstats
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict

MODES = ("cold", "unchanged", "env", "cached")
ENVIRONMENT = "prod"
CACHE_DIR = ".gen-cache"


class ProfileRow(TypedDict):
    ncalls: str
    tottime: float
    cumtime: float
    function: str


class Timers:
    """Wall time per label, exclusive of nested timed calls, and the garbage collector's share.

    `wrap` replaces a module or class attribute by a timed twin. Nested stages (construction runs
    inside a file's load, the YAML emitter inside render) are subtracted from the enclosing one, so
    the labels add up to the total. A `gc.callbacks` hook charges each collection's pause to the
    innermost running label.
    """

    def __init__(self) -> None:
        self.exclusive: dict[str, float] = {}
        self.gc_seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.collections = [0, 0, 0]
        self._stack: list[list[Any]] = []  # [label, seconds spent in nested timed calls]
        self._gc_started = 0.0
        self._patched: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attribute: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([label, 0.0])
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                _, nested = self._stack.pop()
                self.exclusive[label] = self.exclusive.get(label, 0.0) + elapsed - nested
                self.calls[label] = self.calls.get(label, 0) + 1
                if self._stack:
                    self._stack[-1][1] += elapsed

        self._patched.append((owner, attribute, original))
        setattr(owner, attribute, timed)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        label = self._stack[-1][0] if self._stack else "outside"
        self.gc_seconds[label] = self.gc_seconds.get(label, 0.0) + time.perf_counter() - self._gc_started
        self.collections[info["generation"]] += 1

    def start_gc_accounting(self) -> None:
        gc.callbacks.append(self._on_gc)

    def restore(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        for owner, attribute, original in reversed(self._patched):
            setattr(owner, attribute, original)
        self._patched.clear()


# Timer label -> the row it is reported under (labels sharing a row are added up).
STAGE_ROWS = {
    "up_to_date": "cache: check (input fingerprint, output hashes)",
    "discover": "load: find files",
    "load_file": "load: read + libyaml parse/compose (incl. Python tag resolution)",
    "construct": "load: construct positioned trees (PosDict/PosList, Location)",
    "overlay": "overlay: select + merge patches",
    "validate": "spec: pydantic validation",
    "resolve": "resolve: model, PromQL parse, rule generation",
    "compile_config": "compile: prometheus.yml",
    "compile_rules": "compile: rule files",
    "schema": "compile: JSON schema (pydantic json_schema)",
    "yaml_dump": "render: YAML emitter (yamlout.dump)",
    "secrets": "spec: secret-shape scan of every value",
    "dashboards": "compile: Grafana dashboards (generated, users', provisioning)",
    "grafanalib": "load: grafanalib files (find, run)",
    "render": "render: JSON dump, headers, manifest",
    "build": "build: glue, diagnostics",
    "plan": "plan: read existing outputs + compare",
    "diffstat": "report: per-file +/- line counts (difflib; not with -q)",
    "write": "write: atomic replace (mkstemp, fsync, rename)",
    "record": "cache: record (fingerprint, output hashes)",
    "cli": "CLI: command glue, printing",
}
CACHE_ROWS = {
    "fingerprint": "fingerprint inputs + generator sources (read, SHA-256)",
    "sha256": "hash the outputs on disk (SHA-256)",
    "up_to_date": "read the record, compare",
    "cli": "CLI: command glue, printing",
}


def _out_dir(root: Path, mode: str) -> Path:
    return root / ("generated" if mode != "env" else f"generated-{ENVIRONMENT}")


def _gen() -> list[str]:
    script = Path(sys.executable).with_name("gen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "generator"]


def _prepare(root: Path, mode: str) -> None:
    """Cold modes start without output folder and build cache; the others need an up-to-date one."""
    if mode in ("unchanged", "cached"):
        subprocess.run([*_gen(), "build", "--root", str(root), "-q"], check=True)
        if mode == "cached":  # a second run makes sure the build cache is recorded
            subprocess.run([*_gen(), "build", "--root", str(root), "-q"], check=True)
    else:
        shutil.rmtree(_out_dir(root, mode), ignore_errors=True)
        shutil.rmtree(root / CACHE_DIR, ignore_errors=True)


def _cli_arguments(root: Path, mode: str, has_cache: bool) -> list[str]:
    arguments = ["build", "--root", str(root)]
    if mode == "env":
        arguments += ["--env", ENVIRONMENT]
    if mode == "unchanged" and has_cache:
        arguments.append("--no-cache")
    return arguments


def _run_cli(cli: ModuleType, arguments: list[str]) -> str:
    """`gen <arguments>` in-process; its standard output."""
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        try:
            cli.main(arguments, standalone_mode=False)
        except SystemExit as error:
            if error.code:
                raise
    return captured.getvalue()


def _import_generator(mode: str) -> tuple[ModuleType, dict[str, ModuleType], float]:
    """Import the CLI, and (except on the cache-hit path, which must stay lazy) the stage modules
    first, so that a CLI binding their functions at import time binds the timed twins."""
    import importlib

    started = time.perf_counter()
    modules: dict[str, ModuleType] = {}
    names = (
        ["generator.cache"]
        if mode == "cached"
        else [
            "generator.cache",
            "generator.load",
            "generator.yaml_reader",
            "generator.pipeline",
            "generator.schema",
            "generator.write",
        ]
    )
    for name in names:
        with contextlib.suppress(ImportError):
            modules[name] = importlib.import_module(name)
    cli = importlib.import_module("generator.cli")
    return cli, modules, time.perf_counter() - started


def _wrap_stages(timers: Timers, cli: ModuleType, modules: dict[str, ModuleType], mode: str) -> None:
    cache = modules.get("generator.cache")
    if cache is not None:
        timers.wrap(cache, "up_to_date", "up_to_date")
        if mode == "cached":
            # Since 2026-12-06 the CLI fingerprints through `Inputs` (before building).
            timers.wrap(cache, "Inputs" if hasattr(cache, "Inputs") else "fingerprint", "fingerprint")
            timers.wrap(cache, "_sha256", "sha256")
        else:
            timers.wrap(cache, "record", "record")
    if mode == "cached":
        return
    load, pipeline, write = (
        modules["generator.load"],
        modules["generator.pipeline"],
        modules["generator.write"],
    )
    timers.wrap(load, "discover", "discover")
    # `load` calls `_load_file` (one resolved root for all files) where it exists.
    timers.wrap(load, "_load_file" if hasattr(load, "_load_file") else "load_file", "load_file")
    # The file reader moved out of `generator.load` (into `generator.yaml_reader`) on 2026-12-06.
    reader = modules.get("generator.yaml_reader", load)
    timers.wrap(reader._Loader, "construct_document", "construct")
    if hasattr(load, "PARALLEL_FROM_FILES"):
        # Stage times are of one process: workers' time would not show. Load on one core.
        setattr(load, "PARALLEL_FROM_FILES", 1 << 30)  # noqa: B010  (absent in older loaders)
    timers.wrap(pipeline, "validate", "validate")
    timers.wrap(pipeline, "patches_for", "overlay")
    timers.wrap(pipeline, "apply", "overlay")
    timers.wrap(pipeline, "resolve", "resolve")
    timers.wrap(pipeline, "compile_config", "compile_config")
    timers.wrap(pipeline, "compile_rules", "compile_rules")
    timers.wrap(modules["generator.schema"], "artifact", "schema")
    timers.wrap(pipeline, "render", "render")
    timers.wrap(write, "dump", "yaml_dump")
    timers.wrap(pipeline, "build", "build")
    # Stages the pipeline calls by the names it imported (absent in older pipelines).
    for owner, name, label in (
        (getattr(pipeline, "secret_values", None), "scan", "secrets"),
        (pipeline, "compile_dashboards", "dashboards"),
        (pipeline, "compile_user_dashboards", "dashboards"),
        (pipeline, "compile_provisioning", "dashboards"),
        (getattr(pipeline, "grafanalib_dashboards", None), "load", "grafanalib"),
    ):
        if owner is not None and hasattr(owner, name):
            timers.wrap(owner, name, label)
    for name in ("plan", "write", "diffstat"):
        if hasattr(write, name):
            timers.wrap(write, name, name)
    # A CLI that imported these at module level holds its own references: point them at the twins.
    for name in ("build", "plan", "write", "diffstat"):
        if hasattr(cli, name):
            source = pipeline if name == "build" else write
            setattr(cli, name, getattr(source, name))


def _what_if_gc(cli: ModuleType) -> str:
    """Flip the collector for the build; says what the what-if is."""
    if hasattr(cli, "_no_cyclic_gc"):

        @contextlib.contextmanager
        def keep_gc() -> Iterator[None]:
            yield

        setattr(cli, "_no_cyclic_gc", keep_gc)  # noqa: B010  (the attribute is not in older CLIs)
        return "GC on during the build"
    gc.disable()
    return "GC off"


def stages(root: Path, mode: str, what_if_gc: bool = False) -> dict[str, Any]:
    """Wall time of each stage of one `gen build`, by wrapping the functions the CLI calls."""
    cli, modules, imported = _import_generator(mode)
    timers = Timers()
    _wrap_stages(timers, cli, modules, mode)
    what_if = _what_if_gc(cli) if what_if_gc else ""
    has_cache = "generator.cache" in modules
    timers.wrap(cli, "main", "cli")
    timers.start_gc_accounting()
    start = time.perf_counter()
    output = _run_cli(cli, _cli_arguments(root, mode, has_cache))
    total = time.perf_counter() - start
    timers.restore()
    table = CACHE_ROWS if mode == "cached" else STAGE_ROWS
    rows: dict[str, float] = {}
    gc_rows: dict[str, float] = {}
    for label, row in table.items():
        rows[row] = rows.get(row, 0.0) + timers.exclusive.get(label, 0.0)
        gc_rows[row] = gc_rows.get(row, 0.0) + timers.gc_seconds.get(label, 0.0)
    heavy = [m for m in ("pydantic", "yaml", "promql_parser", "generator.pipeline") if m in sys.modules]
    return {
        "mode": mode,
        "what_if": what_if,
        "cli_disables_gc": hasattr(cli, "_no_cyclic_gc"),
        "has_cache": has_cache,
        "import_seconds": imported,
        "total_seconds": total,
        "stages": rows,
        "gc_seconds": gc_rows,
        "gc_total_seconds": sum(timers.gc_seconds.values()),
        "gc_collections": timers.collections,
        "calls": timers.calls,
        "output": output.strip().splitlines()[0].replace(f"{root}/", "") if output.strip() else "",
        "heavy_modules_imported": heavy,
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
    """cProfile one `gen build` in-process; importing the CLI happens before, outside the profile
    (on the cache-hit path the CLI's own lazy imports are inside, as they are part of the run)."""
    cli, modules, _ = _import_generator(mode)
    arguments = _cli_arguments(root, mode, "generator.cache" in modules)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    _run_cli(cli, arguments)
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


IMPORTS_OF_A_BUILD = "import generator.cli, generator.pipeline, generator.write"


def imports(top: int) -> dict[str, Any]:
    """`-X importtime` of what a full `gen build` imports (the CLI may import the pipeline lazily)."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORTS_OF_A_BUILD],
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
    # Per top-level package: the largest cumulative figure of any of its modules (its first import).
    packages: dict[str, float] = {}
    for entry in entries:
        package = entry["module"].split(".")[0]
        packages[package] = max(packages.get(package, 0.0), entry["cumulative_ms"])
    own = sum(e["self_ms"] for e in entries if e["module"].split(".")[0] == "generator")
    return {
        "wall_seconds": wall,
        "by_cumulative": sorted(entries, key=lambda e: e["cumulative_ms"], reverse=True)[:top],
        "by_self": sorted(entries, key=lambda e: e["self_ms"], reverse=True)[:top],
        "packages": dict(sorted(packages.items(), key=lambda item: item[1], reverse=True)[:top]),
        "generator_self_ms": own,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Profile gen build in-process.")
    parser.add_argument("--root", type=Path, required=True, help="Definitions repository.")
    parser.add_argument("--mode", choices=MODES, default="cold")
    parser.add_argument("--what", choices=("stages", "cprofile", "imports"), default="stages")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--what-if-gc", action="store_true", help="stages: flip the GC for the build.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the result here.")
    parser.add_argument("--pstats", type=Path, default=None, help="cProfile: dump raw stats here.")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    result: dict[str, Any]
    if args.what == "imports":
        result = imports(args.top)
        print(f"{IMPORTS_OF_A_BUILD}: {result['wall_seconds']:.3f}s wall (interpreter included)")
        for entry in result["by_cumulative"]:
            print(
                f"  {entry['cumulative_ms']:9.1f} ms cumulative "
                f"{entry['self_ms']:8.1f} ms self  {entry['module']}"
            )
    else:
        _prepare(root, args.mode)
        if args.what == "stages":
            result = stages(root, args.mode, args.what_if_gc)
            print(
                f"{args.mode}{' (' + result['what_if'] + ')' if result['what_if'] else ''}: "
                f"{result['total_seconds']:.3f}s (imports before: {result['import_seconds']:.3f}s) "
                f"-> {result['output']}"
            )
            for label, seconds in result["stages"].items():
                print(f"  {seconds:8.3f}s  (gc {result['gc_seconds'][label]:6.3f}s)  {label}")
            print(f"  garbage collections (gen 0/1/2): {result['gc_collections']}")
        else:
            result = profile(root, args.mode, args.top, args.pstats)
            print(result["text"])
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
