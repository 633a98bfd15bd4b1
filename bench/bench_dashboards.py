"""Benchmark dashboards as code: 500 dashboards of 12 panels, ours against grafanalib.

    python bench/bench_dashboards.py [--dashboards 500] [--repeat 5]

The same dashboards, from one seeded plan, written twice:

- ours: `dashboards/board-NNN.yaml`, one `kind: Dashboard` each (3 rows of 4 panels: time series,
  stat, gauge, bar gauge, table, heatmap; units, thresholds, legends, `job`/`instance` variables),
  built by `gen build` into current Grafana JSON;
- grafanalib 0.7: `board-NNN.dashboard.py`, one Python file each calling grafanalib's classes for
  the same panels, turned into JSON by grafanalib's own `generate-dashboards` command (which
  writes `board-NNN.json` beside each file with `json.dump(indent=2, sort_keys=True)`).

Scenarios, each a child process timed by bench_build.py's wrapper (`--repeat` runs, median):
our cold build (no output, no build cache), our build with nothing changed (build cache), our
full rebuild with nothing changed (`--no-cache`), grafanalib's `generate-dashboards`, and our
build of the grafanalib files themselves (the compatibility path: run them, upgrade the JSON).
In-process, without interpreter start-up and file I/O: our compile and serialize stage against
grafanalib constructing the dashboards and serializing them. Output sizes of both.

Results: a table on stdout, bench/out/dashboards_results.json, and the part of bench/RESULTS.md
between the `bench-dashboards:begin`/`bench-dashboards:end` markers.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench_build import (
    OUT,
    REPO_ROOT,
    Measurement,
    discard_set_aside,
    gen_command,
    machine_info,
    measure,
    set_aside,
    write_marked_section,
)

BENCH = Path(__file__).resolve().parent
RESULTS_MD = BENCH / "RESULTS.md"
RESULTS_JSON = OUT / "dashboards_results.json"
WORK = OUT / "dashboards"
BEGIN = "<!-- bench-dashboards:begin (written by bench/bench_dashboards.py; edit outside these markers) -->"
END = "<!-- bench-dashboards:end -->"
TARGET = 0.5  # ours at most half grafanalib's time (the issue)
SEED = 20261123
KINDS = ("timeseries", "stat", "gauge", "timeseries", "bargauge", "timeseries",
         "table", "timeseries", "heatmap", "stat", "timeseries", "timeseries")  # fmt: skip
UNITS = ("reqps", "s", "percentunit", "bytes", "short", "ops")


def plan(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` dashboards of 12 panels each, the same plan for both writers."""
    rng = random.Random(seed)
    boards = []
    for index in range(count):
        job = f"svc-{index:03d}"
        panels = []
        for number, kind in enumerate(KINDS):
            metric = rng.choice(("http_requests_total", "rpc_calls_total", "jobs_processed_total"))
            expr = (
                f'sum by (instance) (rate({metric}{{job="{job}", instance=~"$instance"}}[$__rate_interval]))'
            )
            if kind == "heatmap":
                expr = (
                    "sum by (le) (rate(http_request_duration_seconds_bucket"
                    f'{{job="{job}"}}[$__rate_interval]))'
                )
            panels.append(
                {
                    "title": f"{kind.capitalize()} {number + 1}",
                    "kind": kind,
                    "expr": expr,
                    "legend": "{{instance}}",
                    "unit": rng.choice(UNITS),
                    "decimals": rng.choice((None, 1, 2)),
                    "threshold": round(rng.uniform(1, 100), 1),
                }
            )
        boards.append(
            {"title": f"Board {index:03d}", "uid": f"board-{index:03d}", "job": job, "panels": panels}
        )
    return boards


# --- Our definitions ------------------------------------------------------------------------------


def _yaml_panel(panel: dict[str, Any]) -> str:
    kind = panel["kind"]
    lines = [
        f"      - title: {panel['title']}",
        f"        type: {kind}",
        f"        expr: '{panel['expr']}'",
        f"        unit: {panel['unit']}",
    ]
    if kind in ("timeseries", "bargauge"):
        lines.append(f"        legend_format: '{panel['legend']}'")
    if panel["decimals"] is not None and kind in ("stat", "gauge", "bargauge"):
        lines.append(f"        decimals: {panel['decimals']}")
    if kind in ("stat", "gauge", "bargauge"):
        lines.append(f"        thresholds: [{{color: green}}, {{value: {panel['threshold']}, color: red}}]")
    if kind == "timeseries":
        lines.append("        legend: {mode: table, placement: bottom, calcs: [mean, max]}")
    return "\n".join(lines)


def write_ours(root: Path, boards: list[dict[str, Any]]) -> None:
    shutil.rmtree(root, ignore_errors=True)
    (root / "dashboards").mkdir(parents=True)
    for board in boards:
        rows = []
        for start in range(0, len(board["panels"]), 4):
            panels = "\n".join(_yaml_panel(p) for p in board["panels"][start : start + 4])
            rows.append(f"  - title: Row {start // 4 + 1}\n    panels:\n{panels}")
        text = (
            "kind: Dashboard\n"
            f"title: {board['title']}\n"
            f"uid: {board['uid']}\n"
            f"tags: [bench, {board['job']}]\n"
            "variables:\n"
            "  - {name: instance, query: 'label_values(up{job=\"" + board["job"] + "\"}, instance)'}\n"
            "rows:\n" + "\n".join(rows) + "\n"
        )
        (root / "dashboards" / f"{board['uid']}.yaml").write_text(text, encoding="utf-8")


# --- The same dashboards in grafanalib ------------------------------------------------------------

GRAFANALIB_HEADER = """from grafanalib.core import (
    BarGauge, Dashboard, GaugePanel, Heatmap, Row, Stat, Table, Target, Templating, Template,
    Threshold, TimeSeries,
)

"""


def _python_panel(panel: dict[str, Any]) -> str:
    target = f"[Target(expr={panel['expr']!r}, legendFormat={panel['legend']!r}, refId='A')]"
    common = f"title={panel['title']!r}, dataSource='Prometheus', targets={target}"
    decimals = f", decimals={panel['decimals']}" if panel["decimals"] is not None else ""
    steps = f"[Threshold('green', 0, 0.0), Threshold('red', 1, {panel['threshold']})]"
    kind = panel["kind"]
    if kind == "timeseries":
        return (
            f"TimeSeries({common}, unit={panel['unit']!r}, legendDisplayMode='table', "
            "legendCalcs=['mean', 'max'], span=6)"
        )
    if kind == "stat":
        return f"Stat({common}, format={panel['unit']!r}{decimals}, thresholds={steps}, span=6)"
    if kind == "gauge":
        return f"GaugePanel({common}, format={panel['unit']!r}{decimals}, thresholds={steps}, span=6)"
    if kind == "bargauge":
        return f"BarGauge({common}, format={panel['unit']!r}{decimals}, thresholds={steps}, span=6)"
    if kind == "table":
        return f"Table({common}, unit={panel['unit']!r}, span=6)"
    return f"Heatmap({common}, span=6)"


def write_grafanalib(folder: Path, boards: list[dict[str, Any]]) -> list[Path]:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    for board in boards:
        rows = []
        for start in range(0, len(board["panels"]), 4):
            panels = ",\n            ".join(_python_panel(p) for p in board["panels"][start : start + 4])
            rows.append(f"    Row(title='Row {start // 4 + 1}', panels=[\n            {panels},\n        ])")
        variable = f'label_values(up{{job="{board["job"]}"}}, instance)'
        text = (
            GRAFANALIB_HEADER
            + "dashboard = Dashboard(\n"
            + f"    title={board['title']!r},\n    uid={board['uid']!r},\n"
            + f"    tags=['bench', {board['job']!r}],\n"
            + f"    templating=Templating(list=[Template(name='instance', query={variable!r}, "
            + "dataSource='Prometheus')]),\n"
            + "    rows=[\n"
            + ",\n".join(rows)
            + ",\n    ],\n).auto_panel_ids()\n"
        )
        path = folder / f"{board['uid']}.dashboard.py"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


# --- In-process stage timings ------------------------------------------------------------------------

STAGE_OURS = r"""
import sys, time, json
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from generator.pipeline import parse
from generator.resolve import resolve
from generator.compile.grafana_user_dashboards import compile_user_dashboards
from generator.write import render
root = Path(sys.argv[1])
documents, diagnostics, files = parse(root)
model, problems = resolve(documents, None, files)
start = time.perf_counter()
artifacts = compile_user_dashboards(model)
compiled = time.perf_counter()
rendered = render(artifacts, None)
done = time.perf_counter()
print(json.dumps({"compile_s": compiled - start, "serialize_s": done - compiled,
                  "bytes": sum(len(v) for k, v in rendered.items() if k.endswith(".json"))}))
"""

STAGE_GRAFANALIB = r"""
import sys, time, json, io, importlib.util
from grafanalib._gen import write_dashboard
files = sys.argv[1:]
codes = [compile(open(f).read(), f, "exec") for f in files]
start = time.perf_counter()
boards = []
for code in codes:
    namespace = {}
    exec(code, namespace)
    boards.append(namespace["dashboard"])
built = time.perf_counter()
size = 0
for board in boards:
    stream = io.StringIO()
    write_dashboard(board, stream)
    size += len(stream.getvalue().encode())
done = time.perf_counter()
print(json.dumps({"construct_s": built - start, "serialize_s": done - built, "bytes": size}))
"""


def stage_times(root: Path, files: list[Path], repeat: int) -> dict[str, Any]:
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(_child([sys.executable, "-c", STAGE_OURS, str(root), str(REPO_ROOT)]))
        theirs.append(_child([sys.executable, "-c", STAGE_GRAFANALIB, *map(str, files)]))
    ours_total = statistics.median(o["compile_s"] + o["serialize_s"] for o in ours)
    theirs_total = statistics.median(t["construct_s"] + t["serialize_s"] for t in theirs)
    return {
        "ours_compile_s": statistics.median(o["compile_s"] for o in ours),
        "ours_serialize_s": statistics.median(o["serialize_s"] for o in ours),
        "ours_total_s": ours_total,
        "grafanalib_construct_s": statistics.median(t["construct_s"] for t in theirs),
        "grafanalib_serialize_s": statistics.median(t["serialize_s"] for t in theirs),
        "grafanalib_total_s": theirs_total,
        "ratio": ours_total / theirs_total,
        "ours_bytes": ours[0]["bytes"],
        "grafanalib_bytes": theirs[0]["bytes"],
    }


def _child(argv: list[str]) -> dict[str, Any]:
    completed = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed:\n{completed.stderr[-2000:]}")
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


# --- The run -------------------------------------------------------------------------------------


def folder_bytes(files: list[Path]) -> int:
    return sum(path.stat().st_size for path in files)


def run(count: int, repeat: int) -> dict[str, Any]:
    boards = plan(count)
    ours_root = WORK / "ours"
    write_ours(ours_root, boards)
    grafanalib_dir = WORK / "grafanalib"
    files = write_grafanalib(grafanalib_dir, boards)
    compat_root = WORK / "compat"
    shutil.rmtree(compat_root, ignore_errors=True)
    (compat_root / "dashboards").mkdir(parents=True)
    for path in files:
        shutil.copy(path, compat_root / "dashboards" / path.name)
    print(f"{count} dashboards x {len(KINDS)} panels, as YAML and as grafanalib files")

    gen = gen_command()
    generated = ours_root / "generated"

    def cold(root: Path) -> Any:
        def setup(_index: int) -> None:
            set_aside(root / "generated")
            shutil.rmtree(root / ".gen-cache", ignore_errors=True)

        return setup

    def clean_grafanalib(index: int) -> None:
        # Moved aside, not deleted, for the same reason as our output (bench_build.set_aside).
        trash = OUT / "trash" / f"grafanalib-{index}"
        trash.mkdir(parents=True, exist_ok=True)
        for path in grafanalib_dir.glob("*.json"):
            path.rename(trash / path.name)

    results: dict[str, Measurement] = {}
    results["ours_cold"] = measure(
        "dash_ours_cold",
        f"`gen build`, cold, {count} YAML dashboards (no generated/, no build cache)",
        [*gen, "build", "--root", str(ours_root), "-q"],
        cwd=ours_root,
        repeat=repeat,
        setup=cold(ours_root),
    )
    discard_set_aside()
    results["ours_unchanged"] = measure(
        "dash_ours_unchanged",
        "`gen build`, nothing changed (build cache)",
        [*gen, "build", "--root", str(ours_root), "-q"],
        cwd=ours_root,
        repeat=repeat,
    )
    results["ours_no_cache"] = measure(
        "dash_ours_no_cache",
        "`gen build --no-cache`, nothing changed (full build, nothing written)",
        [*gen, "build", "--root", str(ours_root), "--no-cache", "-q"],
        cwd=ours_root,
        repeat=repeat,
    )
    generate = Path(sys.executable).with_name("generate-dashboards")
    results["grafanalib"] = measure(
        "dash_grafanalib",
        f"grafanalib 0.7 `generate-dashboards`, the same {count} dashboards",
        [str(generate), *map(str, files)],
        cwd=grafanalib_dir,
        repeat=repeat,
        setup=clean_grafanalib,
    )
    discard_set_aside()
    results["compat_cold"] = measure(
        "dash_compat_cold",
        f"`gen build`, cold, the {count} grafanalib files (run, upgrade, write)",
        [*gen, "build", "--root", str(compat_root), "-q"],
        cwd=compat_root,
        repeat=repeat,
        setup=cold(compat_root),
    )
    discard_set_aside()
    ours_files = sorted((generated / "grafana" / "dashboards").rglob("*.json"))
    theirs_files = sorted(grafanalib_dir.glob("*.json"))
    compat_files = sorted((compat_root / "generated" / "grafana" / "dashboards").rglob("*.json"))
    assert len(ours_files) == count and len(theirs_files) == count and len(compat_files) == count
    panels = [len(json.loads(p.read_text())["panels"]) for p in ours_files[:3]]
    print("in-process stages (compile + serialize vs construct + serialize)")
    stages = stage_times(ours_root, files, repeat)
    data: dict[str, Any] = {
        "dashboards": count,
        "panels_per_dashboard": len(KINDS),
        "ours_top_level_panels_sample": panels,
        "measurements": {key: m.summary() for key, m in results.items()},
        "sizes": {
            "ours_bytes": folder_bytes(ours_files),
            "grafanalib_bytes": folder_bytes(theirs_files),
            "compat_bytes": folder_bytes(compat_files),
        },
        "stages": stages,
        "ratio_cold": results["ours_cold"].median / results["grafanalib"].median,
        "ratio_unchanged": results["ours_unchanged"].median / results["grafanalib"].median,
        "ratio_no_cache": results["ours_no_cache"].median / results["grafanalib"].median,
        "ratio_compat": results["compat_cold"].median / results["grafanalib"].median,
        "command": f"python bench/bench_dashboards.py --dashboards {count} --repeat {repeat}",
    }
    data["target_met"] = data["ratio_cold"] <= TARGET
    return data


def print_table(data: dict[str, Any]) -> None:
    print()
    for row in data["measurements"].values():
        print(f"{row['median_s']:>8.3f} s  {row['peak_rss_mb']:>7.1f} MB  {row['title']}")
    sizes = data["sizes"]
    stages = data["stages"]
    print(
        f"ours cold / grafanalib: {data['ratio_cold']:.2f}x (target <= {TARGET}x: "
        f"{'met' if data['target_met'] else 'NOT met'}); no-cache {data['ratio_no_cache']:.2f}x; "
        f"cache hit {data['ratio_unchanged']:.2f}x; grafanalib files through gen {data['ratio_compat']:.2f}x"
    )
    print(
        f"in-process: ours {stages['ours_total_s']:.3f} s vs grafanalib {stages['grafanalib_total_s']:.3f} s "
        f"({stages['ratio']:.2f}x)"
    )
    print(
        f"output: ours {sizes['ours_bytes'] / 1e6:.2f} MB, "
        f"grafanalib {sizes['grafanalib_bytes'] / 1e6:.2f} MB, "
        f"upgraded grafanalib {sizes['compat_bytes'] / 1e6:.2f} MB"
    )


def markdown(data: dict[str, Any]) -> str:
    machine = data["machine"]
    stages = data["stages"]
    sizes = data["sizes"]
    lines = [
        BEGIN,
        "",
        f"Measured {machine['date']} at commit `{machine['commit']}`"
        + (" (with uncommitted changes in generator/)" if machine["generator_dirty"] else "")
        + f" on {machine['cpu']}, {machine['cores_usable']} cores, Python {machine['python']}.",
        "",
        "```",
        data["command"],
        "```",
        "",
        f"{data['dashboards']} dashboards of {data['panels_per_dashboard']} panels (3 rows of 4: time series,"
        " stat, gauge, bar gauge, table, heatmap; units, decimals, thresholds, legends, an `instance`"
        " variable), the same plan written as `kind: Dashboard` YAML and as grafanalib 0.7 files.",
        "",
        "| Scenario | Median s | Min s | CPU s | Peak RSS MB | Runs, s |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in data["measurements"].values():
        walls = " ".join(f"{run['wall_s']:.2f}" for run in row["runs"])
        lines.append(
            f"| {row['title']} | {row['median_s']:.3f} | {row['min_s']:.3f} | {row['cpu_median_s']:.3f} "
            f"| {row['peak_rss_mb']:.1f} | {walls} |"
        )
    lines += [
        "",
        "| Ratio to grafanalib's `generate-dashboards` | |",
        "|---|---:|",
        f"| ours, cold build | **{data['ratio_cold']:.2f}x** (target at most {TARGET}x: "
        f"**{'met' if data['target_met'] else 'not met'}**) |",
        f"| ours, full rebuild with nothing changed | {data['ratio_no_cache']:.2f}x |",
        f"| ours, nothing changed (build cache) | {data['ratio_unchanged']:.2f}x |",
        f"| the grafanalib files through `gen build` (run + upgrade + write) | {data['ratio_compat']:.2f}x |",
        "",
        f"In-process, without start-up and disk: our compile {stages['ours_compile_s']:.3f} s + serialize "
        f"{stages['ours_serialize_s']:.3f} s = {stages['ours_total_s']:.3f} s; grafanalib construct "
        f"{stages['grafanalib_construct_s']:.3f} s + serialize {stages['grafanalib_serialize_s']:.3f} s = "
        f"{stages['grafanalib_total_s']:.3f} s; ratio {stages['ratio']:.2f}x.",
        "",
        f"Output: ours {sizes['ours_bytes'] / 1e6:.2f} MB (schemaVersion 41), grafanalib "
        f"{sizes['grafanalib_bytes'] / 1e6:.2f} MB (schemaVersion 12, explicit nulls), grafanalib's "
        f"upgraded by `gen build` {sizes['compat_bytes'] / 1e6:.2f} MB.",
        "",
        END,
    ]
    return "\n".join(lines)


def update_results_md(block: str) -> None:
    write_marked_section(BEGIN, END, block, "Dashboards: ours against grafanalib")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dashboards", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.time()
    data = run(args.dashboards, args.repeat)
    data["machine"] = machine_info()
    data["seconds"] = round(time.time() - started, 1)
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    print_table(data)
    update_results_md(markdown(data))
    print(f"\nwrote {RESULTS_JSON.relative_to(REPO_ROOT)} and {RESULTS_MD.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
