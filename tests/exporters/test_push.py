"""The push bridge, in process over real HTTP: semantics, validation, expiry, cap and auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exporters.common.config import validate_config
from exporters.common.server import ExporterServer
from exporters.push.app import make_app
from exporters.push.config import PushConfig
from tests.exporters.helpers import exporter_process, http, promtool_check_metrics, sample_lines

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def config(**overrides: Any) -> PushConfig:
    data = {
        "token_file": "token",
        "expire_after": "5m",
        "metrics": {
            "response_time_seconds": {"help": "Response time pushed by apps.", "buckets": [0.1, 0.05, 0.25]},
            "http_requests_total": {"help": "Requests served."},
        },
    }
    return validate_config({**data, **overrides}, PushConfig)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bridge(clock: Clock) -> Iterator[str]:
    with ExporterServer(make_app(config(max_series=5), TOKEN, clock)) as server:
        yield server.url


def push(url: str, *metrics: dict[str, Any], headers: dict[str, str] = AUTH) -> tuple[int, Any]:
    import json

    status, _, body = http("POST", f"{url}/api/metrics", {"metrics": list(metrics)}, headers)
    return status, json.loads(body)


def scrape(url: str) -> str:
    status, headers, body = http("GET", f"{url}/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return body.decode()


def counter(value: float, **labels: str) -> dict[str, Any]:
    return {"name": "http_requests_total", "type": "counter", "value": value, "labels": labels}


def test_counters_add_gauges_set_and_histograms_observe_into_declared_buckets(bridge: str) -> None:
    assert push(bridge, counter(2, method="GET"), counter(3, method="GET")) == (
        200,
        {"accepted": 2, "new_series": 1},
    )
    push(
        bridge,
        {"name": "queue_depth", "type": "gauge", "value": 7, "timestamp": "2024-01-15T10:30:00Z"},
        {"name": "queue_depth", "type": "gauge", "value": 4.5},
        {
            "name": "response_time_seconds",
            "type": "histogram",
            "value": 0.15,
            "labels": {"endpoint": "/api/users"},
        },
        {
            "name": "response_time_seconds",
            "type": "histogram",
            "value": 0.04,
            "labels": {"endpoint": "/api/users"},
        },
    )
    text = scrape(bridge)
    promtool_check_metrics(text)
    samples = sample_lines(text)
    assert samples['http_requests_total{method="GET"}'] == "5"
    assert samples["queue_depth"] == "4.5"
    assert samples['response_time_seconds_bucket{endpoint="/api/users",le="0.05"}'] == "1"
    assert samples['response_time_seconds_bucket{endpoint="/api/users",le="0.1"}'] == "1"
    assert samples['response_time_seconds_bucket{endpoint="/api/users",le="0.25"}'] == "2"
    assert samples['response_time_seconds_bucket{endpoint="/api/users",le="+Inf"}'] == "2"
    assert samples['response_time_seconds_sum{endpoint="/api/users"}'] == "0.19"
    assert "# HELP response_time_seconds Response time pushed by apps." in text
    assert samples['push_bridge_pushes_total{result="accepted"}'] == "2"
    assert samples["push_bridge_samples_total"] == "6"
    assert samples["push_bridge_series"] == "3"
    assert samples["push_bridge_scrape_duration_seconds_count"] == "1", "the scrape counts itself"


BAD = [
    ({"name": "9lives", "type": "gauge", "value": 1}, "'9lives' is not a valid Prometheus metric name"),
    ({"name": "a-b", "type": "gauge", "value": 1}, "'a-b' is not a valid Prometheus metric name"),
    ({"name": "x", "type": "summary", "value": 1}, "type must be one of counter, gauge, histogram"),
    ({"name": "x", "type": "gauge", "value": "1"}, "value must be a number, got '1'"),
    ({"name": "x", "type": "gauge", "value": True}, "value must be a number, got True"),
    ({"name": "x_total", "type": "counter", "value": -1}, "a counter only goes up"),
    (
        {"name": "x", "type": "gauge", "value": 1, "labels": {"__name__": "y"}},
        "label name '__name__' is not valid",
    ),
    ({"name": "x", "type": "gauge", "value": 1, "labels": {"a.b": "y"}}, "label name 'a.b' is not valid"),
    ({"name": "x", "type": "gauge", "value": 1, "labels": {"code": 200}}, "label 'code' must be a string"),
    ({"name": "x", "type": "gauge", "value": 1, "labels": ["a"]}, "labels must be an object"),
    (
        {"name": "response_time_seconds", "type": "histogram", "value": 1, "labels": {"le": "1"}},
        "label 'le' is reserved",
    ),
    (
        {"name": "other_seconds", "type": "histogram", "value": 1},
        "histogram has no buckets declared (config metrics.other_seconds.buckets)",
    ),
    (
        {"name": "x", "type": "gauge", "value": 1, "timestamp": "yesterday"},
        "timestamp must be an ISO 8601 string",
    ),
    ({"name": "x", "type": "gauge", "value": 1, "unit": "s"}, "unknown field(s) unit"),
    ("not an object", "metrics[1]: expected an object, got str"),
    (
        {"name": "x", "type": "gauge", "value": 1, "labels": {"a": "\ud800"}},
        "label 'a' is not valid Unicode text",
    ),
]


@pytest.mark.parametrize(("item", "message"), BAD, ids=[message for _, message in BAD])
def test_a_bad_item_is_a_400_naming_it_and_nothing_of_the_batch_is_applied(
    bridge: str, item: Any, message: str
) -> None:
    status, body = push(bridge, counter(1, method="GET"), item)
    assert status == 400
    assert message in body["error"]
    assert body["index"] == 1
    assert "http_requests_total" not in scrape(bridge)


def test_unicode_label_values_are_kept_and_rendered_as_utf8(bridge: str) -> None:
    assert push(bridge, counter(1, city="Zürich", quote='say "hi"\n'))[0] == 200
    text = scrape(bridge)
    promtool_check_metrics(text)
    assert sample_lines(text)['http_requests_total{city="Zürich",quote="say \\"hi\\"\\n"}'] == "1"


def test_a_name_keeps_its_type_and_histogram_suffixes_are_reserved(bridge: str) -> None:
    push(bridge, counter(1))
    status, body = push(bridge, {"name": "http_requests_total", "type": "gauge", "value": 1})
    assert (status, body["error"]) == (
        400,
        "metrics[0] (http_requests_total): is a counter, cannot take a gauge sample",
    )
    status, body = push(
        bridge, {"name": "q", "type": "gauge", "value": 1}, {"name": "q", "type": "counter", "value": 1}
    )
    assert body["error"] == "metrics[1] (q): is a gauge, cannot take a counter sample"
    push(bridge, {"name": "response_time_seconds", "type": "histogram", "value": 1})
    status, body = push(bridge, {"name": "response_time_seconds_count", "type": "gauge", "value": 1})
    assert (
        body["error"]
        == "metrics[0] (response_time_seconds_count): clashes with the series of histogram response_time_seconds"
    )


def test_malformed_bodies_are_400s(bridge: str) -> None:
    status, _, body = http("POST", f"{bridge}/api/metrics", b"{nope", AUTH)
    assert status == 400 and b"body is not valid JSON" in body
    status, _, body = http("POST", f"{bridge}/api/metrics", b'{"metric": []}', AUTH)
    assert status == 400 and b'expected a JSON object {\\"metrics\\": [...]}' in body


def test_series_past_the_cap_are_refused_whole_with_a_clear_error(bridge: str) -> None:
    assert push(bridge, *[counter(1, n=str(i)) for i in range(4)])[0] == 200
    status, body = push(bridge, counter(1, n="0"), counter(1, n="4"), counter(1, n="5"))
    assert status == 400
    assert body["error"].startswith(
        "series limit reached: 4 series are stored and this push would add 2 new ones, over max_series 5"
    )
    assert sample_lines(scrape(bridge))['http_requests_total{n="0"}'] == "1", "nothing was applied"
    assert push(bridge, counter(1, n="0"), counter(1, n="4"))[0] == 200, "existing series and room for one"


def test_series_not_pushed_for_expire_after_disappear(bridge: str, clock: Clock) -> None:
    push(bridge, counter(1, n="old"))
    clock.now += 200
    push(bridge, counter(1, n="fresh"))
    clock.now += 200  # old: 400 s, fresh: 200 s; expire_after is 300 s
    samples = sample_lines(scrape(bridge))
    assert 'http_requests_total{n="fresh"}' in samples
    assert 'http_requests_total{n="old"}' not in samples
    assert samples["push_bridge_series"] == "1"
    clock.now += 200
    text = scrape(bridge)
    assert "http_requests_total" not in text, "a family with no series left is dropped, HELP and all"
    push(bridge, {"name": "http_requests_total", "type": "gauge", "value": 1})  # the name is free again
    assert sample_lines(scrape(bridge))["http_requests_total"] == "1"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["no header", "wrong token", "token without Bearer"],
)
def test_pushes_without_the_bearer_token_are_401(bridge: str, headers: dict[str, str]) -> None:
    status, response_headers, _ = http("POST", f"{bridge}/api/metrics", {"metrics": [counter(1)]}, headers)
    assert status == 401
    assert response_headers["WWW-Authenticate"] == 'Bearer realm="push-bridge"'
    samples = sample_lines(scrape(bridge))
    assert "http_requests_total" not in samples
    assert samples['push_bridge_pushes_total{result="unauthorized"}'] == "1"


def test_the_real_process_reads_its_token_file_and_serves(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "push.yaml").write_text("token_file: token\nexpire_after: 10m\n")
    with exporter_process("push", tmp_path / "push.yaml") as url:
        assert push(url, counter(1, method="GET"))[0] == 200
        assert http("GET", f"{url}/health/ready")[0] == 200
        assert sample_lines(scrape(url))['http_requests_total{method="GET"}'] == "1"
