"""Benchmark our SLO rules: evaluation cost in a real Prometheus against Sloth's rule shape, and
generation time against slokit-sre.

    python bench/bench_slo.py [--services 200] [--rounds 10] [--repeat 5] [--skip-eval | --skip-gen]

(a) Evaluation cost. 200 services (bench/slo_synthetic.py, fixed seed), each with one availability
SLO over `http_requests_total` (8 to 27 raw series per SLO). Their traffic is backfilled as TSDB
blocks (`promtool tsdb create-blocks-from openmetrics`, `--history` hours at `--step` seconds), and
so is the history of each rule shape's 5-minute recordings (ours: `slo:sli_errors:rate5m` and
`slo:sli_total:rate5m`; Sloth's: `slo:sli_error:ratio_rate5m`), which the longer windows read: a
Prometheus that had been running for days would have it. Each TSDB is compacted by a Prometheus
without rules first (backfilled 2-hour blocks are compacted into larger ones a minute after start;
that must not happen while rules are timed), and the queries that prove the data is visible are
recorded. Then, one after the other, a Prometheus 2.42 on 127.0.0.1 with the same
`evaluation_interval` runs on a fresh copy of each TSDB: once with the rules `gen build` generates
for the 200 SLOs, once with Sloth's 17 rules per SLO for the same SLIs (bench/sloth_shape.py). The
gap between the end of the history and the start is backfilled just before (`top-up`), and from
then on both scrape a live exporter in this process that continues the same counters. After
`--warmup` rounds, every round for `--rounds` rounds: the sum over rule groups of
`prometheus_rule_group_last_duration_seconds` and `..._last_evaluation_samples`, the CPU time of
the process, and every rule's `evaluationTime` from /api/v1/rules (the per-rule profile). Finally
both run side by side and the error ratios each recorded for every window are compared with each
other and with the true ratio of the synthetic counters (sanity).

(b) Generation time. 1,000 SLOs (200 services x 5: availability, latency, two routes, and a
`{{.window}}` query) as our definitions and as slokit-sre specs. `gen build` cold (no output, no
build cache) and with nothing changed, against `slo-kit gen-alerts` (installed with pip into its own
venv, bench/out/slokit-venv) on one file holding the 1,000 specs, and one call per spec file (the
only way to get rule files Prometheus loads: a multi-spec file gives one `groups:` key per SLO in
one document). Wall time of the child processes, medians of `--repeat` runs (bench_build.py's
wrapper). A stage profile of our cold build says where its time goes.

Results: a table on stdout, bench/out/slo_results.json, and bench/RESULTS.md (the part between the
`bench-slo:begin`/`bench-slo:end` markers is rewritten; everything else is kept).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
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
from slo_synthetic import (
    DAY_S,
    DEFAULT_SEED,
    METRIC,
    SLO_KINDS,
    ServicePlan,
    exposition,
    ours_base_lines,
    plan_services,
    raw_lines,
    sloth_base_lines,
    write_repo,
    write_slokit_specs,
)
from sloth_shape import SlothSLO, recording_labels, write_rule_file

BENCH = Path(__file__).resolve().parent
RESULTS_MD = BENCH / "RESULTS.md"
RESULTS_JSON = OUT / "slo_results.json"
EVAL = OUT / "slo-eval"
GEN = OUT / "slo-gen"
SLOKIT_VENV = OUT / "slokit-venv"
BEGIN = "<!-- bench-slo:begin (written by bench/bench_slo.py; edit outside these markers) -->"
END = "<!-- bench-slo:end -->"

BLOCK_S = 7200  # promtool 2.42 writes 2-hour blocks and parses its input once per block: a file each
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
WINDOW_S = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400, "3d": 259200}
EVAL_TARGET = 0.6  # ours at most 0.6x Sloth's evaluation cost
GEN_TARGET = 0.3  # ours at most 0.3x slokit-sre's generation time
ISSUE_SLOKIT_SECONDS = 6.0  # the issue's figure for slokit-sre on 1,000 SLOs
VARIANTS = ("ours", "sloth")


# --- Prometheus ----------------------------------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Prometheus text exposition: name -> [(labels, value)]."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(LABEL.findall(match.group(2) or ""))
        found.setdefault(match.group(1), []).append((labels, float(match.group(3))))
    return found


def metric_sum(metrics: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    return sum(value for _, value in metrics.get(name, []))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Prometheus:
    name: str
    data: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **params: str) -> Any:
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        with urllib.request.urlopen(self.url + path + query, timeout=120) as response:
            body = response.read().decode()
        return json.loads(body) if path.startswith("/api/") else body

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        answer = self.get("/api/v1/query", **params)
        if answer.get("status") != "success":
            raise SystemExit(f"{self.name}: query {expr!r} failed: {answer}")
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def metrics(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        return parse_metrics(str(self.get("/metrics")))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def prometheus_version() -> str:
    binary = shutil.which("prometheus")
    if binary is None:
        return ""
    completed = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    text = completed.stdout or completed.stderr
    return text.splitlines()[0] if text else ""


def write_config(path: Path, interval: int, rule_files: list[Path], exporter_port: int | None) -> None:
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": f"{interval}s",
            "scrape_timeout": "10s",
            "evaluation_interval": f"{interval}s",
        },
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": [],
    }
    if exporter_port is not None:
        config["scrape_configs"].append(
            {
                "job_name": "synthetic",
                "honor_labels": True,  # the exporter's job and instance labels are the real ones
                "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def start_prometheus(name: str, data: Path, config: Path) -> Prometheus:
    binary = shutil.which("prometheus")
    if binary is None:
        raise SystemExit("prometheus is not installed (apt-get install prometheus)")
    port = free_port()
    log = data.parent / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=3650d",  # keep (and serve) every backfilled block
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=info",
        ],
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    server = Prometheus(name, data, port, process, log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name}: prometheus exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/-/ready", timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.5)
    server.stop()
    raise SystemExit(f"{name}: prometheus not ready after 300 s:\n{log.read_text()[-3000:]}")


# --- Live exporter -------------------------------------------------------------------------------


class Exporter:
    """Serves the synthetic counters at the time of each scrape, in a thread of this process."""

    def __init__(self, plans: list[ServicePlan]) -> None:
        def payload_of() -> bytes:
            return exposition(plans, time.time()).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = payload_of()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Exporter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Backfill ------------------------------------------------------------------------------------

Emit = Callable[[list[int]], Iterable[str]]


def backfill(data: Path, start: int, end: int, step: int, emit: Emit, scratch: Path) -> dict[str, Any]:
    """Samples at `start`, `start + step`, ... `end` (inclusive) from `emit(stamps)`, one OpenMetrics
    file per 2-hour block, each turned into a TSDB block in `data` by promtool. promtool runs on one
    file while the next is written."""
    promtool = shutil.which("promtool")
    if promtool is None:
        raise SystemExit("promtool is not installed")
    scratch.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    lines = size = files = 0
    pending: tuple[subprocess.Popen[bytes], Path] | None = None

    def finish() -> None:
        if pending is None:
            return
        process, path = pending
        if process.wait() != 0:
            raise SystemExit(
                f"promtool failed on {path}: {process.stderr.read().decode() if process.stderr else ''}"
            )
        path.unlink()

    block = start // BLOCK_S * BLOCK_S
    while block <= end:
        first = max(start, block)
        first += (step - (first - start) % step) % step
        stamps = list(range(first, min(block + BLOCK_S, end + 1), step))
        block += BLOCK_S
        if not stamps:
            continue
        text = "".join(emit(stamps)) + "# EOF\n"
        path = scratch / f"{stamps[0]}.om"
        path.write_text(text, encoding="utf-8")
        lines += text.count("\n") - 1
        size += len(text)
        files += 1
        finish()
        process = subprocess.Popen(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(path), str(data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        pending = (process, path)
    finish()
    return {
        "samples": lines,
        "openmetrics_mb": round(size / 1e6, 1),
        "files": files,
        "seconds": round(time.perf_counter() - began, 1),
    }


def block_summary(data: Path) -> list[dict[str, Any]]:
    blocks = []
    for meta in sorted(data.glob("*/meta.json")):
        info = json.loads(meta.read_text())
        blocks.append(
            {
                "hours": round((info["maxTime"] - info["minTime"]) / 3_600_000, 1),
                "level": info["compaction"]["level"],
                "series": info["stats"]["numSeries"],
                "samples": info["stats"]["numSamples"],
            }
        )
    return blocks


# --- Rules ---------------------------------------------------------------------------------------


@dataclass
class EvalSetup:
    plans: list[ServicePlan]
    now: int  # end of the backfilled history
    start: int  # its start
    step: int
    interval: int
    rule_files: dict[str, list[Path]]
    ours_labels: dict[str, dict[str, dict[str, str]]]
    sloth_labels: dict[str, dict[str, str]]
    rules: dict[str, dict[str, int]] = field(default_factory=dict)

    def emitter(self, variant: str) -> Emit:
        if variant == "raw":
            return lambda stamps: raw_lines(self.plans, stamps)
        if variant == "ours":
            return lambda stamps: ours_base_lines(self.plans, stamps, self.ours_labels)
        return lambda stamps: sloth_base_lines(self.plans, stamps, self.sloth_labels)


def sloth_slos(plans: list[ServicePlan]) -> dict[str, SlothSLO]:
    """The same availability SLI as ours, as Sloth `events` queries."""
    found = {}
    for plan in plans:
        job = plan.name
        found[plan.name] = SlothSLO(
            service=plan.name,
            name="availability",
            objective=plan.objective,
            error_query=f'sum(rate({METRIC}{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))',
            total_query=f'sum(rate({METRIC}{{job="{job}"}}[{{{{.window}}}}]))',
            labels={"owner": plan.team},
            alert_name="".join(p.capitalize() for p in plan.name.split("-")) + "HighErrorRate",
        )
    return found


def count_rules(files: list[Path]) -> dict[str, int]:
    groups = records = alerts = 0
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in data.get("groups", []):
            groups += 1
            for rule in group.get("rules", []):
                if "record" in rule:
                    records += 1
                else:
                    alerts += 1
    return {"files": len(files), "groups": groups, "recording": records, "alerting": alerts}


def ours_base_labels(files: list[Path]) -> dict[str, dict[str, dict[str, str]]]:
    """service -> record -> labels of our 5-minute recordings, read from the generated rule files."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for path in files:
        for group in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("groups", []):
            for rule in group.get("rules", []):
                if rule.get("record") in ("slo:sli_errors:rate5m", "slo:sli_total:rate5m"):
                    labels = {k: str(v) for k, v in rule.get("labels", {}).items()}
                    found.setdefault(labels["service"], {})[rule["record"]] = labels
    return found


def promtool_check(files: list[Path]) -> str:
    promtool = shutil.which("promtool")
    assert promtool is not None
    completed = subprocess.run(
        [promtool, "check", "rules", *map(str, files)], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"promtool check rules failed:\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        )
    return f"{len(files)} files, SUCCESS"


def setup_eval(services: int, seed: int, history_h: float, step: int, interval: int) -> EvalSetup:
    now = int(time.time()) // step * step
    start = now - int(history_h * 3600) // step * step
    plans = plan_services(services, seed, now, now - start)
    repo = EVAL / "repo"
    print(f"writing {services} services with one SLO each to {repo.relative_to(REPO_ROOT)}, gen build")
    write_repo(repo, plans, ("availability",))
    shutil.rmtree(repo / "generated", ignore_errors=True)
    subprocess.run([*gen_command(), "build", "--root", str(repo), "-q"], check=True)
    ours_files = sorted((repo / "generated" / "prometheus" / "rules").glob("*/*.yml"))
    sloth_dir = EVAL / "sloth-rules"
    shutil.rmtree(sloth_dir, ignore_errors=True)
    slos = sloth_slos(plans)
    for plan in plans:
        write_rule_file(sloth_dir / f"{plan.name}.yml", [slos[plan.name]])
    sloth_files = sorted(sloth_dir.glob("*.yml"))
    setup = EvalSetup(
        plans=plans,
        now=now,
        start=start,
        step=step,
        interval=interval,
        rule_files={"ours": ours_files, "sloth": sloth_files},
        ours_labels=ours_base_labels(ours_files),
        sloth_labels={name: recording_labels(slo, "5m") for name, slo in slos.items()},
    )
    for variant in VARIANTS:
        setup.rules[variant] = count_rules(setup.rule_files[variant])
        print(
            f"  {variant}: {setup.rules[variant]}; "
            f"promtool check rules: {promtool_check(setup.rule_files[variant])}"
        )
    missing = [p.name for p in plans if p.name not in setup.ours_labels]
    if missing:
        raise SystemExit(f"no 5m recording found in the generated rules of {missing[:5]}")
    return setup


# --- (a) Evaluation ------------------------------------------------------------------------------


def wait_compacted(server: Prometheus, timeout: float = 400) -> dict[str, Any]:
    """Wait for the compaction a Prometheus starts a minute after it opens its TSDB to be over."""
    began = time.monotonic()
    stable = 0
    last = -1.0
    while time.monotonic() - began < timeout:
        metrics = server.metrics()
        triggered = metric_sum(metrics, "prometheus_tsdb_compactions_triggered_total")
        populating = metric_sum(metrics, "prometheus_tsdb_compaction_populating_block")
        blocks = metric_sum(metrics, "prometheus_tsdb_blocks_loaded")
        stable = stable + 1 if (triggered >= 1 and populating == 0 and blocks == last) else 0
        last = blocks
        if stable >= 3:
            return {
                "blocks_loaded": int(blocks),
                "compactions": int(metric_sum(metrics, "prometheus_tsdb_compactions_total")),
                "seconds": round(time.monotonic() - began, 1),
            }
        time.sleep(3)
    raise SystemExit(f"{server.name}: compaction did not settle in {timeout} s")


def min_value(result: list[dict[str, Any]]) -> float:
    return min((float(r["value"][1]) for r in result), default=0.0)


def verify_history(server: Prometheus, setup: EvalSetup, variant: str) -> dict[str, Any]:
    """Queries that show the backfilled blocks are served: series at the start, middle and end of the
    history, samples per series over the longest windows, and the recorded 5m history."""
    series = sum(len(p.series) for p in setup.plans)
    middle = (setup.start + setup.now) // 2
    counts = {
        label: int(min_value(server.query(f"count({METRIC})", at=t)))
        for label, t in (("start", setup.start + 600), ("middle", middle), ("end", setup.now))
    }
    first = setup.plans[0].name
    per_3d = server.query(f'count_over_time({METRIC}{{job="{first}"}}[3d])', at=setup.now)
    record = "slo:sli_total:rate5m" if variant == "ours" else "slo:sli_error:ratio_rate5m"
    span = f"{int((setup.now - setup.start) / 3600) + 1}h"
    recorded = server.query(f"count_over_time({record}[{span}])", at=setup.now)
    found = {
        "series_expected": series,
        "series_at": counts,
        "samples_per_raw_series_3d_min": int(min_value(per_3d)),
        "samples_per_raw_series_3d_expected": 3 * 86400 // setup.step + 1,
        "recorded_5m_series": len(recorded),
        "recorded_5m_samples_min": int(min_value(recorded)),
    }
    if any(c != series for c in counts.values()) or len(recorded) != len(setup.plans):
        raise SystemExit(f"{variant}: backfilled data is not all visible: {found}")
    return found


def prepare(setup: EvalSetup, raw: Path, variant: str) -> dict[str, Any]:
    """A compacted TSDB for `variant`: the raw history plus its 5-minute recordings' history."""
    data = EVAL / "prepared" / variant
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(raw, data)
    print(f"  backfilling {variant}'s 5m recordings")
    stats = backfill(
        data, setup.start + 300, setup.now, setup.step, setup.emitter(variant), EVAL / "scratch" / variant
    )
    config = EVAL / "prepared" / f"{variant}-prepare.yml"
    write_config(config, setup.interval, [], None)
    print(f"  compacting {variant}'s TSDB (a Prometheus without rules, about a minute)")
    server = start_prometheus(f"{variant}-prepare", data, config)
    try:
        compaction = wait_compacted(server)
        visible = verify_history(server, setup, variant)
    finally:
        server.stop()
    return {
        "recordings_backfill": stats,
        "compaction": compaction,
        "visible": visible,
        "blocks": block_summary(data),
    }


def top_up(setup: EvalSetup, data: Path, variant: str) -> dict[str, Any]:
    """Backfill from the end of the history to now, so the run starts without a gap."""
    now = int(time.time()) // setup.step * setup.step
    first = setup.now + setup.step
    if now < first:
        return {"seconds": 0.0, "samples": 0}
    raw = backfill(data, first, now, setup.step, setup.emitter("raw"), EVAL / "scratch" / "top-up")
    base = backfill(data, first, now, setup.step, setup.emitter(variant), EVAL / "scratch" / "top-up")
    return {
        "until": now,
        "minutes": round((now - setup.now) / 60, 1),
        "samples": raw["samples"] + base["samples"],
    }


@dataclass
class Round:
    at: float
    last_duration: float
    last_samples: float
    duration_sum: float
    duration_count: float
    cpu: float
    iterations: float
    missed: float
    failures: float
    compactions: float
    per_rule: dict[str, float]
    per_group_api: float


def rule_key(variant: str, rule: dict[str, Any]) -> str:
    labels = rule.get("labels") or {}
    if rule["type"] == "recording":
        return str(rule["name"])
    if variant == "ours":
        if "long_window" in labels:
            return f"alert {rule['name']} {labels['long_window']}/{labels['short_window']}"
        return f"alert {rule['name']}"
    return f"alert ({labels.get('sloth_severity', '?')})"


def take_round(server: Prometheus, variant: str) -> Round:
    metrics = server.metrics()
    api = server.get("/api/v1/rules")
    per_rule: dict[str, float] = {}
    groups_total = 0.0
    for group in api["data"]["groups"]:
        groups_total += float(group.get("evaluationTime", 0.0))
        for rule in group["rules"]:
            key = rule_key(variant, rule)
            per_rule[key] = per_rule.get(key, 0.0) + float(rule.get("evaluationTime", 0.0))
    return Round(
        at=time.time(),
        last_duration=metric_sum(metrics, "prometheus_rule_group_last_duration_seconds"),
        last_samples=metric_sum(metrics, "prometheus_rule_group_last_evaluation_samples"),
        duration_sum=metric_sum(metrics, "prometheus_rule_group_duration_seconds_sum"),
        duration_count=metric_sum(metrics, "prometheus_rule_group_duration_seconds_count"),
        cpu=metric_sum(metrics, "process_cpu_seconds_total"),
        iterations=metric_sum(metrics, "prometheus_rule_group_iterations_total"),
        missed=metric_sum(metrics, "prometheus_rule_group_iterations_missed_total"),
        failures=metric_sum(metrics, "prometheus_rule_evaluation_failures_total"),
        compactions=metric_sum(metrics, "prometheus_tsdb_compactions_total"),
        per_rule=per_rule,
        per_group_api=groups_total,
    )


def wait_rounds(server: Prometheus, rounds: int, interval: int) -> None:
    """Until every rule group has been evaluated `rounds` times, and no compaction is running."""
    deadline = time.monotonic() + (rounds + 4) * interval + 120
    while time.monotonic() < deadline:
        metrics = server.metrics()
        iterations = [v for _, v in metrics.get("prometheus_rule_group_iterations_total", [])]
        busy = metric_sum(metrics, "prometheus_tsdb_compaction_populating_block")
        if iterations and min(iterations) >= rounds and busy == 0:
            return
        time.sleep(2)
    raise SystemExit(f"{server.name}: rule groups did not reach {rounds} evaluations")


def run_variant(
    setup: EvalSetup, variant: str, exporter: Exporter, warmup: int, rounds: int, index: int
) -> dict[str, Any]:
    run = EVAL / "run" / f"{variant}-{index}"
    shutil.rmtree(run, ignore_errors=True)
    data = run / "data"
    shutil.copytree(EVAL / "prepared" / variant, data)
    topped = top_up(setup, data, variant)
    config = run / "prometheus.yml"
    write_config(config, setup.interval, setup.rule_files[variant], exporter.port)
    server = start_prometheus(variant, data, config)
    print(
        f"  {variant} pass {index + 1}: prometheus on :{server.port}, warming up ({warmup} rounds)",
        flush=True,
    )
    try:
        wait_rounds(server, warmup, setup.interval)
        taken = [take_round(server, variant)]
        for number in range(rounds):
            time.sleep(setup.interval)
            taken.append(take_round(server, variant))
            print(
                f"    round {number + 1}/{rounds}: rule groups {taken[-1].last_duration * 1000:8.1f} ms, "
                f"{taken[-1].last_samples:7.0f} samples",
                flush=True,
            )
        joined = server.query(
            f"count_over_time({'slo:sli_total:rate5m' if variant == 'ours' else 'slo:sli_error:ratio_rate5m'}"
            f"[{int((time.time() - setup.start) / 3600) + 1}h])"
        )
    finally:
        server.stop()
    first, last = taken[0], taken[-1]
    group_count = setup.rules[variant]["groups"]
    evaluations = (last.iterations - first.iterations) / group_count
    per_rule = {
        key: statistics.median(r.per_rule.get(key, 0.0) for r in taken[1:]) for key in taken[-1].per_rule
    }
    return {
        "variant": variant,
        "pass": index + 1,
        "top_up": topped,
        "rounds": rounds,
        "last_duration_s": [round(r.last_duration, 5) for r in taken[1:]],
        "last_duration_median_s": statistics.median(r.last_duration for r in taken[1:]),
        "api_evaluation_time_median_s": statistics.median(r.per_group_api for r in taken[1:]),
        "last_samples_median": statistics.median(r.last_samples for r in taken[1:]),
        "mean_round_s": (last.duration_sum - first.duration_sum) / evaluations if evaluations else math.nan,
        "cpu_per_round_s": (last.cpu - first.cpu) / evaluations if evaluations else math.nan,
        "rounds_counted": round(evaluations, 2),
        "missed_iterations": int(last.missed),
        "failures": int(last.failures),
        "compactions_during_rounds": int(last.compactions - first.compactions),
        "recorded_5m_samples_per_series_min": int(min_value(joined)),
        "per_rule_median_s": dict(sorted(per_rule.items(), key=lambda kv: -kv[1])),
    }


def ratio_values(server: Prometheus, variant: str) -> dict[str, dict[str, tuple[float, float]]]:
    """window -> service -> (recorded error ratio, timestamp of the sample)."""
    found: dict[str, dict[str, tuple[float, float]]] = {}
    service = "service" if variant == "ours" else "sloth_service"
    for window in WINDOWS:
        name = f"slo:sli_error:ratio_rate{window}"
        stamps = {r["metric"][service]: float(r["value"][1]) for r in server.query(f"timestamp({name})")}
        found[window] = {
            r["metric"][service]: (float(r["value"][1]), stamps[r["metric"][service]])
            for r in server.query(name)
        }
    return found


def sanity(setup: EvalSetup, exporter: Exporter, warmup: int) -> dict[str, Any]:
    """Both rule sets side by side: their recorded error ratios against each other and the truth."""
    servers: dict[str, Prometheus] = {}
    try:
        for variant in VARIANTS:
            run = EVAL / "run" / f"{variant}-sanity"
            shutil.rmtree(run, ignore_errors=True)
            shutil.copytree(EVAL / "prepared" / variant, run / "data")
            top_up(setup, run / "data", variant)
            write_config(run / "prometheus.yml", setup.interval, setup.rule_files[variant], exporter.port)
            servers[variant] = start_prometheus(f"{variant}-sanity", run / "data", run / "prometheus.yml")
        print(f"  sanity: both rule sets side by side, {warmup} rounds", flush=True)
        for server in servers.values():
            wait_rounds(server, warmup, setup.interval)
        values = {variant: ratio_values(server, variant) for variant, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    plans = {p.name: p for p in setup.plans}
    budget = {p.name: (100 - p.objective) / 100 for p in setup.plans}
    table: dict[str, Any] = {}
    for window in WINDOWS:
        ours, sloth = values["ours"][window], values["sloth"][window]
        both = sorted(set(ours) & set(sloth))
        diffs, ours_truth, sloth_truth, ratios = [], [], [], []
        for name in both:
            (a, ta), (b, tb) = ours[name], sloth[name]
            span = WINDOW_S.get(window)

            def truth(at: float, span: int | None = span, name: str = name) -> float:
                begin = setup.start if span is None else max(setup.start, at - span)
                return plans[name].error_ratio(begin, at)

            diffs.append(abs(a - b) / budget[name])
            ours_truth.append(abs(a - truth(ta)) / budget[name])
            sloth_truth.append(abs(b - truth(tb)) / budget[name])
            ratios.append(a)
        table[window] = {
            "slos_compared": len(both),
            "ours_only": len(set(ours) - set(sloth)),
            "sloth_only": len(set(sloth) - set(ours)),
            "median_error_ratio_ours": statistics.median(ratios) if ratios else math.nan,
            "ours_vs_sloth_median": statistics.median(diffs) if diffs else math.nan,
            "ours_vs_sloth_max": max(diffs, default=math.nan),
            "ours_vs_truth_median": statistics.median(ours_truth) if ours_truth else math.nan,
            "ours_vs_truth_max": max(ours_truth, default=math.nan),
            "sloth_vs_truth_median": statistics.median(sloth_truth) if sloth_truth else math.nan,
            "sloth_vs_truth_max": max(sloth_truth, default=math.nan),
        }
    return table


def eval_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    setup = setup_eval(args.services, args.seed, args.history, args.step, args.interval)
    raw = EVAL / "tsdb-raw"
    shutil.rmtree(raw, ignore_errors=True)
    shutil.rmtree(EVAL / "scratch", ignore_errors=True)
    print(
        f"backfilling {args.history} h of raw counters at {args.step} s "
        f"({sum(len(p.series) for p in setup.plans)} series)"
    )
    raw_stats = backfill(
        raw, setup.start, setup.now, setup.step, setup.emitter("raw"), EVAL / "scratch" / "raw"
    )
    print(f"  {raw_stats}")
    prepared = {variant: prepare(setup, raw, variant) for variant in VARIANTS}
    runs: list[dict[str, Any]] = []
    with Exporter(setup.plans) as exporter:
        for index in range(args.passes):
            for variant in VARIANTS:
                runs.append(run_variant(setup, variant, exporter, args.warmup, args.rounds, index))
        checks = sanity(setup, exporter, max(args.warmup, 3)) if not args.skip_sanity else {}
    summary: dict[str, Any] = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        summary[variant] = {
            "last_duration_median_s": statistics.median(v for r in mine for v in r["last_duration_s"]),
            "mean_round_s": statistics.median(r["mean_round_s"] for r in mine),
            "cpu_per_round_s": statistics.median(r["cpu_per_round_s"] for r in mine),
            "last_samples_median": statistics.median(r["last_samples_median"] for r in mine),
            "rules": setup.rules[variant],
            "rules_per_slo": (setup.rules[variant]["recording"] + setup.rules[variant]["alerting"])
            / len(setup.plans),
        }
    ratio = summary["ours"]["last_duration_median_s"] / summary["sloth"]["last_duration_median_s"]
    return {
        "command": "python bench/bench_slo.py"
        + f" --services {args.services} --history {args.history:g} --step {args.step}"
        + f" --interval {args.interval} --warmup {args.warmup} --rounds {args.rounds} --passes {args.passes}",
        "services": args.services,
        "slos": len(setup.plans),
        "raw_series": sum(len(p.series) for p in setup.plans),
        "raw_series_per_slo": [
            min(len(p.series) for p in setup.plans),
            max(len(p.series) for p in setup.plans),
        ],
        "history_hours": args.history,
        "step_s": args.step,
        "interval_s": args.interval,
        "prometheus": prometheus_version(),
        "raw_backfill": raw_stats,
        "prepared": prepared,
        "runs": runs,
        "summary": summary,
        "ratio_last_duration": ratio,
        "ratio_mean_round": summary["ours"]["mean_round_s"] / summary["sloth"]["mean_round_s"],
        "ratio_cpu_per_round": summary["ours"]["cpu_per_round_s"] / summary["sloth"]["cpu_per_round_s"],
        "ratio_samples": summary["ours"]["last_samples_median"] / summary["sloth"]["last_samples_median"],
        "target": EVAL_TARGET,
        "target_met": ratio <= EVAL_TARGET,
        "sanity": checks,
    }


# --- (b) Generation ------------------------------------------------------------------------------


def slokit_binary() -> Path:
    binary = SLOKIT_VENV / "bin" / "slo-kit"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SLOKIT_VENV)], check=True)
        completed = subprocess.run(
            [str(SLOKIT_VENV / "bin" / "pip"), "install", "-q", "slokit-sre"],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0 or not binary.exists():
            raise RuntimeError(f"pip install slokit-sre failed: {completed.stderr.strip()[-1000:]}")
    return binary


def slokit_version() -> str:
    completed = subprocess.run(
        [str(SLOKIT_VENV / "bin" / "pip"), "show", "slokit-sre"], capture_output=True, text=True, check=False
    )
    match = re.search(r"^Version: (.+)$", completed.stdout, re.MULTILINE)
    return match.group(1) if match else "?"


def count_rule_lines(files: Iterable[Path]) -> dict[str, int]:
    records = alerts = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        records += len(re.findall(r"^\s*- record: ", text, re.MULTILINE))
        alerts += len(re.findall(r"^\s*- alert: ", text, re.MULTILINE))
    return {"recording": records, "alerting": alerts, "rules": records + alerts}


def gen_benchmark(args: argparse.Namespace) -> dict[str, Any]:
    kinds = SLO_KINDS[: args.slos_per_service]
    plans = plan_services(args.gen_services, args.seed, time.time(), 4 * DAY_S)
    repo = GEN / "repo"
    slo_count = write_repo(repo, plans, kinds)
    specs = write_slokit_specs(GEN / "slokit", plans, kinds)
    per_slo = GEN / "slokit" / "slos"
    per_slo.mkdir()
    for index, doc in enumerate(specs["all"].read_text(encoding="utf-8").split("---\n")):
        (per_slo / f"{index:04d}.yaml").write_text(doc, encoding="utf-8")
    print(f"generation: {slo_count} SLOs on {len(plans)} services ({', '.join(kinds)})")
    gen = gen_command()
    build = [*gen, "build", "--root", str(repo)]
    generated = repo / "generated"

    def cold(_index: int) -> None:
        set_aside(generated)
        shutil.rmtree(repo / ".gen-cache", ignore_errors=True)

    results: dict[str, Measurement] = {}
    results["ours_cold"] = measure(
        "slo_ours_cold",
        f"`gen build`, cold, {slo_count} SLOs (no generated/, no build cache)",
        build,
        cwd=repo,
        repeat=args.repeat,
        setup=cold,
        expect=r": \d+ new, 0 changed, 0 removed, 0 unchanged",
    )
    discard_set_aside()
    results["ours_unchanged"] = measure(
        "slo_ours_unchanged",
        "`gen build`, nothing changed",
        build,
        cwd=repo,
        repeat=args.repeat,
        expect=r"(: 0 new, 0 changed, 0 removed, \d+ unchanged|up to date)",
    )
    ours_rules = count_rule_lines(sorted((generated / "prometheus" / "rules").glob("*/*.yml")))
    ours_files = sum(1 for p in generated.rglob("*") if p.is_file())
    data: dict[str, Any] = {
        "slos": slo_count,
        "services": len(plans),
        "kinds": list(kinds),
        "ours": {
            "rules": ours_rules,
            "rules_per_slo": ours_rules["rules"] / slo_count,
            "files_written": ours_files,
        },
    }
    try:
        slokit = slokit_binary()
    except (RuntimeError, OSError) as error:
        data["slokit_error"] = str(error)
        slokit = None
    if slokit is not None:
        out = GEN / "slokit-out"
        shutil.rmtree(out, ignore_errors=True)
        (out / "slos").mkdir(parents=True)
        results["slokit_all"] = measure(
            "slo_slokit_all",
            f"`slo-kit gen-alerts all.yaml` (one call, {slo_count} specs in one file)",
            [str(slokit), "gen-alerts", str(specs["all"]), "--out", str(out / "all.yml")],
            cwd=GEN,
            repeat=args.repeat,
        )
        loop = (
            f'for f in "{per_slo}"/*.yaml; do '
            f'"{slokit}" gen-alerts "$f" --out "{out}/slos/$(basename "$f" .yaml).yml"'
            " 2>/dev/null || exit 1; done"
        )
        if args.slokit_per_slo_repeat > 0:
            results["slokit_per_slo"] = measure(
                "slo_slokit_per_slo",
                f"`slo-kit gen-alerts` once per spec file ({slo_count} calls)",
                ["/bin/sh", "-c", loop],
                cwd=GEN,
                repeat=args.slokit_per_slo_repeat,
            )
            results[
                "slokit_per_slo"
            ].command = "for f in slos/*.yaml; do slo-kit gen-alerts $f --out ...; done"
        slokit_rules = count_rule_lines([out / "all.yml"])
        promtool = shutil.which("promtool")
        valid_all = valid_per_slo = "not checked"
        if promtool:
            completed = subprocess.run(
                [promtool, "check", "rules", str(out / "all.yml")],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = (completed.stdout + completed.stderr).strip().splitlines()
            valid_all = (
                "valid" if completed.returncode == 0 else f"rejected: {lines[-1].strip() if lines else '?'}"
            )
            per_files = sorted((out / "slos").glob("*.yml"))
            if per_files:
                completed = subprocess.run(
                    [promtool, "check", "rules", *map(str, per_files)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                valid_per_slo = f"{len(per_files)} files " + (
                    "valid" if completed.returncode == 0 else "rejected"
                )
        data["slokit"] = {
            "version": slokit_version(),
            "rules": slokit_rules,
            "rules_per_slo": slokit_rules["rules"] / slo_count,
            "promtool_all_yml": valid_all,
            "promtool_per_slo": valid_per_slo,
        }
    # Where our cold build's time goes.
    target = OUT / "profile" / "slo_stages_cold.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCH / "profile_build.py"),
            "--root",
            str(repo),
            "--mode",
            "cold",
            "--what",
            "stages",
            "--json",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode == 0:
        stages = json.loads(target.read_text(encoding="utf-8"))
        data["ours_stages_cold"] = {
            "total_s": stages["total_seconds"],
            "import_s": stages["import_seconds"],
            "stages_s": dict(sorted(stages["stages"].items(), key=lambda kv: -kv[1])[:8]),
        }
    subprocess.run([*build, "-q"], check=True)
    data["measurements"] = {key: m.summary() for key, m in results.items()}
    ours = results["ours_cold"].median
    if "slokit_all" in results:
        data["ratio_cold_vs_slokit_all"] = ours / results["slokit_all"].median
        data["target_met"] = data["ratio_cold_vs_slokit_all"] <= GEN_TARGET
    if "slokit_per_slo" in results:
        data["ratio_cold_vs_slokit_per_slo"] = ours / results["slokit_per_slo"].median
    data["ratio_cold_vs_issue_figure"] = ours / ISSUE_SLOKIT_SECONDS
    data["target"] = GEN_TARGET
    data["command"] = (
        f"python bench/bench_slo.py --gen-services {args.gen_services} "
        f"--slos-per-service {args.slos_per_service}"
        f" --repeat {args.repeat} --slokit-per-slo-repeat {args.slokit_per_slo_repeat}"
    )
    return data


# --- Report --------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_table(data: dict[str, Any]) -> None:
    evaluation = data.get("evaluation")
    if evaluation:
        print()
        print(
            f"{'rule shape':<10} {'rules/SLO':>9} {'groups':>6} {'sum last ms':>11} "
            f"{'mean ms':>8} {'cpu ms':>7} {'samples':>8}"
        )
        for variant in VARIANTS:
            s = evaluation["summary"][variant]
            print(
                f"{variant:<10} {s['rules_per_slo']:>9.0f} {s['rules']['groups']:>6} "
                f"{_ms(s['last_duration_median_s']):>11} {_ms(s['mean_round_s']):>8} "
                f"{_ms(s['cpu_per_round_s']):>7} {s['last_samples_median']:>8.0f}"
            )
        print(
            f"ours/Sloth: rule-group duration {evaluation['ratio_last_duration']:.2f}x "
            f"(target <= {EVAL_TARGET}x: {'met' if evaluation['target_met'] else 'NOT met'}), "
            f"CPU per round {evaluation['ratio_cpu_per_round']:.2f}x, "
            f"samples {evaluation['ratio_samples']:.2f}x"
        )
    generation = data.get("generation")
    if generation:
        print()
        for row in generation["measurements"].values():
            print(f"{row['median_s']:>8.3f} s  {row['title']}")
        if "ratio_cold_vs_slokit_all" in generation:
            print(
                f"ours cold / slokit one call: {generation['ratio_cold_vs_slokit_all']:.2f}x "
                f"(target <= {GEN_TARGET}x: {'met' if generation['target_met'] else 'NOT met'})"
            )
        if "ratio_cold_vs_slokit_per_slo" in generation:
            print(f"ours cold / slokit one call per SLO: {generation['ratio_cold_vs_slokit_per_slo']:.3f}x")


def markdown(data: dict[str, Any]) -> str:
    machine = data["machine"]
    lines = [
        BEGIN,
        "",
        f"Measured {machine['date']} at commit `{machine['commit']}`"
        + (" (with uncommitted changes in generator/)" if machine["generator_dirty"] else "")
        + f" on {machine['cpu']}, {machine['cores_usable']} cores, {machine['memory']}, "
        f"Python {machine['python']}, "
        f"{data.get('evaluation', {}).get('prometheus') or machine['promtool']}.",
    ]
    evaluation = data.get("evaluation")
    if evaluation:
        summary = evaluation["summary"]
        lines += [
            "",
            "### Rule evaluation cost, 200 SLOs, ours against Sloth's rule shape",
            "",
            "```",
            evaluation["command"],
            "```",
            "",
            f"{evaluation['slos']} SLOs (one availability SLO per service) over "
            f"{evaluation['raw_series']} raw "
            f"`http_requests_total` series ({evaluation['raw_series_per_slo'][0]} to "
            f"{evaluation['raw_series_per_slo'][1]} per SLO); "
            f"{evaluation['history_hours']:g} h of history at "
            f"{evaluation['step_s']} s backfilled "
            f"({evaluation['raw_backfill']['samples']:,} samples), plus each "
            f"shape's 5m recordings; `evaluation_interval` {evaluation['interval_s']} s; "
            "live scrape of the same "
            f"counters afterwards.",
            "",
            "| | ours | Sloth's shape | ours / Sloth |",
            "|---|---:|---:|---:|",
            f"| rules per SLO | {summary['ours']['rules_per_slo']:.0f} "
            f"| {summary['sloth']['rules_per_slo']:.0f} | |",
            f"| rule groups | {summary['ours']['rules']['groups']} "
            f"| {summary['sloth']['rules']['groups']} | |",
            f"| Σ `prometheus_rule_group_last_duration_seconds`, median of the rounds | "
            f"{_ms(summary['ours']['last_duration_median_s'])} ms "
            f"| {_ms(summary['sloth']['last_duration_median_s'])} ms "
            f"| **{evaluation['ratio_last_duration']:.2f}x** |",
            "| mean evaluation time per round (`prometheus_rule_group_duration_seconds` sum) | "
            f"{_ms(summary['ours']['mean_round_s'])} ms | {_ms(summary['sloth']['mean_round_s'])} ms "
            f"| {evaluation['ratio_mean_round']:.2f}x |",
            "| process CPU per round (rules + scrape + TSDB) "
            f"| {_ms(summary['ours']['cpu_per_round_s'])} ms "
            f"| {_ms(summary['sloth']['cpu_per_round_s'])} ms | {evaluation['ratio_cpu_per_round']:.2f}x |",
            "| Σ `prometheus_rule_group_last_evaluation_samples` "
            f"| {summary['ours']['last_samples_median']:.0f} "
            f"| {summary['sloth']['last_samples_median']:.0f} | {evaluation['ratio_samples']:.2f}x |",
            "",
            f"Target: ours at most {EVAL_TARGET}x Sloth's evaluation cost: "
            + ("**met**." if evaluation["target_met"] else "**not met**."),
            "",
            "Runs (each a fresh copy of the prepared TSDB, topped up to the start):",
            "",
            "| run | top-up | Σ last duration per round, ms | missed | failures | compactions "
            "| recorded 5m samples/series |",
            "|---|---:|---|---:|---:|---:|---:|",
        ]
        for run in evaluation["runs"]:
            lines.append(
                f"| {run['variant']} {run['pass']} | {run['top_up'].get('minutes', 0)} min | "
                + " ".join(_ms(v) for v in run["last_duration_s"])
                + f" | {run['missed_iterations']} | {run['failures']} | {run['compactions_during_rounds']} "
                f"| {run['recorded_5m_samples_per_series_min']} |"
            )
        lines += ["", "Backfilled data visible to queries (after the compaction):", ""]
        for variant, prep in evaluation["prepared"].items():
            v = prep["visible"]
            lines.append(
                f"- {variant}: {v['series_at']['start']}/{v['series_at']['middle']}/"
                f"{v['series_at']['end']} raw series "
                f"at the start/middle/end of the history (of {v['series_expected']}), "
                f"{v['samples_per_raw_series_3d_min']} samples per raw series over 3d "
                f"(expected {v['samples_per_raw_series_3d_expected']}), "
                f"{v['recorded_5m_series']} recorded 5m series "
                f"with at least {v['recorded_5m_samples_min']} samples; "
                f"{len(prep['blocks'])} blocks after compaction "
                f"({', '.join(str(b['hours']) + ' h' for b in prep['blocks'])})."
            )
        for variant in VARIANTS:
            top = next(r for r in evaluation["runs"] if r["variant"] == variant)["per_rule_median_s"]
            total = sum(top.values()) or 1.0
            lines += [
                "",
                f"Per-rule `evaluationTime` summed over the SLOs, {variant} "
                "(median of the rounds, first run):",
                "",
                "| rule | ms per round | share |",
                "|---|---:|---:|",
            ]
            for key, seconds in list(top.items())[:12]:
                lines.append(f"| `{key}` | {_ms(seconds)} | {100 * seconds / total:.0f}% |")
        if evaluation["sanity"]:
            lines += [
                "",
                "Sanity: the error ratio each shape records, both running side by side; differences in"
                " units of the SLO's error budget (|a - b| / (1 - objective)), median / max over the SLOs."
                " The truth is the synthetic counters' exact ratio over the window (30d: over the history"
                " there is).",
                "",
                "| window | median ratio | ours vs Sloth | ours vs truth | Sloth vs truth |",
                "|---|---:|---:|---:|---:|",
            ]
            for window, row in evaluation["sanity"].items():
                lines.append(
                    f"| {window} | {row['median_error_ratio_ours']:.5f} "
                    f"| {row['ours_vs_sloth_median']:.3f} / "
                    f"{row['ours_vs_sloth_max']:.3f} | {row['ours_vs_truth_median']:.3f} / "
                    f"{row['ours_vs_truth_max']:.3f} "
                    f"| {row['sloth_vs_truth_median']:.3f} / {row['sloth_vs_truth_max']:.3f} |"
                )
    generation = data.get("generation")
    if generation:
        lines += [
            "",
            f"### Generation time, {generation['slos']} SLOs, ours against slokit-sre",
            "",
            "```",
            generation["command"],
            "```",
            "",
        ]
        if "slokit_error" in generation:
            lines += [f"slokit-sre could not be run: {generation['slokit_error']}", ""]
        lines += [
            "| Scenario | Median s | Min s | Peak RSS MB | Runs, s |",
            "|---|---:|---:|---:|---|",
        ]
        for row in generation["measurements"].values():
            walls = " ".join(f"{run['wall_s']:.2f}" for run in row["runs"])
            lines.append(
                f"| {row['title']} | {row['median_s']:.3f} | {row['min_s']:.3f} "
                f"| {row['peak_rss_mb']:.1f} | {walls} |"
            )
        ours = generation["ours"]
        lines += [
            "",
            f"Rules per SLO: ours {ours['rules_per_slo']:.0f} ({ours['rules']['recording']} recording, "
            f"{ours['rules']['alerting']} alerting for {generation['slos']} SLOs; the build also writes the "
            f"dashboards: {ours['files_written']} files in all)",
        ]
        if "slokit" in generation:
            kit = generation["slokit"]
            lines[-1] += (
                f"; slokit-sre {kit['version']} {kit['rules_per_slo']:.0f} "
                f"({kit['rules']['recording']} recording, "
                f"{kit['rules']['alerting']} alerting). `promtool check rules` on slokit's one-call output: "
                f"{kit['promtool_all_yml']}; on its per-spec outputs: {kit['promtool_per_slo']}."
            )
        else:
            lines[-1] += "."
        lines.append("")
        if "ratio_cold_vs_slokit_all" in generation:
            lines.append(
                "Ratio, ours cold against slokit-sre's one call: "
                f"**{generation['ratio_cold_vs_slokit_all']:.2f}x** "
                f"(target at most {GEN_TARGET}x: **{'met' if generation['target_met'] else 'not met'}**)"
                + (
                    f"; against one call per spec: {generation['ratio_cold_vs_slokit_per_slo']:.3f}x"
                    if "ratio_cold_vs_slokit_per_slo" in generation
                    else ""
                )
                + f"; against the issue's {ISSUE_SLOKIT_SECONDS} s: "
                f"{generation['ratio_cold_vs_issue_figure']:.2f}x."
            )
        if "ours_stages_cold" in generation:
            stages = generation["ours_stages_cold"]
            lines += [
                "",
                f"Our cold build in-process ({stages['total_s']:.2f} s "
                f"after {stages['import_s']:.2f} s of imports),"
                " largest stages: "
                + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in stages["stages_s"].items())
                + ".",
            ]
    lines += ["", END]
    return "\n".join(lines)


def update_results_md(block: str) -> None:
    write_marked_section(BEGIN, END, block, "SLO benchmarks: rule evaluation and generation (bench_slo.py)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=200, help="SLOs of the evaluation benchmark")
    parser.add_argument("--history", type=float, default=84, help="hours of backfilled history")
    parser.add_argument("--step", type=int, default=30, help="seconds between backfilled samples")
    parser.add_argument("--interval", type=int, default=30, help="evaluation and scrape interval, seconds")
    parser.add_argument("--warmup", type=int, default=4, help="evaluations of every group before measuring")
    parser.add_argument("--rounds", type=int, default=10, help="rounds measured per run")
    parser.add_argument("--passes", type=int, default=1, help="runs of each rule shape (interleaved)")
    parser.add_argument("--skip-sanity", action="store_true")
    parser.add_argument("--gen-services", type=int, default=200)
    parser.add_argument(
        "--slos-per-service", type=int, default=len(SLO_KINDS), choices=range(1, len(SLO_KINDS) + 1)
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each generation scenario")
    parser.add_argument(
        "--slokit-per-slo-repeat", type=int, default=1, help="runs of one call per spec (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--skip-gen", action="store_true")
    args = parser.parse_args(argv)

    data: dict[str, Any] = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if not args.skip_gen:
        data["generation"] = gen_benchmark(args)
    if not args.skip_eval:
        data["evaluation"] = eval_benchmark(args)
    data["machine"] = machine_info()
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    print_table(data)
    update_results_md(markdown(data))
    print(f"\nwrote {RESULTS_JSON.relative_to(REPO_ROOT)} and {RESULTS_MD.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
