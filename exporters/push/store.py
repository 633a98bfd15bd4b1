"""The push bridge's series: counters add, gauges set, histograms observe; expiry and a cap.

One lock guards the store; a batch is validated against the current state (types, buckets, the
series cap) completely before its first sample is applied, so a refused batch changes nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from exporters.common.exposition import MetricFamily, series_key
from exporters.common.histogram import Histogram
from exporters.push.config import PushConfig
from exporters.push.samples import BadPush, Sample

_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Sweeping every series on every push would make ingest O(series); once a second is plenty for an
# expiry measured in minutes.
_SWEEP_EVERY_SECONDS = 1.0


@dataclass(slots=True)
class _Scalar:
    key: str
    value: float
    seen: float


@dataclass(slots=True)
class _Observed:
    histogram: Histogram
    seen: float


@dataclass
class _Family:
    type: str
    help: str
    # Keyed by the rendered series key (`name{a="x"}`, labels sorted): it identifies the series
    # and is what a scrape prints, so no label tuples are kept (a third of the memory per series).
    series: dict[str, _Scalar | _Observed] = field(default_factory=dict)


class PushStore:
    def __init__(self, config: PushConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._families: dict[str, _Family] = {}
        self._series_count = 0
        self._lock = threading.Lock()
        self._last_sweep = clock()

    @property
    def series_count(self) -> int:
        return self._series_count

    def push(self, samples: Sequence[Sample]) -> int:
        """Apply a validated batch whole, or raise BadPush and apply nothing. Returns new series."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            keys = [series_key(sample.name, sample.labels) for sample in samples]
            new_series = self._check(samples, keys)
            for sample, key in zip(samples, keys, strict=True):
                self._apply(sample, key, now)
            return new_series

    def _check(self, samples: Sequence[Sample], keys: Sequence[str]) -> int:
        batch_types: dict[str, str] = {}
        new: set[str] = set()
        for index, (sample, key) in enumerate(zip(samples, keys, strict=True)):
            family = self._families.get(sample.name)
            known = family.type if family else batch_types.get(sample.name)
            if known is not None and known != sample.type:
                raise BadPush(
                    f"metrics[{index}] ({sample.name}): is a {known}, cannot take a {sample.type} sample",
                    index,
                    sample.name,
                )
            if known is None:
                self._check_new_name(index, sample)
                batch_types[sample.name] = sample.type
            if family is None or key not in family.series:
                new.add(key)
        limit = self._config.max_series
        if self._series_count + len(new) > limit:
            raise BadPush(
                f"series limit reached: {self._series_count} series are stored and this push would add "
                f"{len(new)} new ones, over max_series {limit}; nothing was applied "
                "(stop pushing unbounded label values, or raise max_series)"
            )
        return len(new)

    def _check_new_name(self, index: int, sample: Sample) -> None:
        declared = self._config.metrics.get(sample.name)
        if sample.type == "histogram" and (declared is None or declared.buckets is None):
            raise BadPush(
                f"metrics[{index}] ({sample.name}): histogram has no buckets declared "
                f"(config metrics.{sample.name}.buckets)",
                index,
                sample.name,
            )
        # A histogram `x` exposes x_bucket, x_sum and x_count: no other family may take those names.
        clashes = (
            [f"{sample.name}{suffix}" for suffix in _HISTOGRAM_SUFFIXES] if sample.type == "histogram" else []
        )
        clashes += [
            sample.name.removesuffix(suffix) for suffix in _HISTOGRAM_SUFFIXES if sample.name.endswith(suffix)
        ]
        for other in clashes:
            family = self._families.get(other)
            if family is not None and (family.type == "histogram" or sample.type == "histogram"):
                raise BadPush(
                    f"metrics[{index}] ({sample.name}): clashes with the series of {family.type} {other}",
                    index,
                    sample.name,
                )

    def _apply(self, sample: Sample, key: str, now: float) -> None:
        family = self._families.get(sample.name)
        if family is None:
            declared = self._config.metrics.get(sample.name)
            help_text = declared.help if declared and declared.help else "Pushed through the push bridge."
            family = self._families[sample.name] = _Family(sample.type, help_text)
        series = family.series.get(key)
        if series is None:
            self._series_count += 1
            if sample.type == "histogram":
                buckets = self._config.metrics[sample.name].buckets
                assert buckets is not None  # checked in _check_new_name
                series = _Observed(Histogram(sample.name, sample.labels, buckets), now)
            else:
                series = _Scalar(key, 0.0, now)
            family.series[key] = series
        series.seen = now
        if isinstance(series, _Observed):
            series.histogram.observe(sample.value)
        elif sample.type == "counter":
            series.value += sample.value
        else:
            series.value = sample.value

    def _sweep(self, now: float, force: bool = False) -> None:
        if not force and now - self._last_sweep < _SWEEP_EVERY_SECONDS:
            return
        self._last_sweep = now
        oldest = now - self._config.expire_after
        for name in list(self._families):
            family = self._families[name]
            stale = [key for key, series in family.series.items() if series.seen < oldest]
            for key in stale:
                del family.series[key]
            self._series_count -= len(stale)
            if not family.series:
                del self._families[name]

    def collect(self) -> list[MetricFamily]:
        """A snapshot of every family, sorted by name, built under the lock (pushes may run meanwhile)."""
        with self._lock:
            self._sweep(self._clock(), force=True)
            families = []
            for name in sorted(self._families):
                family = self._families[name]
                samples: list[tuple[str, float]] = []
                for series in family.series.values():
                    if isinstance(series, _Observed):
                        samples.extend(series.histogram.samples())
                    else:
                        samples.append((series.key, series.value))
                families.append(MetricFamily(name, family.type, family.help, samples))
            return families
