"""Prometheus durations: parse them, keep the user's spelling, print them back canonically.

Grammar from Prometheus' `model.ParseDuration`: one or more `<int><unit>` terms with units in
descending order, units y, w, d, h, m, s, ms (https://prometheus.io/docs/prometheus/latest/configuration/configuration/#duration).
A year is 365 days and a week 7 days there; we use the same factors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

_UNITS_MS = {
    "y": 365 * 86_400_000,
    "w": 7 * 86_400_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}
_ORDER = ["y", "w", "d", "h", "m", "s", "ms"]
_TERM = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_WHOLE = re.compile(r"^(?:\d+(?:ms|y|w|d|h|m|s))+$")

EXPECTED = "a Prometheus duration such as 30s, 5m, 1h30m or 7d (units ms, s, m, h, d, w, y)"


class DurationError(ValueError):
    """A string that is not a Prometheus duration."""


@dataclass(frozen=True, order=True)
class Duration:
    """A duration in milliseconds with the user's own spelling kept for messages."""

    milliseconds: int
    raw: str = field(default="", compare=False)

    @property
    def seconds(self) -> float:
        return self.milliseconds / 1000

    def __str__(self) -> str:
        return self.raw or format_duration(self.milliseconds)


def parse_duration(text: str) -> Duration:
    """Parse `text` strictly; units must appear at most once, largest first."""
    value = text.strip()
    if not _WHOLE.match(value):
        raise DurationError(f"{text!r} is not {EXPECTED}")
    total = 0
    last_rank = -1
    for number, unit in _TERM.findall(value):
        rank = _ORDER.index(unit)
        if rank <= last_rank:
            raise DurationError(f"{text!r}: units must go from largest to smallest, each at most once")
        last_rank = rank
        total += int(number) * _UNITS_MS[unit]
    return Duration(total, text)


@cache  # a build spells the same few windows tens of thousands of times (1,000 SLOs: 63,000 calls)
def format_duration(milliseconds: int) -> str:
    """Canonical spelling: `90000` -> `1m30s`; weeks and years are not used (Prometheus prints d)."""
    if milliseconds == 0:
        return "0s"
    out = []
    remaining = milliseconds
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNITS_MS[unit]
        count, remaining = divmod(remaining, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
