"""A fixed-bucket histogram whose exposition lines are rendered from cached keys."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence

from exporters.common.exposition import format_value, series_key

# prometheus_client's default buckets (client_python, metrics.py: Histogram.DEFAULT_BUCKETS).
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def normalize_buckets(bounds: Sequence[float]) -> tuple[float, ...]:
    """Sorted, distinct upper bounds ending in +Inf (the exposition format requires the +Inf bucket)."""
    if any(math.isnan(bound) for bound in bounds):
        raise ValueError("histogram bucket bounds must be numbers, not NaN")
    finite = sorted({float(bound) for bound in bounds if not math.isinf(bound)})
    return (*finite, math.inf)


class Histogram:
    """Counts per bucket (not cumulative: an observation touches one slot), sum and count."""

    __slots__ = ("_bounds", "_keys", "count", "counts", "sum")

    def __init__(self, name: str, labels: Sequence[tuple[str, str]], bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        self.counts = [0] * len(bounds)
        self.sum = 0.0
        self.count = 0
        # Rendered once: one key per bucket, then _sum and _count.
        self._keys = [
            series_key(f"{name}_bucket", [*labels, ("le", format_value(bound))]) for bound in bounds
        ] + [series_key(f"{name}_sum", labels), series_key(f"{name}_count", labels)]

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self._bounds, value)] += 1
        self.sum += value
        self.count += 1

    def samples(self) -> Iterator[tuple[str, float]]:
        """Cumulative bucket lines (le ascending, ending with +Inf), then _sum and _count."""
        cumulative = 0
        keys = self._keys
        for index, in_bucket in enumerate(self.counts):
            cumulative += in_bucket
            yield keys[index], cumulative
        yield keys[-2], self.sum
        yield keys[-1], self.count
