"""Validation of Alertmanager's webhook body (payload version 4) into plain, typed records.

The shape is Alertmanager's documented webhook payload
(https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). Fields we do not use
and fields that newer Alertmanagers add are ignored; every field we do use is checked, and a
mistake is reported with its path (`alerts[0].startsAt`) and the value received."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from receiver.timeutil import parse_rfc3339

SUPPORTED_VERSION = "4"
_STATUSES = ("firing", "resolved")


class PayloadError(ValueError):
    """The body is not a webhook payload we accept; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Alert:
    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float
    ends_at: float | None
    generator_url: str


@dataclass(frozen=True, slots=True)
class Delivery:
    receiver: str
    status: str
    group_key: str
    external_url: str
    alerts: tuple[Alert, ...]
    truncated_alerts: int


def _describe(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _string(obj: dict[str, Any], key: str, path: str, *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if value is None:
        raise PayloadError(f"{path}{key}: required field is missing")
    if not isinstance(value, str):
        raise PayloadError(f"{path}{key}: expected a string, got {_describe(value)}")
    if "\x00" in value:
        raise PayloadError(f"{path}{key}: must not contain NUL characters")
    return value


def _status(obj: dict[str, Any], path: str) -> str:
    value = _string(obj, "status", path)
    if value not in _STATUSES:
        raise PayloadError(f"{path}status: expected 'firing' or 'resolved', got {_describe(value)}")
    return value


def _string_map(obj: dict[str, Any], key: str, path: str) -> dict[str, str]:
    value = obj.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadError(f"{path}{key}: expected an object of strings, got {_describe(value)}")
    # PostgreSQL text cannot hold NUL, and no label or annotation of Prometheus contains one.
    if any("\x00" in text for pair in value.items() for text in pair):
        raise PayloadError(f"{path}{key}: must not contain NUL characters")
    return value


def _time(obj: dict[str, Any], key: str, path: str) -> float | None:
    text = _string(obj, key, path)
    try:
        return parse_rfc3339(text)
    except ValueError:
        raise PayloadError(f"{path}{key}: expected an RFC 3339 timestamp, got {_describe(text)}") from None


def _alert(raw: Any, index: int) -> Alert:
    path = f"alerts[{index}]."
    if not isinstance(raw, dict):
        raise PayloadError(f"alerts[{index}]: expected an object, got {_describe(raw)}")
    fingerprint = _string(raw, "fingerprint", path)
    if not fingerprint:
        raise PayloadError(f"{path}fingerprint: must not be empty")
    starts_at = _time(raw, "startsAt", path)
    if starts_at is None:
        raise PayloadError(f"{path}startsAt: must be a real time, got Go's zero time")
    return Alert(
        fingerprint=fingerprint,
        status=_status(raw, path),
        labels=_string_map(raw, "labels", path),
        annotations=_string_map(raw, "annotations", path),
        starts_at=starts_at,
        ends_at=_time(raw, "endsAt", path) if raw.get("endsAt") is not None else None,
        generator_url=_string(raw, "generatorURL", path, required=False),
    )


def parse_delivery(body: bytes) -> Delivery:
    """The delivery in `body`, or PayloadError naming the first problem."""
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise PayloadError(f"body is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise PayloadError(f"body: expected a JSON object, got {_describe(raw)}")
    if "version" not in raw:
        raise PayloadError(f"version: required field is missing (expected {SUPPORTED_VERSION!r})")
    if raw["version"] != SUPPORTED_VERSION:
        raise PayloadError(
            f"version: expected {SUPPORTED_VERSION!r} (Alertmanager webhook payload version 4), "
            f"got {_describe(raw['version'])}"
        )
    alerts = raw.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError(f"alerts: expected a list of alerts, got {_describe(alerts)}")
    truncated = raw.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadError(f"truncatedAlerts: expected a non-negative integer, got {_describe(truncated)}")
    return Delivery(
        receiver=_string(raw, "receiver", ""),
        status=_status(raw, ""),
        group_key=_string(raw, "groupKey", ""),
        external_url=_string(raw, "externalURL", "", required=False),
        alerts=tuple(_alert(alert, index) for index, alert in enumerate(alerts)),
        truncated_alerts=truncated,
    )
