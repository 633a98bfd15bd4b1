"""Incidents from the receiver's history API (`GET /api/alerts/history`), for response times."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from generator import conventions as names
from generator.report.periods import Window
from generator.report.prometheus import PrometheusError

PAGE = 10_000  # the receiver's largest page


@dataclass(frozen=True)
class Incident:
    labels: dict[str, str]
    starts_at: float
    ends_at: float | None
    acknowledged_at: float | None

    def belongs_to(self, service: str, slo: str) -> bool:
        return self.labels.get(names.SERVICE_LABEL) == service and self.labels.get(names.SLO_LABEL) == slo


class ReceiverHistory:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def incidents(self, span: Window) -> list[Incident]:
        found: list[Incident] = []
        offset = 0
        while True:
            params = {
                "since": _rfc3339(span.start),
                "until": _rfc3339(span.end),
                "limit": str(PAGE),
                "offset": str(offset),
            }
            data = self._get("/api/alerts/history?" + urllib.parse.urlencode(params))
            page = data.get("alerts", [])
            found += [_incident(item) for item in page]
            offset += len(page)
            if not page or offset >= int(data.get("total", 0)):
                return found

    def _get(self, path: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except (urllib.error.URLError, OSError, json.JSONDecodeError) as error:
            raise PrometheusError(f"cannot read the receiver's history at {self.url}: {error}") from None
        if not body.get("success"):
            raise PrometheusError(f"the receiver at {self.url} refused the history query: {body}")
        return dict(body.get("data", {}))


def _rfc3339(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: Any) -> float | None:
    if not text or str(text).startswith("0001-"):
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


def _incident(item: dict[str, Any]) -> Incident:
    return Incident(
        {str(k): str(v) for k, v in (item.get("labels") or {}).items()},
        _time(item.get("startsAt")) or 0.0,
        # A firing alert's endsAt is Alertmanager's guess of when it would time out, not an end.
        _time(item.get("endsAt")) if item.get("status") == "resolved" else None,
        _time(item.get("acknowledgedAt")),
    )
