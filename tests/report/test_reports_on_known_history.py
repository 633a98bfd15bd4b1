"""`gen report` against a real Prometheus 2.42 holding two weeks of synthetic history with a known
outage: the report's compliance and budget equal what the synthetic counters say (to 0.01
percentage points), and the capacity report finds the disk that fills up.

The history is made the way an operator would backfill it: raw series as OpenMetrics through
`promtool tsdb create-blocks-from openmetrics`, then the generated SLO recording rules evaluated
over that history by `promtool tsdb create-blocks-from rules` against the running Prometheus.
Prometheus's own `ALERTS` series cannot be backfilled by a tool, so the test writes the firing
period of the page alert in the shape Prometheus records it (labels of the generated alert).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.pipeline import build
from generator.write import plan, write
from tests.conftest import messages, require_tool

pytestmark = pytest.mark.tools

STEP = 60  # seconds between synthetic samples and between rule evaluations
DAYS = 14
CHECKOUT_RPS = 10.0
BASE_ERRORS = 0.0005
OUTAGE_DAY, OUTAGE_HOURS, OUTAGE_ERRORS = 5, (10, 12), 0.25
DISK_SIZE, DISK_START, DISK_PER_DAY = 200e9, 100e9, 2e9

DEFINITIONS = {
    "alertmanager/teams.yaml": "kind: Team\nname: payments\n",
    "rules/checkout.yaml": """
kind: Service
name: checkout
team: payments
metrics:
  requests: {counter: http_requests_total}
slos:
  - name: availability
    objective: 99.9
    description: Requests answered without a server error.
    sli: {events: {errors: 'http_requests_total{job="checkout", code=~"5.."}', total: requests}}
""",
    "rules/search.yaml": """
kind: Service
name: search
team: payments
metrics:
  requests: {counter: search_requests_total}
slos:
  - name: availability
    objective: 99.5
    sli: {events: {errors: 'search_requests_total{job="search", code=~"5.."}', total: requests}}
""",
    "rules/database.yaml": """
kind: Service
name: database
team: payments
metrics:
  free: {gauge: disk_free_bytes, description: free disk space}
  size: {gauge: disk_size_bytes}
alerts:
  - name: DatabaseDiskFillingUp
    severity: warning
    forecast: {metric: free, capacity: size, within: 4d, lookback: 6h, guard: 0.6}
""",
}


@dataclass
class History:
    start: int
    end: int
    outage: tuple[int, int]
    checkout_ratio: float  # errors / requests over (start, end], from the counters


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _openmetrics(start: int, end: int) -> tuple[str, History]:
    """Counters and gauges sampled every STEP seconds; the exact error ratio of the window."""
    outage = (
        start + OUTAGE_DAY * 86400 + OUTAGE_HOURS[0] * 3600,
        start + OUTAGE_DAY * 86400 + OUTAGE_HOURS[1] * 3600,
    )
    lines: dict[str, list[str]] = {}

    def add(family: str, series: str, value: float, stamp: int) -> None:
        lines.setdefault(family, []).append(f"{series} {value!r} {stamp}")

    ok = errors = search = 0.0
    window_errors = window_total = 0.0
    for stamp in range(start - 3600, end + 1, STEP):
        share = OUTAGE_ERRORS if outage[0] < stamp <= outage[1] else BASE_ERRORS
        served = CHECKOUT_RPS * STEP
        if stamp > start - 3600:
            ok += served * (1 - share)
            errors += served * share
            search += 50.0
            if stamp > start:
                window_errors += served * share
                window_total += served
        add("http_requests_total", 'http_requests_total{job="checkout",code="200"}', ok, stamp)
        add("http_requests_total", 'http_requests_total{job="checkout",code="500"}', errors, stamp)
        add("search_requests_total", 'search_requests_total{job="search",code="200"}', search, stamp)
        free = DISK_START - DISK_PER_DAY * (stamp - start) / 86400
        add("disk_free_bytes", 'disk_free_bytes{job="database",instance="db-1"}', free, stamp)
        add("disk_free_bytes", 'disk_free_bytes{job="database",instance="db-2"}', 150e9, stamp)
        add("disk_size_bytes", 'disk_size_bytes{job="database",instance="db-1"}', DISK_SIZE, stamp)
        add("disk_size_bytes", 'disk_size_bytes{job="database",instance="db-2"}', DISK_SIZE, stamp)
        if outage[0] + 300 < stamp <= outage[1] + 1800:
            add(
                "ALERTS",
                'ALERTS{alertname="SLOErrorBudgetBurn",alertstate="firing",service="checkout",'
                'slo="availability",severity="critical",long_window="1h",short_window="5m",tier="page"}',
                1,
                stamp,
            )
    types = {"ALERTS": "gauge", "disk_free_bytes": "gauge", "disk_size_bytes": "gauge"}
    text = ""
    for family, samples in lines.items():
        kind = types.get(family, "counter")
        name = family.removesuffix("_total") if kind == "counter" else family
        text += f"# TYPE {name} {kind}\n" + "\n".join(samples) + "\n"
    return text + "# EOF\n", History(start, end, outage, window_errors / window_total)


class Server:
    def __init__(self, data: Path, config: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                require_tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                "--storage.tsdb.retention.time=3650d",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/-/ready", timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    stderr = self.process.stderr.read() if self.process.stderr else ""
                    raise AssertionError(f"Prometheus did not start: {stderr[-1500:]}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, History]]:
    promtool = require_tool("promtool")
    base = tmp_path_factory.mktemp("report")
    repo = base / "repo"
    for relative, text in DEFINITIONS.items():
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (repo / relative).write_text(text.lstrip("\n"))
    result = build(repo)
    assert result.ok, messages(result.diagnostics)
    out = repo / "generated"
    write(out, result.files, plan(out, result.files))

    end = int(time.time()) // STEP * STEP - STEP
    start = end - DAYS * 86400
    text, known = _openmetrics(start, end)
    (base / "history.om").write_text(text)
    data = base / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(base / "history.om"), str(data)],
        check=True,
        capture_output=True,
    )
    config = base / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1m, evaluation_interval: 1m}\n")
    # Only the 5-minute SLI recordings, which read raw series: promtool evaluates each rule on its
    # own, so rules built on other recordings would come out empty (its documented limitation).
    wanted = {"slo:sli_total:rate5m", "slo:sli_errors:rate5m"}
    groups = []
    for path in sorted((out / "prometheus/rules").rglob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules = [r for r in group["rules"] if r.get("record") in wanted]
            if rules:
                groups.append({"name": group["name"], "rules": rules})
    rule_file = base / "sli-rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": groups}))
    server = Server(data, config)
    try:
        subprocess.run(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "rules",
                f"--start={start - 600}",
                f"--end={end}",
                f"--url={server.url}",
                f"--output-dir={base / 'rule-blocks'}",
                f"--eval-interval={STEP}s",
                str(rule_file),
            ],
            check=True,
            capture_output=True,
            cwd=base,
        )
    finally:
        server.stop()
    # promtool writes the rules' blocks beside the raw ones, overlapping them; Prometheus 2.42 then
    # compacts them vertically before it is ready, which took minutes here. So the recorded
    # samples go back through OpenMetrics and one backfill makes one block per two hours.
    (base / "rule-blocks" / "wal").mkdir()  # `tsdb dump` opens the folder as a TSDB, WAL and all
    dump = subprocess.run(
        [promtool, "tsdb", "dump", str(base / "rule-blocks")], check=True, capture_output=True, text=True
    ).stdout
    recorded = _dump_to_openmetrics(dump)
    assert "slo:sli_total:rate5m" in recorded and "slo:sli_errors:rate5m" in recorded
    (base / "all.om").write_text(text.removesuffix("# EOF\n") + recorded + "# EOF\n")
    subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "-q",
            str(base / "all.om"),
            str(base / "all"),
        ],
        check=True,
        capture_output=True,
    )
    server = Server(base / "all", config)
    try:
        yield repo, server.url, known
    finally:
        server.stop()


LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _dump_to_openmetrics(dump: str) -> str:
    """`promtool tsdb dump` lines (`{__name__="x", a="b"} value milliseconds`) as OpenMetrics."""
    families: dict[str, list[str]] = {}
    for line in dump.splitlines():
        labels_text, value, stamp = line.rsplit(" ", 2)
        pairs = dict(LABEL.findall(labels_text))
        name = pairs.pop("__name__")
        rendered = ",".join(f'{k}="{v}"' for k, v in sorted(pairs.items()))
        families.setdefault(name, []).append(f"{name}{{{rendered}}} {value} {int(stamp) / 1000:.3f}")
    return "".join(
        f"# TYPE {name} gauge\n" + "\n".join(lines) + "\n" for name, lines in sorted(families.items())
    )


def _report(*args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args, "-q"])
    assert result.exit_code == 0, result.output
    return result.stdout


def _sla(repo: Path, url: str, known: History, fmt: str) -> str:
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(known.end))
    return _report(
        "sla", "--root", str(repo), "--prometheus", url, "--period", f"{DAYS}d", "--end", end, "--format", fmt
    )


def test_sla_compliance_and_budget_match_the_synthetic_history(history: tuple[Path, str, History]) -> None:
    repo, url, known = history
    data = json.loads(_sla(repo, url, known, "json"))
    slos = {(s["service"], s["slo"]): s for s in data["slos"]}
    checkout = slos[("checkout", "availability")]
    expected = 1 - known.checkout_ratio
    assert abs(checkout["compliance"] - expected) < 0.0001, (checkout["compliance"], expected)
    assert abs(checkout["budget_consumed"] - known.checkout_ratio / 0.001) < 0.1
    assert checkout["status"] == "missed" and checkout["budget_remaining"] < 0
    # The worst day is the outage's day.
    worst = checkout["worst_days"][0]
    assert worst["end"] - 86400 < known.outage[0] <= worst["end"]
    assert len(checkout["days"]) == DAYS
    assert abs(checkout["days"][-1]["budget_burned"] - checkout["budget_consumed"]) < 0.01
    # No error series at all is full compliance, not "no data".
    search = slos[("search", "availability")]
    assert search["compliance"] == 1.0 and search["status"] == "met" and search["missing"] is None
    [alert] = checkout["alerts"]
    assert (alert["alertname"], alert["severity"], alert["windows"], alert["firings"]) == (
        "SLOErrorBudgetBurn",
        "critical",
        "1h/5m",
        1,
    )
    # Prometheus ends an ALERTS series with a stale marker, which OpenMetrics cannot carry: here the
    # last sample stays visible for the 5m lookback, so allow that much on top of the query step.
    firing = known.outage[1] + 1800 - (known.outage[0] + 300)
    assert firing - 3 * STEP <= alert["firing_seconds"] <= firing + 300 + 3 * STEP


def test_sla_formats_say_the_same(history: tuple[Path, str, History]) -> None:
    repo, url, known = history
    markdown = _sla(repo, url, known, "md")
    percent = f"{(1 - known.checkout_ratio) * 100:.3f}%"
    assert "| checkout | availability | 99.90% | " + percent in markdown
    assert "1 of 2 SLOs met their objective" in markdown
    rows = _sla(repo, url, known, "csv").splitlines()
    assert rows[0].startswith("service,slo,team,objective,compliance")
    assert rows[1].startswith("checkout,availability,payments,0.999,") and ",missed," in rows[1]
    page = _sla(repo, url, known, "html")
    assert (
        page.count("<svg") == 4
        and "Error budget left" in page
        and "http" not in page.split("<body>")[1].split("Prometheus at")[0]
    )


def test_capacity_finds_the_filling_disk_first(history: tuple[Path, str, History]) -> None:
    repo, url, _ = history
    data = json.loads(_report("capacity", "--root", str(repo), "--prometheus", url, "--format", "json"))
    first, second = data["resources"]
    assert first["labels"]["instance"] == "db-1" and second["labels"]["instance"] == "db-2"
    assert abs(first["growth_per_day"] - DISK_PER_DAY) / DISK_PER_DAY < 0.01
    assert abs(first["days_left"] - first["current"] / DISK_PER_DAY) < 0.05
    assert first["recommendation"] == "this quarter" and second["recommendation"] == "no action"
    assert second["days_left"] is None
    table = _report("capacity", "--root", str(repo), "--prometheus", url)
    assert table.index("db-1") < table.index("db-2")


def test_unreachable_prometheus_and_missing_series_are_clear(
    history: tuple[Path, str, History], tmp_path: Path
) -> None:
    repo, url, _known = history
    result = CliRunner().invoke(
        main, ["report", "sla", "--root", str(repo), "--prometheus", "http://127.0.0.1:1", "-q"]
    )
    assert result.exit_code == 1 and "cannot reach Prometheus at http://127.0.0.1:1" in result.stderr
    # A month long before the history: no SLO series at all.
    result = CliRunner().invoke(
        main, ["report", "sla", "--root", str(repo), "--prometheus", url, "--month", "2020-01", "-q"]
    )
    assert result.exit_code == 1
    assert (
        "none of the SLO series for January 2020" in result.stderr and "slo:sli_total:rate5m" in result.stderr
    )
    result = CliRunner().invoke(
        main, ["report", "sla", "--root", str(repo), "--period", "30d", "--month", "2026-10"]
    )
    assert result.exit_code == 2 and "not both" in result.output


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines of a PNG (no imaging library needed)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return width, height, zlib.decompress(chunks)


def test_the_html_report_renders_offline_in_headless_chromium(
    history: tuple[Path, str, History], tmp_path: Path
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian package chromium)")
    repo, url, known = history
    page = tmp_path / "sla.html"
    page.write_text(_sla(repo, url, known, "html"))
    # Self-contained: nothing for the browser to fetch.
    assert not re.search(r"""(src|href)=["']?https?:""", page.read_text())
    shot = tmp_path / "sla.png"
    common = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ]  # fmt: skip
    done = subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1000, 1400)
    assert len(set(pixels)) > 50  # text, tables and charts, not a blank page
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90, check=True
    ).stdout
    assert dom.count("<svg") == 4 and "checkout / availability" in dom and "polyline" in dom
