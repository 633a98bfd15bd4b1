"""The time window a report covers: the last `--period` up to now (or `--end`), or a calendar
month in UTC (`--month 2026-10`: from 2026-10-01T00:00Z up to 2026-11-01T00:00Z)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from generator.durations import DurationError, parse_duration

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DAY_S = 86_400


class PeriodError(ValueError):
    """A `--period`, `--month` or `--end` the report cannot use; the message says why."""


@dataclass(frozen=True)
class Window:
    start: float  # unix seconds, exclusive (Prometheus ranges are left-open)
    end: float  # unix seconds, inclusive
    label: str  # as the report shows it

    @property
    def seconds(self) -> int:
        return round(self.end - self.start)

    @property
    def range(self) -> str:
        """The window as a PromQL range: whole seconds, always valid."""
        return f"{self.seconds}s"

    @property
    def days(self) -> int:
        return max(1, -(-self.seconds // DAY_S))


def window(period: str | None, month: str | None, end: str | None, now: float) -> Window:
    if period and month:
        raise PeriodError("give --period or --month, not both")
    if month:
        match = MONTH.match(month)
        if match is None:
            raise PeriodError(f"--month {month!r}: expected YYYY-MM, such as 2026-10")
        year, number = int(match.group(1)), int(match.group(2))
        first = datetime(year, number, 1, tzinfo=UTC)
        following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
        if first.timestamp() >= now:
            raise PeriodError(f"--month {month}: the month has not started yet")
        return Window(first.timestamp(), min(following.timestamp(), now), first.strftime("%B %Y"))
    try:
        length = parse_duration(period or "30d").milliseconds / 1000
    except DurationError as error:
        raise PeriodError(f"--period {period!r}: {error}") from None
    if length < 3600:
        raise PeriodError(f"--period {period!r}: a report covers at least 1h")
    stop = _end(end, now)
    start = stop - length
    since = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M")
    until = datetime.fromtimestamp(stop, UTC).strftime("%Y-%m-%d %H:%M")
    return Window(start, stop, f"{period or '30d'} from {since} to {until} UTC")


def _end(text: str | None, now: float) -> float:
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PeriodError(
            f"--end {text!r}: expected an ISO date or time, such as 2026-11-01T00:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(moment.timestamp(), now)


def day_steps(span: Window) -> list[float]:
    """Ends of the report's days, the last one at the window's end (a partial day if need be)."""
    steps = []
    moment = span.start + DAY_S
    while moment < span.end:
        steps.append(moment)
        moment += DAY_S
    steps.append(span.end)
    return steps
