"""Multiwindow, multi-burn-rate alerting: the numbers, with their source.

Google SRE Workbook, chapter 5 "Alerting on SLOs", section "6: Multiwindow, Multi-Burn-Rate
Alerts", table 5-8 (https://sre.google/workbook/alerting-on-slos/), for a 30-day SLO period:

| severity | long window | short window | burn rate | error budget consumed |
|----------|-------------|--------------|-----------|-----------------------|
| page     | 1 hour      | 5 minutes    | 14.4      | 2%                    |
| page     | 6 hours     | 30 minutes   | 6         | 5%                    |
| ticket   | 1 day       | 2 hours      | 3         | 10%                   |
| ticket   | 3 days      | 6 hours      | 1         | 10%                   |

The short window is 1/12 of the long one ("a good guideline"). For another period P, the windows
scale by P/30d (rounded to whole minutes, short windows at least 5 minutes so a rate has samples),
and each burn rate is recomputed from the budget share it stands for: burn = consumed x P / long.
For 30 days that gives exactly the table; for 28 days the same factors over 56m/4h48m/...
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from generator.durations import Duration, format_duration

MINUTE_MS = 60_000
DAY_MS = 86_400_000
REFERENCE_PERIOD_MS = 30 * DAY_MS
MIN_SHORT_WINDOW_MS = 5 * MINUTE_MS


@dataclass(frozen=True)
class WorkbookRow:
    tier: str  # page or ticket
    long_ms: int
    short_ms: int
    budget_consumed: Decimal  # share of the period's error budget that fires the alert


WORKBOOK_30D: tuple[WorkbookRow, ...] = (
    WorkbookRow("page", 60 * MINUTE_MS, 5 * MINUTE_MS, Decimal("0.02")),
    WorkbookRow("page", 6 * 60 * MINUTE_MS, 30 * MINUTE_MS, Decimal("0.05")),
    WorkbookRow("ticket", DAY_MS, 2 * 60 * MINUTE_MS, Decimal("0.10")),
    WorkbookRow("ticket", 3 * DAY_MS, 6 * 60 * MINUTE_MS, Decimal("0.10")),
)


@dataclass(frozen=True)
class BurnWindow:
    """One alerting window pair for a given period."""

    tier: str
    long: Duration
    short: Duration
    burn_rate: Decimal  # the factor: how many times faster than sustainable the budget burns
    budget_consumed: Decimal


def _minutes(milliseconds: float) -> int:
    return max(MINUTE_MS, round(milliseconds / MINUTE_MS) * MINUTE_MS)


def _duration(milliseconds: int) -> Duration:
    return Duration(milliseconds, format_duration(milliseconds))


def burn_windows(period: Duration) -> tuple[BurnWindow, ...]:
    """The workbook's four window pairs, scaled to `period`."""
    scale = period.milliseconds / REFERENCE_PERIOD_MS
    windows = []
    for row in WORKBOOK_30D:
        long_ms = _minutes(row.long_ms * scale)
        short_ms = max(MIN_SHORT_WINDOW_MS, _minutes(row.short_ms * scale))
        burn = row.budget_consumed * Decimal(period.milliseconds) / Decimal(long_ms)
        burn = burn.quantize(Decimal("0.0001"))
        windows.append(
            BurnWindow(
                row.tier, _duration(long_ms), _duration(short_ms), burn.normalize(), row.budget_consumed
            )
        )
    return tuple(windows)


def detection_time_ms(window: BurnWindow, error_budget: Decimal, error_ratio: Decimal = Decimal(1)) -> int:
    """Workbook: time for the long window's error ratio to reach the threshold at `error_ratio`
    (1 = total outage): threshold / error_ratio x long window."""
    threshold = window.burn_rate * error_budget
    return int(threshold / error_ratio * window.long.milliseconds)
