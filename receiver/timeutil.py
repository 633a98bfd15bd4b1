"""Timestamps and durations as Alertmanager and Prometheus write them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Alertmanager marshals Go's zero time.Time for "no end yet" (webhook docs: endsAt of a firing alert).
_GO_ZERO_PREFIX = "0001-01-01T"

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$")


def parse_rfc3339(text: str) -> float | None:
    """Epoch seconds of an RFC 3339 timestamp; None for Go's zero time. Raises ValueError.

    Python 3.11's fromisoformat takes `Z` and any number of fraction digits (Alertmanager sends
    nanoseconds: `2026-11-23T06:45:26.148089403Z`)."""
    if text.startswith(_GO_ZERO_PREFIX):
        return None
    if "T" not in text:
        raise ValueError(text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(text)
    return parsed.timestamp()


def format_rfc3339(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_duration(text: str) -> float:
    """Seconds of a Prometheus-style duration (`90s`, `5m`, `1h30m`, `2d`). Raises ValueError."""
    match = _DURATION.match(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m, 1h or 1h30m")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
