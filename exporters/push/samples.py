"""Validating one pushed batch: ``{"metrics": [{name, type, value, labels, timestamp}]}``.

Everything is checked before anything is stored, so a batch is applied whole or not at all.
Name and label rules are Prometheus's (https://prometheus.io/docs/concepts/data_model/):
metric names match ``[a-zA-Z_:][a-zA-Z0-9_:]*``, label names ``[a-zA-Z_][a-zA-Z0-9_]*`` and
label names starting with ``__`` are reserved for Prometheus itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
PUSH_TYPES = ("counter", "gauge", "histogram")


class BadPush(ValueError):
    """A batch that is refused; ``index`` is the position of the offending item, when there is one."""

    def __init__(self, message: str, index: int | None = None, name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.name = name

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.index is not None:
            body["index"] = self.index
        if self.name is not None:
            body["name"] = self.name
        return body


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    type: str
    value: float
    labels: tuple[tuple[str, str], ...]  # sorted by label name


def parse_batch(document: Any) -> list[Sample]:
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), list):
        raise BadPush('expected a JSON object {"metrics": [...]}')
    return [_parse_item(index, item) for index, item in enumerate(document["metrics"])]


def _parse_item(index: int, item: Any) -> Sample:
    if not isinstance(item, dict):
        raise BadPush(f"metrics[{index}]: expected an object, got {type(item).__name__}", index)
    unknown = sorted(set(item) - {"name", "type", "value", "labels", "timestamp"})
    name = item.get("name")
    if not isinstance(name, str) or not METRIC_NAME.match(name):
        raise BadPush(
            f"metrics[{index}].name: {name!r} is not a valid Prometheus metric name "
            "(letters, digits, '_' and ':', not starting with a digit)",
            index,
            name if isinstance(name, str) else None,
        )

    def bad(message: str) -> BadPush:
        return BadPush(f"metrics[{index}] ({name}): {message}", index, name)

    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}")
    kind = item.get("type")
    if kind not in PUSH_TYPES:
        raise bad(f"type must be one of {', '.join(PUSH_TYPES)}, got {kind!r}")
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(f"value must be a number, got {value!r}")
    value = float(value)
    if kind == "counter" and not (value >= 0 and math.isfinite(value)):
        raise bad(f"a counter only goes up: value must be a finite number >= 0, got {value!r}")
    if kind == "histogram" and math.isnan(value):
        raise bad("a histogram cannot observe NaN")
    labels = item.get("labels", {})
    if not isinstance(labels, dict):
        raise bad(f"labels must be an object of string values, got {type(labels).__name__}")
    for label, label_value in labels.items():
        if not LABEL_NAME.match(label) or label.startswith("__"):
            raise bad(
                f"label name {label!r} is not valid (letters, digits and '_', not starting with a "
                "digit; '__' prefixes are reserved)"
            )
        if kind == "histogram" and label == "le":
            raise bad("label 'le' is reserved for histogram buckets")
        if not isinstance(label_value, str):
            raise bad(f"label {label!r} must be a string, got {label_value!r}")
        if not label_value.isascii():
            try:
                label_value.encode("utf-8")
            except UnicodeEncodeError:  # JSON allows lone surrogates ("\ud800"); UTF-8 does not
                raise bad(f"label {label!r} is not valid Unicode text") from None
    _check_timestamp(item.get("timestamp"), bad)
    return Sample(name, kind, value, tuple(sorted(labels.items())))


def _check_timestamp(timestamp: Any, bad: Any) -> None:
    """Timestamps are checked but not exposed: like the Pushgateway, the bridge lets Prometheus
    stamp samples at scrape time (explicit timestamps would defeat Prometheus' staleness handling,
    https://prometheus.io/docs/instrumenting/pushing/)."""
    if timestamp is None or (isinstance(timestamp, int | float) and not isinstance(timestamp, bool)):
        return
    if isinstance(timestamp, str):
        try:
            datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
            return
        except ValueError:
            pass
    raise bad(f"timestamp must be an ISO 8601 string or Unix seconds, got {timestamp!r}")
