"""The shared server, registry, config reading and command line."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import pytest

from exporters.common.cli import main, parse_listen
from exporters.common.config import (
    ConfigError,
    Duration,
    Strict,
    load_config,
    parse_duration,
    read_secret_file,
)
from exporters.common.exposition import MetricFamily
from exporters.common.registry import Registry
from exporters.common.server import App, ExporterServer, Response
from exporters.push.app import build
from tests.exporters.helpers import http, promtool_check_metrics, sample_lines


class Broken:
    def collect(self) -> Iterable[MetricFamily]:
        raise RuntimeError("database gone")


class Fine:
    def collect(self) -> Iterable[MetricFamily]:
        family = MetricFamily("fine_things", "gauge", "Things that are fine.")
        family.add(1, {"kind": "a"})
        return [family]


def test_a_failing_collector_is_counted_and_the_others_are_still_served() -> None:
    registry = Registry("demo")
    registry.register("broken", Broken())
    registry.register("fine", Fine())
    registry.render()
    text = registry.render()
    promtool_check_metrics(text)
    samples = sample_lines(text)
    assert samples['fine_things{kind="a"}'] == "1"
    assert samples['demo_scrape_errors_total{collector="broken"}'] == "2"
    assert samples['demo_scrape_errors_total{collector="fine"}'] == "0"
    assert samples["demo_scrape_duration_seconds_count"] == "2"


def test_health_endpoints_routes_and_unknown_paths() -> None:
    state = {"ready": False}
    app = App(
        Registry("demo"),
        ready=lambda: (state["ready"], "ready" if state["ready"] else "waiting for the first run"),
        routes={("POST", "/echo"): lambda request: Response(200, request.body)},
    )
    with ExporterServer(app) as server:
        assert http("GET", f"{server.url}/health/live")[:3:2] == (200, b"live\n")
        assert http("GET", f"{server.url}/health/ready")[:3:2] == (503, b"waiting for the first run\n")
        state["ready"] = True
        assert http("GET", f"{server.url}/health/ready")[0] == 200
        assert http("POST", f"{server.url}/echo", b"hi")[:3:2] == (200, b"hi")
        assert http("GET", f"{server.url}/echo")[0] == 405
        assert http("POST", f"{server.url}/metrics", b"")[0] == 405
        status, _, body = http("GET", f"{server.url}/nope")
        assert (status, body) == (404, b'{"error": "no such path /nope"}\n')


def test_a_handler_that_raises_is_a_500_and_the_server_lives_on() -> None:
    def explode(request: object) -> Response:
        raise RuntimeError("boom")

    with ExporterServer(App(Registry("demo"), routes={("GET", "/x"): explode})) as server:
        assert http("GET", f"{server.url}/x")[0] == 500
        assert http("GET", f"{server.url}/health/live")[0] == 200


def test_oversized_bodies_are_refused_before_reading() -> None:
    with ExporterServer(App(Registry("demo"))) as server:
        status, _, _ = http(
            "POST", f"{server.url}/api/metrics", b"x", {"Content-Length": str(17 * 1024 * 1024)}
        )
        assert status == 413


@pytest.mark.parametrize(
    ("text", "seconds"), [("500ms", 0.5), ("30s", 30), ("1h30m", 5400), ("2d", 172800), (1.5, 1.5)], ids=str
)
def test_durations_read_like_prometheus(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5 minutes", "0s", -1, True, "m"], ids=str)
def test_bad_durations_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


class Demo(Strict):
    every: Duration


def test_config_errors_name_the_file_the_field_and_the_value(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    path.write_text("every: soon\nextra: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, Demo)
    assert str(caught.value).splitlines() == [
        f"{path}: every: Value error, expected a duration such as 30s, 5m or 1h, got 'soon' (got 'soon')",
        f"{path}: extra: Extra inputs are not permitted (got 1)",
    ]
    path.write_text("every: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path, Demo)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml", Demo)


def test_secret_files_must_exist_and_hold_something(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match="the secret file is empty"):
        read_secret_file(tmp_path / "empty")
    with pytest.raises(ConfigError, match="cannot read the secret file"):
        read_secret_file(tmp_path / "absent")


@pytest.mark.parametrize(
    ("text", "parsed"), [("127.0.0.1:9115", ("127.0.0.1", 9115)), ("[::1]:80", ("::1", 80))], ids=str
)
def test_listen_addresses(text: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(text) == parsed


@pytest.mark.parametrize("bad", ["9115", "host:", ":80", "h:99999"])
def test_bad_listen_addresses(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected HOST:PORT"):
        parse_listen(bad)


def test_the_cli_exits_1_with_the_config_error_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "push.yaml").write_text("token_file: nowhere\n")
    assert (
        main(
            "exporters.push",
            "demo",
            build,
            ["--config", str(tmp_path / "push.yaml"), "--listen", "127.0.0.1:0"],
        )
        == 1
    )
    assert "nowhere: cannot read the secret file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("module", "says"),
    [
        ("exporters.probe", "Run HTTP and TCP health checks"),
        ("exporters.push", "Accept pushed JSON samples"),
        ("exporters.sql", "Expose business KPIs from SQL queries"),
    ],
)
def test_each_exporter_runs_as_a_module_and_describes_itself(
    module: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy
    import sys

    monkeypatch.setattr(sys, "argv", [module, "--help"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module(module, run_name="__main__")
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert says in out and "--listen" in out and "--config" in out
