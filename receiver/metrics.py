"""The receiver's own metrics in the Prometheus text exposition format 0.0.4
(https://prometheus.io/docs/instrumenting/exposition_formats/).

A few dozen lines instead of a client library: the receiver needs counters, one histogram and
gauges computed at scrape time, and each registry is a plain object that tests create afresh."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Sequence

LabelValues = tuple[str, ...]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) or abs(value) >= 1e15 else str(int(value))


class Counter:
    def __init__(self, name: str, help_text: str, label_names: Sequence[str] = ()) -> None:
        self.name, self.help, self.label_names = name, help_text, tuple(label_names)
        self._values: dict[LabelValues, float] = {}
        self._lock = threading.Lock()

    def inc(self, *labels: str, by: float = 1.0) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + by

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        for labels, value in sorted(self._values.items()):
            lines.append(f"{self.name}{_labels(self.label_names, labels)} {_number(value)}")
        return lines


class Histogram:
    def __init__(self, name: str, help_text: str, label_names: Sequence[str] = ()) -> None:
        self.name, self.help, self.label_names = name, help_text, tuple(label_names)
        self._series: dict[LabelValues, list[float]] = {}  # per-bucket counts, +Inf only, sum, count
        self._lock = threading.Lock()

    def observe(self, value: float, *labels: str) -> None:
        with self._lock:
            series = self._series.setdefault(labels, [0.0] * (len(_BUCKETS) + 3))
            series[bisect.bisect_left(_BUCKETS, value)] += 1  # index len(_BUCKETS) is +Inf only
            series[-2] += value
            series[-1] += 1

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for labels, series in sorted(self._series.items()):
            cumulative = 0.0
            for bound, count in zip((*_BUCKETS, float("inf")), series, strict=False):
                cumulative += count
                le = 'le="+Inf"' if bound == float("inf") else f'le="{bound!r}"'
                lines.append(
                    f"{self.name}_bucket{_labels(self.label_names, labels, le)} {_number(cumulative)}"
                )
            lines.append(f"{self.name}_sum{_labels(self.label_names, labels)} {_number(series[-2])}")
            lines.append(f"{self.name}_count{_labels(self.label_names, labels)} {_number(series[-1])}")
        return lines


class Gauge:
    """A gauge read at scrape time from a callback (open incidents, heartbeat age)."""

    def __init__(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        self.name, self.help, self._read = name, help_text, read

    def render(self) -> list[str]:
        value = self._read()
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} gauge"]
        if value is not None:
            lines.append(f"{self.name} {_number(value)}")
        return lines


class Registry:
    def __init__(self) -> None:
        self._metrics: list[Counter | Histogram | Gauge] = []

    def counter(self, name: str, help_text: str, label_names: Sequence[str] = ()) -> Counter:
        metric = Counter(name, help_text, label_names)
        self._metrics.append(metric)
        return metric

    def histogram(self, name: str, help_text: str, label_names: Sequence[str] = ()) -> Histogram:
        metric = Histogram(name, help_text, label_names)
        self._metrics.append(metric)
        return metric

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> Gauge:
        metric = Gauge(name, help_text, read)
        self._metrics.append(metric)
        return metric

    def render(self) -> bytes:
        lines: list[str] = []
        for metric in self._metrics:
            lines.extend(metric.render())
        return ("\n".join(lines) + "\n").encode()
