"""Benchmark the receiver: sustained durable webhook deliveries per second and latency, SQLite and
PostgreSQL, against alerta-server 9 ingesting the same Alertmanager payloads in the same run.

    python bench/bench_receiver.py [--seconds 15] [--connections 16] [--alerta-seconds 15] [--skip-alerta]

Each system runs as its own process on 127.0.0.1 and is fed by `--clients` load processes holding
`--connections` keep-alive connections in all, each posting one delivery and waiting for its
answer before the next (as Alertmanager does). Payloads are Alertmanager 0.25's webhook body
(payload version 4, the shape of the captured fixtures): two firing alerts per delivery, every
delivery a new group with new fingerprints, so each one is a real insert and two new incidents.
(New instances too: alerta keys an alert by resource, which it takes from `instance`, and
event; repeating them would turn its inserts into de-duplicating updates.) A delivery counts
when it got a 2xx; for the receiver that means committed to disk (SQLite WAL
with synchronous=FULL; PostgreSQL with fsync and synchronous_commit on, its defaults). Latency is
measured by the client from send to the end of the answer; p50/p99 over all deliveries of the
measured window, after a warm-up.

alerta-server 9 (PyPI) runs in its own venv (bench/out/alerta-venv) under gunicorn, with its
PostgreSQL backend on the same throw-away cluster, receiving the same bodies at its
Alertmanager endpoint POST /webhooks/prometheus. Results: a table on stdout,
bench/out/receiver_results.json, and bench/RESULTS.md between the `bench-receiver:begin` and
`bench-receiver:end` markers (everything else in the file is kept).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson
from bench_build import write_marked_section

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
RESULTS_MD = BENCH / "RESULTS.md"
RESULTS_JSON = OUT / "receiver_results.json"
ALERTA_VENV = OUT / "alerta-venv"
BEGIN = "<!-- bench-receiver:begin -->"
END = "<!-- bench-receiver:end -->"

sys.path.insert(0, str(REPO))

from tests.pg import Cluster, fresh_database, start_cluster, stop_cluster  # noqa: E402

MARK = "N0N0N0N0"  # stands for the delivery's number in the template


def delivery_template(worker: int) -> bytes:
    """One webhook body as Alertmanager 0.25 sends it: a new group with two new alerts, with
    MARK where each delivery puts its own number (new fingerprints, instance, group)."""
    starts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".123456789Z"
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighLatency",
                "instance": f"pay-{worker}-{MARK}-{instance}",
                "severity": "warning",
                "team": "payments",
                "service": f"svc-{worker}-{MARK}",
            },
            "annotations": {"summary": "p99 high", "description": "p99 latency above 500ms for 5m"},
            "startsAt": starts,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
            "fingerprint": f"{worker:04x}{MARK}{instance:04x}",
        }
        for instance in (1, 2)
    ]
    body = {
        "receiver": "payments-webhook",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": "HighLatency", "service": f"svc-{worker}-{MARK}"},
        "commonLabels": {"alertname": "HighLatency", "severity": "warning", "team": "payments"},
        "commonAnnotations": {"summary": "p99 high"},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="HighLatency", service="svc-{worker}-{MARK}"}}',
        "truncatedAlerts": 0,
    }
    return orjson.dumps(body)


def _request(host: str, port: int, path: str, body: bytes, headers: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _read_response(sock: socket.socket, buffer: bytearray) -> int:
    """Read one HTTP/1.1 response with a Content-Length; returns its status code."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    buffer[:] = rest[length:]
    return status


def _connection(
    target: tuple[str, int, str, str],
    worker: int,
    start: float,
    stop: float,
    results: list[tuple[float, float, int]],
) -> None:
    host, port, path, headers = target
    sock = socket.create_connection((host, port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray()
    number = 0
    # The client renders each body with one bytes.replace, so the load processes leave the CPU
    # to the systems being measured.
    template = delivery_template(worker)
    while time.time() < stop:
        request = _request(host, port, path, template.replace(MARK.encode(), b"%08x" % number), headers)
        number += 1
        sent = time.time()
        sock.sendall(request)
        status = _read_response(sock, buffer)
        done = time.time()
        results.append((sent, done - sent, status))
    sock.close()


def _client_process(
    args: tuple[tuple[str, int, str, str], list[int], float, float],
) -> list[tuple[float, float, int]]:
    target, workers, start, stop = args
    results: list[tuple[float, float, int]] = []
    threads = [threading.Thread(target=_connection, args=(target, w, start, stop, results)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_load(
    target: tuple[str, int, str, str],
    connections: int,
    clients: int,
    warmup: float,
    seconds: float,
    salt: int,
) -> dict[str, Any]:
    start = time.time() + 0.5
    measured_from = start + warmup
    stop = measured_from + seconds
    groups = [[salt * 1000 + n for n in range(c, connections, clients)] for c in range(clients)]
    with multiprocessing.Pool(clients) as pool:
        parts = pool.map(_client_process, [(target, group, start, stop) for group in groups])
    results = [r for part in parts for r in part if r[0] >= measured_from]
    ok = [latency for _, latency, status in results if 200 <= status < 300]
    errors = len(results) - len(ok)
    ok.sort()
    return {
        "deliveries": len(ok),
        "errors": errors,
        "seconds": seconds,
        "deliveries_per_s": len(ok) / seconds,
        "alerts_per_s": 2 * len(ok) / seconds,
        "p50_ms": 1000 * statistics.median(ok) if ok else None,
        "p99_ms": 1000 * ok[min(len(ok) - 1, int(len(ok) * 0.99))] if ok else None,
        "max_ms": 1000 * ok[-1] if ok else None,
        "connections": connections,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start (see bench/out logs)") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bench_receiver(database_url: str, label: str, args: argparse.Namespace, salt: int) -> dict[str, Any]:
    port = _free_port()
    log = (OUT / f"receiver-{label}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "receiver", "--listen", f"127.0.0.1:{port}", "--database", database_url],
        cwd=REPO,
        stdout=log,
        stderr=log,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/health/ready", process, f"receiver ({label})")
        result = run_load(
            ("127.0.0.1", port, "/webhook", ""),
            args.connections,
            args.clients,
            args.warmup,
            args.seconds,
            salt,
        )
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/notifications?limit=1", timeout=10
        ) as answer:
            result["stored_total"] = orjson.loads(answer.read())["data"]["total"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        jobs = _metric(metrics, "receiver_write_jobs_total")
        batches = _metric(metrics, "receiver_write_batches_total")
        result["mean_batch"] = jobs / batches if batches else None
    finally:
        _stop(process)
        log.close()
    return result


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def ensure_alerta() -> Path:
    gunicorn = ALERTA_VENV / "bin" / "gunicorn"
    if not gunicorn.exists() or not (ALERTA_VENV / "bin" / "alertad").exists():
        subprocess.run([sys.executable, "-m", "venv", str(ALERTA_VENV)], check=True)
        subprocess.run(
            [
                str(ALERTA_VENV / "bin" / "pip"),
                "install",
                "-q",
                "alerta-server>=9,<10",
                "psycopg2-binary",
                "gunicorn",
            ],
            check=True,
        )
    return gunicorn


def alerta_version() -> str:
    answer = subprocess.run(
        [
            str(ALERTA_VENV / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('alerta-server'))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return answer.stdout.strip() or "unknown"


def bench_alerta(cluster: Cluster, args: argparse.Namespace, salt: int) -> dict[str, Any]:
    gunicorn = ensure_alerta()
    database = fresh_database(cluster).replace("postgresql://", "postgres://")
    port = _free_port()
    config = OUT / "alertad.conf"
    config.write_text(
        f"DATABASE_URL = {database!r}\nAUTH_REQUIRED = False\nDEBUG = False\nLOG_LEVEL = 'WARNING'\n"
    )
    env = {**os.environ, "ALERTA_SVR_CONF_FILE": str(config)}
    log = (OUT / "alerta.log").open("wb")
    # gunicorn as alerta's docs deploy it, with a process per core and threads for concurrent
    # requests. The two processes start one after the other on one port (SO_REUSEPORT), because
    # every alerta start runs its schema DDL and two at once deadlock in PostgreSQL.
    processes: list[subprocess.Popen[bytes]] = []
    gunicorn_args = [str(gunicorn), "--reuse-port", "--workers", "1", "--threads", "8"]
    for _ in range(2):
        processes.append(
            subprocess.Popen(
                [*gunicorn_args, "--bind", f"127.0.0.1:{port}", "alerta:create_app()"],
                env=env,
                stdout=log,
                stderr=log,
                cwd=OUT,
            )
        )
        time.sleep(0.5)
        _wait(f"http://127.0.0.1:{port}/management/healthcheck", processes[-1], "alerta")
        time.sleep(1.0)  # let this process finish its start-up DDL before the next one begins
    try:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("an alerta process exited at start (see bench/out/alerta.log)")
        result = run_load(
            ("127.0.0.1", port, "/webhooks/prometheus", ""),
            args.connections,
            args.clients,
            args.warmup,
            args.alerta_seconds,
            salt,
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/alerts/count", timeout=30) as answer:
            result["stored_total"] = orjson.loads(answer.read()).get("total")
        result["version"] = alerta_version()
    finally:
        for process in processes:
            _stop(process)
        log.close()
    return result


def markdown(results: dict[str, Any]) -> str:
    rows = [
        "| system | store | deliveries/s | alerts/s | p50 ms | p99 ms | errors | deliveries in window |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, store in (("receiver", "sqlite"), ("receiver", "postgresql"), ("alerta", "postgresql")):
        result = results.get(f"{name}_{store}")
        if not result:
            continue
        title = "receiver" if name == "receiver" else f"alerta-server {result.get('version', '9')}"
        rows.append(
            f"| {title} | {store} | {result['deliveries_per_s']:.0f} | {result['alerts_per_s']:.0f} |"
            f" {result['p50_ms']:.1f} | {result['p99_ms']:.1f} | {result['errors']} |"
            f" {result['deliveries']} |"
        )
    lines = [
        BEGIN,
        "",
        f"Run {results['when']} on {results['machine']}; {results['connections']} keep-alive connections"
        f" from {results['clients']} load processes; {results['seconds']:g} s measured after"
        f" {results['warmup']:g} s"
        " warm-up. Every delivery is a new group of two firing alerts (Alertmanager 0.25's payload v4);"
        " a delivery counts when answered 2xx, i.e. committed (SQLite WAL + synchronous=FULL; PostgreSQL 15"
        " defaults, fsync on).",
        "",
        *rows,
        "",
    ]
    lines.append(
        "The receiver is one `python -m receiver` process (stdlib HTTP server, group commit);"
        " alerta-server runs under gunicorn, two processes of 8 threads on one port, on the same"
        " PostgreSQL cluster as the receiver's PostgreSQL run. The load processes share the 2 CPUs."
    )
    lines.append("")
    ratio = results.get("ratio_sqlite_vs_alerta")
    if ratio:
        lines.append(f"Receiver on SQLite vs alerta-server: {ratio:.0f}x the deliveries per second.")
    for key in ("receiver_sqlite", "receiver_postgresql"):
        if results.get(key, {}).get("mean_batch"):
            lines.append(
                f"Mean deliveries per commit ({key.split('_')[1]}): {results[key]['mean_batch']:.1f}."
            )
    lines += ["", END]
    return "\n".join(lines)


def update_results_md(block: str) -> None:
    write_marked_section(BEGIN, END, block, "Receiver: durable webhook ingestion (bench_receiver.py)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--alerta-seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--skip-alerta", action="store_true")
    parser.add_argument("--no-save", action="store_true", help="print only; write no results files")
    parser.add_argument("--only", choices=["sqlite", "postgresql", "alerta"], action="append")
    args = parser.parse_args(argv)
    only = set(args.only or ["sqlite", "postgresql", "alerta"]) - ({"alerta"} if args.skip_alerta else set())
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"
        f" (load average {os.getloadavg()[0]:.1f} at the start, shared with other work)",
        "connections": args.connections,
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup": args.warmup,
    }
    workdir = OUT / "receiver-bench"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    cluster = start_cluster() if only & {"postgresql", "alerta"} else None
    try:
        if "sqlite" in only:
            results["receiver_sqlite"] = bench_receiver(
                f"sqlite:///{workdir / 'receiver.db'}", "sqlite", args, 1
            )
        if "postgresql" in only and cluster is not None:
            results["receiver_postgresql"] = bench_receiver(fresh_database(cluster), "postgresql", args, 2)
        if "alerta" in only and cluster is not None:
            results["alerta_postgresql"] = bench_alerta(cluster, args, 3)
    finally:
        if cluster is not None:
            stop_cluster(cluster)
    if results.get("receiver_sqlite") and results.get("alerta_postgresql", {}).get("deliveries_per_s"):
        results["ratio_sqlite_vs_alerta"] = (
            results["receiver_sqlite"]["deliveries_per_s"] / results["alerta_postgresql"]["deliveries_per_s"]
        )
    for key, value in results.items():
        if isinstance(value, dict):
            print(
                f"{key:22} {value['deliveries_per_s']:8.0f} deliveries/s  p50 {value['p50_ms'] or 0:6.1f} ms"
                f"  p99 {value['p99_ms'] or 0:6.1f} ms  errors {value['errors']}"
            )
    if results.get("ratio_sqlite_vs_alerta"):
        print(f"receiver (SQLite) / alerta: {results['ratio_sqlite_vs_alerta']:.0f}x")
    if args.no_save:
        return
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    update_results_md(markdown(results))
    print(f"wrote {RESULTS_JSON.relative_to(REPO)} and {RESULTS_MD.relative_to(REPO)}")


if __name__ == "__main__":
    main()
