"""The push bridge's HTTP routes: ``POST /api/metrics`` (bearer token) and its own metrics."""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from pathlib import Path

from exporters.common.config import load_config, read_secret_file
from exporters.common.exposition import MetricFamily, series_key
from exporters.common.registry import Registry
from exporters.common.server import App, Request, Response, json_response
from exporters.push.config import PushConfig
from exporters.push.samples import BadPush, parse_batch
from exporters.push.store import PushStore

NAMESPACE = "push_bridge"
_RESULTS = ("accepted", "rejected", "unauthorized")


class PushEndpoint:
    """Authenticates, validates and stores one pushed batch; counts the outcomes."""

    def __init__(self, store: PushStore, token: str) -> None:
        self._store = store
        self._expected = f"Bearer {token}".encode()
        self._lock = threading.Lock()
        self._pushes = dict.fromkeys(_RESULTS, 0)
        self._samples = 0

    def __call__(self, request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get("authorization", "").encode(), self._expected):
            self._count("unauthorized")
            return Response(
                401,
                b'{"error": "missing or wrong bearer token"}\n',
                "application/json",
                {"WWW-Authenticate": 'Bearer realm="push-bridge"'},
            )
        try:
            document = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            self._count("rejected")
            return json_response(400, {"error": f"body is not valid JSON: {error}"})
        try:
            samples = parse_batch(document)
            new_series = self._store.push(samples)
        except BadPush as error:
            self._count("rejected")
            return json_response(400, error.payload())
        self._count("accepted", len(samples))
        return json_response(200, {"accepted": len(samples), "new_series": new_series})

    def _count(self, result: str, samples: int = 0) -> None:
        with self._lock:
            self._pushes[result] += 1
            self._samples += samples

    def collect(self) -> list[MetricFamily]:
        with self._lock:
            pushes = MetricFamily(
                f"{NAMESPACE}_pushes_total",
                "counter",
                "Pushes received, by result.",
                [
                    (series_key(f"{NAMESPACE}_pushes_total", [("result", r)]), n)
                    for r, n in self._pushes.items()
                ],
            )
            samples = MetricFamily(
                f"{NAMESPACE}_samples_total",
                "counter",
                "Samples accepted.",
                [(f"{NAMESPACE}_samples_total", self._samples)],
            )
        series = MetricFamily(
            f"{NAMESPACE}_series",
            "gauge",
            "Series currently stored (a histogram counts once).",
            [(f"{NAMESPACE}_series", self._store.series_count)],
        )
        return [pushes, samples, series]


def make_app(config: PushConfig, token: str, clock: Callable[[], float] | None = None) -> App:
    store = PushStore(config, clock) if clock else PushStore(config)
    endpoint = PushEndpoint(store, token)
    registry = Registry(NAMESPACE)
    registry.register("pushed", store)
    registry.register("bridge", endpoint)
    return App(registry, routes={("POST", "/api/metrics"): endpoint})


def build(config_path: Path) -> tuple[App, Callable[[], None]]:
    config = load_config(config_path, PushConfig)
    token_file = (
        config.token_file if config.token_file.is_absolute() else config_path.parent / config.token_file
    )
    return make_app(config, read_secret_file(token_file)), lambda: None
