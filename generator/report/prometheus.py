"""A small client of Prometheus's HTTP API (/api/v1/query, /api/v1/query_range) for reports.

Errors a user can act on are PrometheusError with a message naming the server and the query;
queries that take a while are announced through `progress` so a long report is not silent.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Labels = dict[str, str]
SLOW_QUERY_SECONDS = 1.0


class PrometheusError(Exception):
    """Prometheus is unreachable, refused a query, or answered something we cannot read."""


@dataclass
class Prometheus:
    url: str
    timeout: float = 60.0
    progress: Callable[[str], None] = field(default=lambda _message: None)
    queries: int = 0

    def query(self, expr: str, at: float) -> list[tuple[Labels, float]]:
        data = self._get("/api/v1/query", {"query": expr, "time": _stamp(at)}, expr)
        return [(_labels(item), _value(item["value"][1])) for item in data.get("result", [])]

    def query_range(
        self, expr: str, start: float, end: float, step: float
    ) -> list[tuple[Labels, list[tuple[float, float]]]]:
        params = {"query": expr, "start": _stamp(start), "end": _stamp(end), "step": f"{step:g}"}
        data = self._get("/api/v1/query_range", params, expr)
        return [
            (_labels(item), [(float(t), _value(v)) for t, v in item.get("values", [])])
            for item in data.get("result", [])
        ]

    def _get(self, path: str, params: dict[str, str], expr: str) -> dict[str, Any]:
        self.queries += 1
        address = self.url.rstrip("/") + path + "?" + urllib.parse.urlencode(params)
        started = time.monotonic()
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = _error_text(error)
            raise PrometheusError(f"Prometheus at {self.url} refused {expr!r}: {detail}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(f"cannot reach Prometheus at {self.url}: {reason}") from None
        except json.JSONDecodeError:
            raise PrometheusError(
                f"{self.url} did not answer with Prometheus's JSON: is it Prometheus?"
            ) from None
        elapsed = time.monotonic() - started
        if elapsed > SLOW_QUERY_SECONDS:
            self.progress(f"  ({elapsed:.1f} s for {expr[:80]})")
        if body.get("status") != "success":
            raise PrometheusError(f"Prometheus at {self.url} refused {expr!r}: {body.get('error', body)}")
        return dict(body.get("data", {}))


def _stamp(at: float) -> str:
    return f"{at:.3f}"


def _labels(item: dict[str, Any]) -> Labels:
    return {str(k): str(v) for k, v in item.get("metric", {}).items()}


def _value(text: Any) -> float:
    value = float(text)
    return value if math.isfinite(value) else math.nan


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read())
        return str(body.get("error", body))
    except (json.JSONDecodeError, OSError):
        return f"HTTP {error.code}"
