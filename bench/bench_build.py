"""Benchmark `gen build` on a synthetic repository: wall time and peak memory.

    python bench/bench_build.py [--services N] [--repeat K] [--profile]

Writes the synthetic repository (bench/synthetic.py, fixed seed) to bench/out/repo, then runs the
real CLI as a child process, each scenario `--repeat` times (median and min reported):

1. `gen build` cold (no generated/ folder),
2. `gen build` with nothing changed,
3. `gen build --check` with nothing changed,
4. `gen build --env prod` cold,
5. `gen build` after editing one service file (incremental),

and the yardsticks: interpreter start-up, `gen --version` (the CLI's imports), `promtool check
rules` on every generated rule file in one invocation (what `gen check` runs), `promtool check
config`, and `gen check` itself (offline checks + promtool) and `gen check --offline`.

Peak memory is the child's max RSS from `os.wait4`. The child is started by a tiny Python wrapper
(`os.posix_spawn` + `os.wait4`), not by this process: Linux carries the spawning process's RSS
high-water mark over into a vfork/posix_spawn child's `ru_maxrss`; the wrapper (`python -S`, stdlib
only) keeps that floor below the RSS of a bare interpreter (the `python -c pass` row).

Results: a table on stdout, bench/out/results.json, and bench/RESULTS.md (the part between the
`bench:begin`/`bench:end` markers is rewritten; notes around it are kept). With `--profile`,
bench/profile_build.py also runs (in-process stage timings and cProfile) and its summary is added.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from synthetic import DEFAULT_SEED, DEFAULT_SERVICES, RepoStats, generate

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
OUT = BENCH / "out"
RESULTS_MD = BENCH / "RESULTS.md"
BEGIN = "<!-- bench:begin (written by bench/bench_build.py; edit outside these markers) -->"
END = "<!-- bench:end -->"

CACHE_DIR = ".gen-cache"  # the CLI's build cache, where it has one
IMPORTS_OF_A_BUILD = "import generator.cli, generator.pipeline, generator.write"
COLD_TARGET_S = 5.0
UNCHANGED_TARGET_S = 1.0

# Runs one command, reports its wall time and rusage as JSON. Kept small on purpose (see above).
WRAPPER = r"""
import json, os, sys, time
argv, cwd, out, err = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.chdir(cwd)
fo = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
fe = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
actions = [(os.POSIX_SPAWN_DUP2, fo, 1), (os.POSIX_SPAWN_DUP2, fe, 2)]
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime,
                  "maxrss_kb": usage.ru_maxrss, "returncode": os.waitstatus_to_exitcode(status)}))
"""


@dataclass(frozen=True)
class Run:
    wall: float
    user: float
    sys: float
    maxrss_kb: int
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Measurement:
    key: str
    title: str
    command: str
    runs: list[Run] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [r.wall for r in self.runs]

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def minimum(self) -> float:
        return min(self.walls)

    @property
    def cpu_median(self) -> float:
        return statistics.median(r.user + r.sys for r in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(r.maxrss_kb for r in self.runs) / 1024

    def summary(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "command": self.command,
            "repeat": len(self.runs),
            "median_s": round(self.median, 4),
            "min_s": round(self.minimum, 4),
            "max_s": round(max(self.walls), 4),
            "cpu_median_s": round(self.cpu_median, 4),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "runs": [
                {
                    "wall_s": round(r.wall, 4),
                    "user_s": round(r.user, 4),
                    "sys_s": round(r.sys, 4),
                    "maxrss_kb": r.maxrss_kb,
                }
                for r in self.runs
            ],
            "last_stdout": self.runs[-1].stdout.strip()[-400:] if self.runs else "",
        }


def gen_command() -> list[str]:
    """The `gen` console script of this interpreter's environment, else `python -m generator`."""
    script = Path(sys.executable).with_name("gen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "generator"]


def run_measured(argv: list[str], cwd: Path, logs: Path) -> Run:
    """Run `argv` under the wrapper; the child's wall time, CPU time and max RSS."""
    executable = argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0])
    if executable is None:
        raise SystemExit(f"not found: {argv[0]}")
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    completed = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            WRAPPER,
            json.dumps([executable, *argv[1:]]),
            str(cwd),
            str(out),
            str(err),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(completed.stdout)
    return Run(
        wall=float(data["wall"]),
        user=float(data["user"]),
        sys=float(data["sys"]),
        maxrss_kb=int(data["maxrss_kb"]),
        returncode=int(data["returncode"]),
        stdout=out.read_text(encoding="utf-8", errors="replace"),
        stderr=err.read_text(encoding="utf-8", errors="replace"),
    )


def set_aside(path: Path) -> None:
    """Move an earlier run's output out of the way instead of deleting it: ext4 was measured to
    slow down creating 1,400 files at a path whose previous tree had just been removed (a cold
    `gen build` took 1.5 s, then 1.7, 1.9, 2.2, 2.4 s on successive delete-and-rebuild cycles, a
    steady 1.5 s when the old tree was renamed away). `discard_set_aside()` deletes it all after
    the scenario, outside the timed runs."""
    if path.exists():
        trash = OUT / "trash"
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{path.name}-{time.monotonic_ns()}")


def discard_set_aside() -> None:
    shutil.rmtree(OUT / "trash", ignore_errors=True)


def measure(
    key: str,
    title: str,
    argv: list[str],
    *,
    cwd: Path,
    repeat: int,
    setup: Callable[[int], None] | None = None,
    expect: str | None = None,
) -> Measurement:
    """Run a scenario `repeat` times; `setup(i)` runs before each (untimed); `expect` is a regex
    the child's stdout must match (so a scenario cannot silently measure the wrong thing)."""
    shown = " ".join(_display(a) for a in argv)
    measurement = Measurement(key, title, shown)
    for index in range(repeat):
        if setup is not None:
            setup(index)
        # Start every run with no dirty pages of an earlier one in flight: `gen build` does not
        # fsync, and the writeback of the previous run's files (and of the deletions a setup
        # made) otherwise slows the next run down, more with every run.
        os.sync()
        run = run_measured(argv, cwd, OUT / "logs" / key)
        if run.returncode != 0:
            raise SystemExit(
                f"{key}: exit status {run.returncode}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
            )
        if expect is not None and not re.search(expect, run.stdout):
            raise SystemExit(f"{key}: output does not match {expect!r}:\n{run.stdout[-2000:]}")
        measurement.runs.append(run)
        print(
            f"  {key:<22} run {index + 1}/{repeat}: {run.wall:7.3f}s  {run.maxrss_kb / 1024:7.1f} MB",
            flush=True,
        )
    return measurement


def _display(arg: str) -> str:
    """Shorten absolute paths in the printed commands."""
    for base, name in ((str(OUT / "repo"), "bench/out/repo"), (str(REPO_ROOT), ".")):
        if arg.startswith(base):
            return name + arg[len(base) :]
    return arg


def rule_files(out: Path) -> list[Path]:
    return sorted((out / "prometheus" / "rules").rglob("*.yml"))


def output_stats(out: Path) -> dict[str, int]:
    files = [p for p in out.rglob("*") if p.is_file()]
    alerts = records = groups = 0
    for path in rule_files(out):
        text = path.read_text(encoding="utf-8")
        alerts += len(re.findall(r"^\s*- alert: ", text, re.MULTILINE))
        records += len(re.findall(r"^\s*- record: ", text, re.MULTILINE))
        groups += len(re.findall(r"^  - name: ", text, re.MULTILINE))
    config = (out / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    return {
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "rule_files": len(rule_files(out)),
        "rule_groups": groups,
        "alerting_rules": alerts,
        "recording_rules": records,
        "rules": alerts + records,
        "scrape_jobs": len(re.findall(r"^  - job_name: ", config, re.MULTILINE)),
    }


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    promtool = shutil.which("promtool")
    promtool_version = ""
    if promtool:
        completed = subprocess.run([promtool, "--version"], capture_output=True, text=True, check=False)
        promtool_version = (completed.stdout or completed.stderr).splitlines()[0] if completed.stdout else ""
    commit = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    packages = {}
    for name in ("pydantic", "pydantic_core", "PyYAML", "promql-parser", "click"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "?"
    try:
        import yaml

        libyaml = bool(getattr(yaml, "__with_libyaml__", False))
    except ImportError:
        libyaml = False
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": packages,
        "libyaml": libyaml,
        "promtool": promtool_version,
        "commit": commit,
        "generator_dirty": bool(
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "generator"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
        ),
        "bytecode": "generator/ has cached bytecode"
        if (REPO_ROOT / "generator" / "__pycache__").is_dir()
        else "no cached bytecode for generator/ (each run compiles it)"
        + (", PYTHONDONTWRITEBYTECODE set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""),
    }


def run_benchmark(services: int, repeat: int, seed: int) -> dict[str, Any]:
    repo = OUT / "repo"
    gen = gen_command()
    print(f"writing the synthetic repository ({services} services, seed {seed}) to {_display(str(repo))}")
    stats: RepoStats = generate(repo, services=services, seed=seed)
    generated = repo / "generated"
    generated_prod = repo / "generated-prod"
    for folder in (generated, generated_prod):
        shutil.rmtree(folder, ignore_errors=True)
    build = [*gen, "build", "--root", str(repo)]
    results: dict[str, Measurement] = {}
    # A CLI with a build cache answers "nothing changed" from it; `--no-cache` rebuilds in full.
    has_cache = (
        "--no-cache"
        in subprocess.run([*gen, "build", "--help"], capture_output=True, text=True, check=True).stdout
    )
    cache_dir = repo / CACHE_DIR

    def clean(folder: Path) -> Callable[[int], None]:
        """Cold: no output folder and no build cache."""

        def setup(_index: int) -> None:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(cache_dir, ignore_errors=True)

        return setup

    print("measuring")
    results["python"] = measure(
        "python",
        "interpreter start-up (`python -c pass`)",
        [sys.executable, "-c", "pass"],
        cwd=repo,
        repeat=repeat,
    )
    results["imports"] = measure(
        "imports",
        "`gen --version` (interpreter + the CLI's imports)",
        [*gen, "--version"],
        cwd=repo,
        repeat=repeat,
    )
    results["cold"] = measure(
        "cold",
        "`gen build`, cold (no generated/, no build cache)",
        build,
        cwd=repo,
        repeat=repeat,
        setup=clean(generated),
        expect=r": \d+ new, 0 changed, 0 removed, 0 unchanged",
    )
    unchanged = r"(: 0 new, 0 changed, 0 removed, \d+ unchanged|up to date)"
    results["unchanged"] = measure(
        "unchanged",
        "`gen build`, nothing changed" + (" (answered by the build cache)" if has_cache else ""),
        build,
        cwd=repo,
        repeat=repeat,
        expect=unchanged,
    )
    if has_cache:
        results["unchanged_no_cache"] = measure(
            "unchanged_no_cache",
            "`gen build --no-cache`, nothing changed (full build, nothing written)",
            [*build, "--no-cache"],
            cwd=repo,
            repeat=repeat,
            expect=r": 0 new, 0 changed, 0 removed, \d+ unchanged",
        )
    results["check_unchanged"] = measure(
        "check_unchanged",
        "`gen build --check`, nothing changed" + (" (answered by the build cache)" if has_cache else ""),
        [*build, "--check"],
        cwd=repo,
        repeat=repeat,
        expect=r"up to date",
    )
    results["env_prod_cold"] = measure(
        "env_prod_cold",
        "`gen build --env prod`, cold (no generated-prod/, no build cache)",
        [*build, "--env", "prod"],
        cwd=repo,
        repeat=repeat,
        setup=clean(generated_prod),
        expect=r": \d+ new, 0 changed, 0 removed, 0 unchanged",
    )

    # Incremental: flip one threshold of one service between two values before each run.
    service_files = [
        path
        for path in sorted((repo / "rules").glob("*/*.yaml"))
        if "\nkind: Service\n" in path.read_text(encoding="utf-8")
    ]
    edited = service_files[len(service_files) // 2]
    original = edited.read_text(encoding="utf-8")

    def edit(index: int) -> None:
        text = original
        match = re.search(r"(HighErrorRatio\n(?:    .*\n)*?    value: )([0-9.]+)", text)
        if match is None:
            raise SystemExit(f"cannot find the threshold to edit in {edited}")
        value = "0.333" if index % 2 == 0 else "0.444"
        edited.write_text(text[: match.start(2)] + value + text[match.end(2) :], encoding="utf-8")

    results["incremental"] = measure(
        "incremental",
        f"`gen build` after editing one service ({edited.relative_to(repo).as_posix()})",
        build,
        cwd=repo,
        repeat=repeat,
        setup=edit,
        # The rule file and the service's dashboard, which draws the alert's threshold.
        expect=r": 0 new, 2 changed, 0 removed, \d+ unchanged",
    )
    edited.write_text(original, encoding="utf-8")
    subprocess.run([*build, "-q"], check=True)  # generated/ matches the definitions again

    promtool = shutil.which("promtool")
    if promtool is not None:
        files = [p.relative_to(generated).as_posix() for p in rule_files(generated)]
        results["promtool_rules"] = measure(
            "promtool_rules",
            f"yardstick: `promtool check rules` on all {len(files)} rule files (one invocation)",
            [promtool, "check", "rules", "--lint=duplicate-rules", "--lint-fatal", *files],
            cwd=generated,
            repeat=repeat,
        )
        results[
            "promtool_rules"
        ].command = "promtool check rules --lint=duplicate-rules --lint-fatal prometheus/rules/*/*.yml"
        results["promtool_config"] = measure(
            "promtool_config",
            "yardstick: `promtool check config` (loads every rule file too)",
            [promtool, "check", "config", "--lint=duplicate-rules", "--lint-fatal", "prometheus.yml"],
            cwd=generated / "prometheus",
            repeat=repeat,
        )
        results["gen_check"] = measure(
            "gen_check",
            "`gen check` (build + offline checks + promtool config & rules)",
            [*gen, "check", "--root", str(repo)],
            cwd=repo,
            repeat=min(repeat, 3),
            expect="checks passed",
        )
    results["gen_check_offline"] = measure(
        "gen_check_offline",
        "`gen check --offline` (build + offline checks)",
        [*gen, "check", "--root", str(repo), "--offline"],
        cwd=repo,
        repeat=min(repeat, 3),
        expect="checks passed",
    )

    data: dict[str, Any] = {
        "machine": machine_info(),
        "command": f"python bench/bench_build.py --services {services} --repeat {repeat}"
        + ("" if seed == DEFAULT_SEED else f" --seed {seed}"),
        "repository": asdict(stats) | {"root": "bench/out/repo"},
        "output": output_stats(generated),
        "output_prod": output_stats(generated_prod),
        "measurements": {key: m.summary() for key, m in results.items()},
    }
    data["repository"]["definition_files_loaded"] = len(stats_files(repo))
    data["targets"] = {
        name: {
            "target_s": target,
            "median_s": round(m.median, 3),
            "met": m.median < target,
            "runs_under_target": sum(w < target for w in m.walls),
            "runs": len(m.walls),
        }
        for name, m, target in (
            ("cold_under_5s", results["cold"], COLD_TARGET_S),
            ("unchanged_under_1s", results["unchanged"], UNCHANGED_TARGET_S),
        )
    }
    if "promtool_rules" in results:
        yardstick = results["promtool_rules"].median
        data["ratios_to_promtool_rules"] = {
            key: round(results[key].median / yardstick, 2)
            for key in (
                "cold",
                "unchanged",
                "unchanged_no_cache",
                "check_unchanged",
                "env_prod_cold",
                "incremental",
                "gen_check",
            )
            if key in results
        }
    return data


def stats_files(repo: Path) -> list[Path]:
    found: list[Path] = []
    for folder in ("rules", "prometheus", "alertmanager", "dashboards"):
        found += [p for p in (repo / folder).rglob("*") if p.suffix in (".yaml", ".yml")]
    return sorted(found)


def _median_stages(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-stage medians over several fresh-interpreter runs of `profile_build.py --what stages`."""
    merged = dict(runs[0])
    for key in ("stages", "gc_seconds"):
        merged[key] = {label: statistics.median(r[key][label] for r in runs) for label in runs[0][key]}
    for key in ("total_seconds", "import_seconds", "gc_total_seconds"):
        merged[key] = statistics.median(r[key] for r in runs)
    merged["collections_per_run"] = [r["gc_collections"] for r in runs]
    merged["runs"] = len(runs)
    merged["totals"] = [r["total_seconds"] for r in runs]
    return merged


def run_profiles(top: int, repeat: int) -> dict[str, Any]:
    """bench/profile_build.py in fresh interpreters: stage timings (untraced, `repeat` runs, medians)
    per mode, a what-if run with the garbage collector off, cProfile, and the import times."""
    repo = OUT / "repo"
    script = BENCH / "profile_build.py"
    folder = OUT / "profile"
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}
    jobs: list[tuple[str, str, str, list[str], int]] = [
        ("imports", "cold", "imports", [], 1),
        ("stages_cold", "cold", "stages", [], repeat),
        ("stages_unchanged", "unchanged", "stages", [], repeat),
        ("stages_env", "env", "stages", [], repeat),
        ("stages_unchanged_whatif", "unchanged", "stages", ["--what-if-gc"], repeat),
        ("stages_cached", "cached", "stages", [], repeat),
        ("cprofile_cold", "cold", "cprofile", [], 1),
        ("cprofile_unchanged", "unchanged", "cprofile", [], 1),
        ("cprofile_cached", "cached", "cprofile", [], 1),
    ]
    for key, mode, what, extra, runs in jobs:
        results: list[dict[str, Any]] = []
        for index in range(runs):
            target = folder / f"{key}.json"
            command = [sys.executable, str(script), "--root", str(repo), "--mode", mode, "--what", what]
            command += ["--top", str(top), "--json", str(target), *extra]
            if what == "cprofile":
                command += ["--pstats", str(folder / f"{key}.pstats")]
            print(f"  profile {key} {index + 1}/{runs}", flush=True)
            completed = subprocess.run(command, capture_output=True, text=True, check=True)
            (folder / f"{key}.txt").write_text(completed.stdout, encoding="utf-8")
            results.append(json.loads(target.read_text(encoding="utf-8")))
        found[key] = _median_stages(results) if what == "stages" else results[0]
    # Leave generated/ up to date with the definitions.
    subprocess.run([*gen_command(), "build", "--root", str(repo), "-q"], check=True)
    return found


def _s(value: float) -> str:
    return f"{value:.3f}"


def print_table(data: dict[str, Any]) -> None:
    rows = data["measurements"]
    print()
    print(f"{'scenario':<20} {'median s':>9} {'min s':>8} {'cpu s':>7} {'peak MB':>8}  title")
    for key, row in rows.items():
        print(
            f"{key:<20} {row['median_s']:>9.3f} {row['min_s']:>8.3f} {row['cpu_median_s']:>7.3f} "
            f"{row['peak_rss_mb']:>8.1f}  {row['title']}"
        )
    for name, target in data["targets"].items():
        print(f"target {name}: median {target['median_s']:.3f}s -> {'met' if target['met'] else 'NOT met'}")
    if "ratios_to_promtool_rules" in data:
        print(
            "ratio to `promtool check rules`: "
            + ", ".join(f"{k} {v}x" for k, v in data["ratios_to_promtool_rules"].items())
        )


def markdown(data: dict[str, Any], profiles: dict[str, Any] | None) -> str:
    machine = data["machine"]
    repo = data["repository"]
    output = data["output"]
    rows = data["measurements"]
    lines = [
        BEGIN,
        "",
        f"Measured {machine['date']} at commit `{machine['commit']}`"
        + (" (with uncommitted changes in generator/)" if machine["generator_dirty"] else "")
        + " with:",
        "",
        "```",
        data["command"],
        "```",
        "",
        "| Machine | |",
        "|---|---|",
        f"| CPU | {machine['cpu']} |",
        f"| Cores | {machine['cores']} ({machine['cores_usable']} usable) |",
        f"| Memory | {machine['memory']} |",
        f"| OS | {machine['os']} |",
        f"| Python | {machine['python']} ({machine['python_implementation']}) |",
        "| Packages | "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
        + f", libyaml {'yes' if machine['libyaml'] else 'no'} |",
        f"| promtool | {machine['promtool']} |",
        f"| Bytecode | {machine['bytecode']} |",
        "",
        "### Synthetic repository",
        "",
        "| | |",
        "|---|---|",
        f"| Services | {repo['services']} (10 alerts each), {repo['scraped_services']} with `scrape:` |",
        f"| Teams / alert groups / overlays | {repo['teams']} / {repo['alert_groups']} / {repo['overlays']} "
        f"(patching {', '.join(f'{k} {v}' for k, v in repo['patched_services'].items())} services) |",
        f"| Definition files | {repo['files']} "
        f"({repo['yaml_bytes'] / 1e6:.2f} MB of YAML, seed {repo['seed']}) |",
        f"| Alerts declared | {repo['alerts_declared']} |",
        f"| Generated (default build) | {output['files']} files, {output['bytes'] / 1e6:.2f} MB; "
        f"{output['rule_files']} rule files, {output['rule_groups']} groups |",
        f"| Rules generated | {output['rules']} ({output['alerting_rules']} alerting, "
        f"{output['recording_rules']} recording); {output['scrape_jobs']} scrape jobs |",
        f"| Generated with `--env prod` | {data['output_prod']['rules']} rules, "
        f"{data['output_prod']['scrape_jobs']} scrape jobs |",
        "",
        "### Wall time and peak memory (child process, median of the runs)",
        "",
        "| Scenario | Median s | Min s | CPU s | Peak RSS MB | Runs, s |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows.values():
        walls = " ".join(f"{run['wall_s']:.2f}" for run in row["runs"])
        lines.append(
            f"| {row['title']} | {_s(row['median_s'])} | {_s(row['min_s'])} | {_s(row['cpu_median_s'])} "
            f"| {row['peak_rss_mb']:.1f} | {walls} |"
        )
    lines += [
        "",
        "### Targets",
        "",
        "| Target | Median | Met (median) | Runs under target |",
        "|---|---:|---|---:|",
    ]
    labels = {"cold_under_5s": "cold build under 5 s", "unchanged_under_1s": "nothing changed under 1 s"}
    for name, target in data["targets"].items():
        lines.append(
            f"| {labels[name]} | {_s(target['median_s'])} s | {'yes' if target['met'] else '**no**'} "
            f"| {target['runs_under_target']} of {target['runs']} |"
        )
    if "ratios_to_promtool_rules" in data:
        yardstick = rows["promtool_rules"]["median_s"]
        lines += [
            "",
            f"Ratio to the yardstick, `promtool check rules` on the same rule files ({_s(yardstick)} s): "
            + ", ".join(f"{k} **{v}x**" for k, v in data["ratios_to_promtool_rules"].items())
            + ".",
        ]
    if profiles:
        lines += ["", *profile_markdown(profiles)]
    lines += ["", END]
    return "\n".join(lines)


def _stage_columns(profiles: dict[str, Any]) -> dict[str, str]:
    unchanged = profiles.get("stages_unchanged", {})
    full = "full rebuild, nothing changed (`--no-cache`) s" if unchanged.get("has_cache") else "unchanged s"
    columns = {"stages_cold": "cold s", "stages_unchanged": full, "stages_env": "`--env prod` cold s"}
    what_if = profiles.get("stages_unchanged_whatif")
    if what_if:
        columns["stages_unchanged_whatif"] = f"{full.removesuffix(' s')}, {what_if['what_if']} (what-if) s"
    return columns


def _stage_table(profiles: dict[str, Any]) -> list[str]:
    columns = _stage_columns(profiles)
    modes = [(k, profiles[k]) for k in columns if k in profiles]
    cold = profiles["stages_cold"]
    header = "| Stage | " + " | ".join(columns[k] for k, _ in modes) + " | cold % | of which GC, cold s |"
    lines = [header, "|---|" + "---:|" * (len(modes) + 2)]
    for label in cold["stages"]:
        if all(p["stages"].get(label, 0.0) < 0.0005 for _, p in modes):
            continue  # a stage this version of the CLI does not have
        cells = " | ".join(_s(p["stages"].get(label, 0.0)) for _, p in modes)
        share = 100 * cold["stages"][label] / cold["total_seconds"]
        lines.append(f"| {label} | {cells} | {share:.0f}% | {_s(cold['gc_seconds'][label])} |")
    totals = " | ".join(f"**{_s(p['total_seconds'])}**" for _, p in modes)
    gc_total = cold["gc_total_seconds"]
    lines.append(
        f"| **total in-process (`gen build`, after imports)** | {totals} | 100% | **{_s(gc_total)}** |"
    )
    imports = " | ".join(_s(p["import_seconds"]) for _, p in modes)
    lines.append(f"| imports before the command (not in the total) | {imports} | | |")
    collections = " | ".join("/".join(str(c) for c in p["gc_collections"]) for _, p in modes)
    lines.append(f"| garbage collections, generation 0/1/2 | {collections} | | |")
    cached = profiles.get("stages_cached")
    if cached:
        lines += [
            "",
            "`gen build` with nothing changed, answered by the build cache "
            f"(medians of {cached['runs']} runs; `{cached['output']}`):",
            "",
            "| Step | s |",
            "|---|---:|",
            f"| imports (`generator.cli` and the cache module) | {_s(cached['import_seconds'])} |",
        ]
        for label, seconds in cached["stages"].items():
            lines.append(f"| {label} | {_s(seconds)} |")
        lines.append(f"| **total after imports** | **{_s(cached['total_seconds'])}** |")
        heavy = ", ".join(cached["heavy_modules_imported"]) or "none"
        lines.append(
            f"| heavy modules imported on this path (pydantic, yaml, promql_parser, pipeline) | {heavy} |"
        )
    return lines


def _profile_rows(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| ncalls | tottime s | cumtime s | function |", "|---:|---:|---:|---|"]
    for row in rows:
        function = row["function"].replace("|", "\\|")
        lines.append(f"| {row['ncalls']} | {row['tottime']:.3f} | {row['cumtime']:.3f} | `{function}` |")
    return lines


def profile_markdown(profiles: dict[str, Any]) -> list[str]:
    lines = [
        "### Where the time goes (in-process, `python bench/profile_build.py`)",
        "",
        "The real CLI runs in-process (`generator.cli.main`), with timers wrapped around the stage "
        "functions it calls (no profiler), exclusive of nested stages, each run in a fresh "
        "interpreter; medians of the runs. A `gc.callbacks` hook charges garbage-collector pauses "
        "to the running stage.",
        "",
        *_stage_table(profiles),
    ]
    imports = profiles.get("imports")
    if imports:
        packages = {k: v for k, v in imports["packages"].items() if k != "generator"}
        top = ", ".join(f"{name} {ms:.0f} ms" for name, ms in list(packages.items())[:8])
        lines += [
            "",
            f"What a full build imports (`{IMPORTS_OF_A_BUILD}`) takes {imports['wall_seconds']:.2f} s "
            f"with the interpreter (`-X importtime`): the generator's own modules "
            f"{imports['generator_self_ms']:.0f} ms (pydantic builds the spec models' validators "
            f"there); largest packages: {top}.",
        ]
    for key, title in (
        ("cprofile_cold", "cold build"),
        ("cprofile_unchanged", "full rebuild with nothing changed (`--no-cache` where available)"),
        ("cprofile_cached", "nothing changed, build cache hit"),
    ):
        if key not in profiles:
            continue
        profile = profiles[key]
        count = len(profile["by_cumulative"])
        lines += [
            "",
            f"<details><summary>cProfile, {title} ({profile['profiled_seconds']:.2f} s under the profiler): "
            f"top {count} by cumulative and by own time</summary>",
            "",
            *_profile_rows(profile["by_cumulative"]),
            "",
            *_profile_rows(profile["by_tottime"]),
            "",
            "</details>",
        ]
    return lines


def write_marked_section(begin: str, end: str, block: str, heading: str) -> None:
    """Replace the part of RESULTS.md between `begin` and `end` with `block` (which carries the
    markers); the first time, append it under `heading`. Everything else in the file is kept."""
    text = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + block + "\n"
    RESULTS_MD.write_text(text, encoding="utf-8")


def update_results_md(text: str) -> None:
    if RESULTS_MD.exists():
        current = RESULTS_MD.read_text(encoding="utf-8")
        if BEGIN in current and END in current:
            before = current[: current.index(BEGIN)]
            after = current[current.index(END) + len(END) :]
            RESULTS_MD.write_text(before + text + after, encoding="utf-8")
            return
    RESULTS_MD.write_text(
        "# `gen build` benchmark results\n\nRegenerate with `python bench/bench_build.py --profile`.\n\n"
        + text
        + "\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark gen build on a synthetic repository.")
    parser.add_argument("--services", type=int, default=DEFAULT_SERVICES, help="Number of services.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per scenario (median and min reported).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Seed of the synthetic repository.")
    parser.add_argument("--profile", action="store_true", help="Also profile in-process (stages, cProfile).")
    parser.add_argument("--top", type=int, default=25, help="Rows of each cProfile table.")
    parser.add_argument("--profile-repeat", type=int, default=3, help="Runs per stage-timing mode.")
    parser.add_argument("--no-markdown", action="store_true", help="Do not rewrite bench/RESULTS.md.")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.services < 1:
        parser.error("--repeat and --services must be positive")
    OUT.mkdir(parents=True, exist_ok=True)
    data = run_benchmark(args.services, args.repeat, args.seed)
    profiles = None
    if args.profile:
        print("profiling")
        profiles = run_profiles(args.top, args.profile_repeat)
        data["profile"] = {
            key: {k: v for k, v in value.items() if k != "text"} for key, value in profiles.items()
        }
    (OUT / "results.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print_table(data)
    if not args.no_markdown:
        update_results_md(markdown(data, profiles))
        print(f"wrote {_display(str(OUT / 'results.json'))} and {_display(str(RESULTS_MD))}")


if __name__ == "__main__":
    main()
