"""Units: guess them from metric names, print thresholds for people, pick Prometheus' template
function that prints `$value` the same way."""

from __future__ import annotations

from generator.promql import format_number

# Prometheus naming conventions put the base unit in the suffix
# (https://prometheus.io/docs/practices/naming/#base-units).
_SUFFIX_UNITS = (
    ("_ratio", "ratio"),
    ("_seconds", "seconds"),
    ("_seconds_total", "seconds"),
    ("_bytes", "bytes"),
    ("_bytes_total", "bytes"),
    ("_percent", "percent"),
)

# Template functions from https://prometheus.io/docs/prometheus/latest/configuration/template_reference/
TEMPLATE_FUNCTION = {
    "ratio": "humanizePercentage",
    "seconds": "humanizeDuration",
    "bytes": "humanize1024",
    "percent": "humanize",
    "count": "humanize",
    "requests_per_second": "humanize",
    "none": "humanize",
}


def guess_unit(metric: str) -> str:
    for suffix, unit in _SUFFIX_UNITS:
        if metric.endswith(suffix):
            return unit
    return "none"


def format_value(value: float, unit: str) -> str:
    """A threshold in words: 0.05 ratio -> `5%`, 0.25 seconds -> `250ms`, 1073741824 bytes -> `1GiB`."""
    if unit == "ratio":
        return format_number(round(value * 100, 10)) + "%"
    if unit == "percent":
        return format_number(value) + "%"
    if unit == "seconds":
        if 0 < abs(value) < 1:
            return format_number(round(value * 1000, 6)) + "ms"
        return format_number(value) + "s"
    if unit == "bytes":
        for power, suffix in ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
            size = 1024**power
            if abs(value) >= size:
                return format_number(round(value / size, 2)) + suffix
        return format_number(value) + "B"
    if unit == "requests_per_second":
        return format_number(value) + "/s"
    return format_number(value)


def template_value(unit: str) -> str:
    """`{{ $value | humanizePercentage }}` and friends."""
    return "{{ $value | " + TEMPLATE_FUNCTION.get(unit, "humanize") + " }}"
