"""The text exposition renderer: exact bytes for the tricky parts, and promtool agrees."""

from __future__ import annotations

import math

import pytest

from exporters.common.exposition import MetricFamily, format_value, render, series_key
from exporters.common.histogram import Histogram, normalize_buckets
from tests.exporters.helpers import promtool_check_metrics


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (-2.0, "-2"),
        (0.25, "0.25"),
        (1e-7, "1e-07"),
        (1e20, "1e+20"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
    ],
    ids=lambda v: str(v),
)
def test_values_are_written_in_spellings_go_parses(value: float, text: str) -> None:
    assert format_value(value) == text


def test_label_values_escape_backslash_quote_and_newline_but_help_keeps_quotes() -> None:
    family = MetricFamily("odd_labels", "gauge", 'A "quoted" help\nwith a \\ backslash')
    family.add(1, {"path": 'C:\\dir "x"\nnext', "plain": "ok"})
    text = render([family])
    assert text == (
        '# HELP odd_labels A "quoted" help\\nwith a \\\\ backslash\n'
        "# TYPE odd_labels gauge\n"
        'odd_labels{path="C:\\\\dir \\"x\\"\\nnext",plain="ok"} 1\n'
    )
    promtool_check_metrics(text)


def test_a_series_without_labels_has_no_braces() -> None:
    assert series_key("up") == "up"
    assert series_key("up", [("job", "a")]) == 'up{job="a"}'


def test_histograms_render_cumulative_buckets_ending_in_inf_then_sum_and_count() -> None:
    histogram = Histogram("latency_seconds", (("route", "/a"),), normalize_buckets([0.5, 0.1, 1]))
    for value in (0.05, 0.1, 0.3, 2.0):
        histogram.observe(value)
    text = render([MetricFamily("latency_seconds", "histogram", "Latency.", histogram.samples())])
    assert text.splitlines()[2:] == [
        'latency_seconds_bucket{route="/a",le="0.1"} 2',
        'latency_seconds_bucket{route="/a",le="0.5"} 3',
        'latency_seconds_bucket{route="/a",le="1"} 3',
        'latency_seconds_bucket{route="/a",le="+Inf"} 4',
        'latency_seconds_sum{route="/a"} 2.45',
        'latency_seconds_count{route="/a"} 4',
    ]
    promtool_check_metrics(text)


def test_bucket_bounds_are_sorted_deduplicated_and_refuse_nan() -> None:
    assert normalize_buckets([5, 1, 1, math.inf]) == (1.0, 5.0, math.inf)
    with pytest.raises(ValueError, match="NaN"):
        normalize_buckets([1, math.nan])


def test_unknown_metric_types_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown metric type 'timer'"):
        MetricFamily("x", "timer", "help")
