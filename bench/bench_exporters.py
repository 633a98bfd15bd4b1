"""Benchmark the exporters against the Debian tools they stand in for.

    python bench/bench_exporters.py [--targets 1000] [--series 100000] [--repeat 3]

1. Probe: one scrape of N HTTP targets on 127.0.0.1 (most answer at once, some answer after 2 s,
   some ports are dead) by `python -m exporters.probe`, against Debian's
   `prometheus-blackbox-exporter` probing the same targets through N concurrent `/probe`
   requests, as Prometheus would send them. Reported: wall time of the whole scrape and the
   exporter process's CPU time per probe (utime + stime from /proc, so the benchmark's own
   client and the target server are not counted).
2. Push: N series pushed in batches of 1,000 to `python -m exporters.push` (JSON, `POST
   /api/metrics`) and to Debian's `prometheus-pushgateway` (text format, one group per batch,
   `POST /metrics/job/bench/batch/<k>`); reported: ingest series/s, `GET /metrics` time with all
   series stored (median of --repeat), and the process's RSS afterwards. The renderer alone
   (in-process, no HTTP) is timed too.

The Debian packages are needed only here: `apt-get install prometheus-blackbox-exporter
prometheus-pushgateway`. Results: stdout, bench/out/exporters_results.json, and the part of
bench/RESULTS.md between the `bench-exporters:begin`/`bench-exporters:end` markers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from bench_build import write_marked_section

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
OUT = BENCH / "out"
RESULTS_MD = BENCH / "RESULTS.md"
BEGIN = "<!-- bench-exporters:begin (written by bench/bench_exporters.py; edit outside these markers) -->"
END = "<!-- bench-exporters:end -->"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

SLOW_EVERY = 20  # 1 target in 20 answers after SLOW_SECONDS
DEAD_EVERY = 25  # 1 target in 25 is a port nobody listens on
SLOW_SECONDS = 2.0
PROBE_TIMEOUT = "3s"
BATCH = 1000

# Targets from the issue (issue 8, "Benchmarks"), measured on this machine by the author.
BLACKBOX_CPU_PER_PROBE_MS = 1.6
PUSHGATEWAY_INGEST_PER_S = 9200
PUSHGATEWAY_RENDER_MS = 402
PUSHGATEWAY_RSS_MB = 137

# The target server, run as a child so its CPU is not the exporter's: /ok answers at once,
# /slow after SLOW_SECONDS; `Connection: close` like a health endpoint behind no proxy.
TARGET_SERVER = f"""
import asyncio, sys

async def serve(reader, writer):
    try:
        line = await reader.readline()
        while (await reader.readline()) not in (b"\\r\\n", b""):
            pass
        if b"/slow" in line:
            await asyncio.sleep({SLOW_SECONDS})
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
        await writer.drain()
    finally:
        writer.close()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (man 5 proc)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            host, port = url.removeprefix("http://").split("/")[0].split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=2)
            connection.request("GET", "/" + url.removeprefix("http://").partition("/")[2])
            connection.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def process(command: list[str], ready_url: str | None = None) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        if ready_url:
            wait_http(ready_url)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# ---------------------------------------------------------------------------------------------
# Probe benchmark


def target_urls(port: int, count: int, dead_ports: list[int]) -> list[str]:
    urls = []
    for i in range(count):
        if i % DEAD_EVERY == DEAD_EVERY - 1:
            urls.append(f"http://127.0.0.1:{dead_ports[i // DEAD_EVERY]}/health")
        elif i % SLOW_EVERY == SLOW_EVERY - 1:
            urls.append(f"http://127.0.0.1:{port}/slow/{i}")
        else:
            urls.append(f"http://127.0.0.1:{port}/ok/{i}")
    return urls


def scrape_ours(url: str) -> tuple[float, str]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    started = time.perf_counter()
    connection.request("GET", "/metrics")
    body = connection.getresponse().read().decode()
    return time.perf_counter() - started, body


async def _get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Prometheus-Scrape-Timeout-Seconds: 5\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    body = await reader.read()
    writer.close()
    return body


async def _scrape_blackbox(port: int, urls: list[str]) -> list[bytes]:
    return await asyncio.gather(*(_get(port, f"/probe?module=http_2xx&target={url}") for url in urls))


def bench_probe(count: int, repeat: int, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"targets": count, "slow": 0, "dead": 0}
    with process([sys.executable, "-c", TARGET_SERVER]) as target:
        assert target.stdout is not None
        target_port = int(target.stdout.readline())
        # Dead targets are ports bound but never listened on, held for the whole run: connecting is
        # refused, and no exporter started later can be given one of them by the kernel.
        dead = [socket.socket() for _ in range(count // DEAD_EVERY + 1)]
        for sock in dead:
            sock.bind(("127.0.0.1", 0))
        urls = target_urls(target_port, count, [sock.getsockname()[1] for sock in dead])
        results["slow"] = sum("/slow/" in url for url in urls)
        results["dead"] = sum(url.endswith("/health") for url in urls)
        probes = [
            {"name": f"t{i}", "timeout": PROBE_TIMEOUT, "http": {"url": url}} for i, url in enumerate(urls)
        ]
        (work / "probe.yaml").write_text(yaml.safe_dump({"scrape_timeout": "4.5s", "probes": probes}))
        port = free_port()
        command = [sys.executable, "-m", "exporters.probe", "--config", str(work / "probe.yaml")]
        with process(
            [*command, "--listen", f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}/health/live"
        ) as ours:
            runs = []
            for _ in range(repeat):
                before = cpu_seconds(ours.pid)
                wall, body = scrape_ours(f"http://127.0.0.1:{port}")
                cpu = cpu_seconds(ours.pid) - before
                outcomes = [line for line in body.splitlines() if line.startswith("probe_success{")]
                ok = sum(line.endswith(" 1") for line in outcomes)
                runs.append({"wall_s": wall, "cpu_s": cpu, "succeeded": ok, "series": len(outcomes)})
            results["ours"] = _summarise(runs, count)
        blackbox_yml = {"modules": {"http_2xx": {"prober": "http", "timeout": PROBE_TIMEOUT}}}
        (work / "blackbox.yml").write_text(yaml.safe_dump(blackbox_yml))
        port = free_port()
        command = [
            "prometheus-blackbox-exporter",
            f"--config.file={work / 'blackbox.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=error",
        ]
        with process(command, f"http://127.0.0.1:{port}/metrics") as blackbox:
            runs = []
            for _ in range(repeat):
                before = cpu_seconds(blackbox.pid)
                started = time.perf_counter()
                bodies = asyncio.run(_scrape_blackbox(port, urls))
                wall = time.perf_counter() - started
                cpu = cpu_seconds(blackbox.pid) - before
                ok = sum(b"\nprobe_success 1\n" in body for body in bodies)
                runs.append({"wall_s": wall, "cpu_s": cpu, "succeeded": ok, "series": len(bodies)})
            results["blackbox"] = _summarise(runs, count)
        for sock in dead:
            sock.close()
    results["cpu_ratio"] = results["ours"]["cpu_ms_per_probe"] / results["blackbox"]["cpu_ms_per_probe"]
    return results


def _summarise(runs: list[dict[str, Any]], count: int) -> dict[str, Any]:
    return {
        "runs": runs,
        "wall_s": statistics.median(run["wall_s"] for run in runs),
        "cpu_ms_per_probe": statistics.median(run["cpu_s"] for run in runs) * 1000 / count,
        "succeeded": runs[-1]["succeeded"],
    }


# ---------------------------------------------------------------------------------------------
# Push benchmark


def batches(series: int) -> Iterator[list[tuple[str, dict[str, str], float]]]:
    """The same series for both tools: 100 metric names x instances x a route label."""
    for start in range(0, series, BATCH):
        yield [
            (
                f"bench_metric_{i % 100}",
                {"instance": f"host-{i // 1000}", "route": f"/api/v1/items/{i}"},
                float(i),
            )
            for i in range(start, min(start + BATCH, series))
        ]


def as_json(batch: list[tuple[str, dict[str, str], float]]) -> bytes:
    return json.dumps(
        {"metrics": [{"name": n, "type": "gauge", "value": v, "labels": labels} for n, labels, v in batch]}
    ).encode()


def as_text(batch: list[tuple[str, dict[str, str], float]]) -> bytes:
    lines: list[str] = []
    for name in sorted({n for n, _, _ in batch}):
        lines.append(f"# TYPE {name} gauge")
        for n, labels, value in batch:
            if n == name:
                inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
                lines.append(f"{name}{{{inner}}} {value}")
    return ("\n".join(lines) + "\n").encode()


def push_all(port: int, requests: list[tuple[str, bytes, dict[str, str]]]) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    for path, body, headers in requests:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(f"push refused: {response.status}")
    return time.perf_counter() - started


def get_metrics(port: int, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        connection.request("GET", "/metrics")
        size = len(connection.getresponse().read())
        times.append(time.perf_counter() - started)
        connection.close()
    return statistics.median(times), size


def bench_push(series: int, repeat: int, work: Path) -> dict[str, Any]:
    all_batches = list(batches(series))
    results: dict[str, Any] = {"series": series, "batch": BATCH}
    (work / "token").write_text("bench-token\n")
    (work / "push.yaml").write_text(yaml.safe_dump({"token_file": "token", "max_series": series + 1000}))
    port = free_port()
    command = [sys.executable, "-m", "exporters.push", "--config", str(work / "push.yaml")]
    headers = {"Authorization": "Bearer bench-token", "Content-Type": "application/json"}
    requests = [("/api/metrics", as_json(batch), headers) for batch in all_batches]
    with process([*command, "--listen", f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}/health/live") as ours:
        seconds = push_all(port, requests)
        render_s, size = get_metrics(port, repeat)
        results["ours"] = {
            "ingest_series_per_s": series / seconds,
            "metrics_ms": render_s * 1000,
            "metrics_bytes": size,
            "rss_mb": rss_mb(ours.pid),
        }
    port = free_port()
    command = [
        "prometheus-pushgateway",
        f"--web.listen-address=127.0.0.1:{port}",
        "--persistence.file=",
        "--log.level=error",
    ]
    text_headers = {"Content-Type": "text/plain; version=0.0.4"}
    requests = [
        (f"/metrics/job/bench/batch/{k}", as_text(b), text_headers) for k, b in enumerate(all_batches)
    ]
    with process(command, f"http://127.0.0.1:{port}/-/ready") as gateway:
        seconds = push_all(port, requests)
        time.sleep(1)  # the Pushgateway applies pushes asynchronously; let its queue drain
        render_s, size = get_metrics(port, repeat)
        results["pushgateway"] = {
            "ingest_series_per_s": series / seconds,
            "metrics_ms": render_s * 1000,
            "metrics_bytes": size,
            "rss_mb": rss_mb(gateway.pid),
        }
    results["render_in_process_ms"] = render_in_process(all_batches)
    return results


def render_in_process(all_batches: list[list[tuple[str, dict[str, str], float]]]) -> float:
    """The push bridge's renderer alone on the same series (no HTTP), median of 5."""
    sys.path.insert(0, str(REPO_ROOT))
    from exporters.common.config import validate_config
    from exporters.push.config import PushConfig
    from exporters.push.samples import parse_batch
    from exporters.push.store import PushStore

    store = PushStore(validate_config({"token_file": "x", "max_series": 10**7}, PushConfig))
    for batch in all_batches:
        store.push(parse_batch(json.loads(as_json(batch))))
    from exporters.common.exposition import render

    times = []
    for _ in range(5):
        started = time.perf_counter()
        render(store.collect())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# ---------------------------------------------------------------------------------------------
# Report


def markdown(results: dict[str, Any]) -> str:
    probe, push = results["probe"], results["push"]
    ours, bb = probe["ours"], probe["blackbox"]
    p_ours, gw = push["ours"], push["pushgateway"]
    ingest_ratio = p_ours["ingest_series_per_s"] / gw["ingest_series_per_s"]
    rows = [
        BEGIN,
        "",
        f"Run of {results['date']} on {results['machine']}; `python bench/bench_exporters.py "
        f"--targets {probe['targets']} --series {push['series']} --repeat {results['repeat']}` (medians).",
        "",
        f"Probe: {probe['targets']} HTTP targets on 127.0.0.1, {probe['slow']} answering after "
        f"{SLOW_SECONDS:g} s, {probe['dead']} dead ports; probe timeout {PROBE_TIMEOUT}.",
        "",
        "| | exporters.probe (one scrape) | blackbox_exporter 0.23 (one /probe each) | target |",
        "|---|---:|---:|---|",
        f"| wall time of all probes | {ours['wall_s']:.2f} s | {bb['wall_s']:.2f} s | ≤ 5 s |",
        f"| CPU per probe | {ours['cpu_ms_per_probe']:.2f} ms | {bb['cpu_ms_per_probe']:.2f} ms "
        f"| ≤ 1.5 × blackbox: ratio {probe['cpu_ratio']:.2f} |",
        f"| probes succeeded | {ours['succeeded']} | {bb['succeeded']} | "
        f"{probe['targets'] - probe['dead']} expected |",
        "",
        f"Push: {push['series']:,} gauge series in pushes of {push['batch']:,}.",
        "",
        "| | exporters.push | Pushgateway | target |",
        "|---|---:|---:|---|",
        f"| ingest | {p_ours['ingest_series_per_s']:,.0f} series/s "
        f"| {gw['ingest_series_per_s']:,.0f} series/s "
        f"| ≥ 2 × Pushgateway: ratio {ingest_ratio:.2f} |",
        f"| GET /metrics, all series | {p_ours['metrics_ms']:.0f} ms | {gw['metrics_ms']:.0f} ms "
        "| ≤ Pushgateway |",
        f"| RSS after ingest | {p_ours['rss_mb']:.0f} MB | {gw['rss_mb']:.0f} MB | ≤ Pushgateway |",
        f"| renderer alone, in process | {push['render_in_process_ms']:.0f} ms | | |",
        "",
        "How to read it: CPU is the exporter process's own utime + stime over the scrape (the"
        " target server and the benchmark's client run in other processes). The blackbox_exporter"
        " is driven as Prometheus drives it, one `/probe` request per target, so its figure"
        " includes serving those requests, as it would in production; the issue's reference"
        f" figures ({BLACKBOX_CPU_PER_PROBE_MS} ms per probe, Pushgateway {PUSHGATEWAY_INGEST_PER_S:,}"
        f" series/s, {PUSHGATEWAY_RENDER_MS} ms, {PUSHGATEWAY_RSS_MB} MB) were taken on another"
        " setup, so the ratios above compare both tools in this same run. The Pushgateway applies"
        " pushes asynchronously, so its ingest rate counts accepted requests (the benchmark waits"
        " a second before scraping it); the push bridge answers after the batch is stored.",
        "",
        END,
    ]
    return "\n".join(rows)


def update_results_md(block: str) -> None:
    write_marked_section(BEGIN, END, block, "Exporters (bench_exporters.py)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite RESULTS.md from bench/out/exporters_results.json"
    )
    args = parser.parse_args(argv)
    if args.report_only:
        block = markdown(json.loads((OUT / "exporters_results.json").read_text()))
        update_results_md(block)
        print(block)
        return
    for tool in ("prometheus-blackbox-exporter", "prometheus-pushgateway"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install {tool}")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-exporters-") as tmp:
        work = Path(tmp)
        results: dict[str, Any] = {
            "date": dt.date.today().isoformat(),
            "machine": f"{os.cpu_count()} cores",
            "repeat": args.repeat,
            "probe": bench_probe(args.targets, args.repeat, work),
            "push": bench_push(args.series, args.repeat, work),
        }
    (OUT / "exporters_results.json").write_text(json.dumps(results, indent=2) + "\n")
    block = markdown(results)
    update_results_md(block)
    print(block)


if __name__ == "__main__":
    main()
