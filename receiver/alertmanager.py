"""The few calls the receiver makes to Alertmanager's API v2
(https://github.com/prometheus/alertmanager/blob/v0.25.0/api/v2/openapi.yaml)."""

from __future__ import annotations

from typing import Any

import orjson

from receiver.httpclient import HttpClient, HttpError
from receiver.timeutil import format_rfc3339


class Alertmanager:
    def __init__(self, url: str, http: HttpClient) -> None:
        self._url = url.rstrip("/")
        self._http = http

    def create_silence(
        self, labels: dict[str, str], starts: float, ends: float, who: str, comment: str
    ) -> str:
        """A silence matching exactly this alert's labels; returns its id."""
        body = {
            "matchers": [
                {"name": name, "value": value, "isRegex": False, "isEqual": True}
                for name, value in sorted(labels.items())
            ],
            "startsAt": format_rfc3339(starts),
            "endsAt": format_rfc3339(ends),
            "createdBy": who,
            "comment": comment,
        }
        answer = orjson.loads(self._http.request("POST", f"{self._url}/api/v2/silences", orjson.dumps(body)))
        silence_id = answer.get("silenceID") if isinstance(answer, dict) else None
        if not isinstance(silence_id, str):
            raise HttpError(f"Alertmanager answered without a silenceID: {answer!r}")
        return silence_id

    def expire_silence(self, silence_id: str) -> None:
        self._http.request("DELETE", f"{self._url}/api/v2/silence/{silence_id}")

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        self._http.request("POST", f"{self._url}/api/v2/alerts", orjson.dumps(alerts))

    def active_fingerprints(self) -> set[str]:
        """Fingerprints of every alert Alertmanager still holds unresolved, silenced ones included.
        (API v2 leaves resolved alerts out of GET /alerts.)"""
        query = "active=true&silenced=true&inhibited=true&unprocessed=true"
        answer = orjson.loads(self._http.request("GET", f"{self._url}/api/v2/alerts?{query}"))
        if not isinstance(answer, list):
            raise HttpError(f"Alertmanager's /api/v2/alerts did not return a list: {str(answer)[:200]}")
        return {
            alert["fingerprint"] for alert in answer if isinstance(alert, dict) and "fingerprint" in alert
        }
