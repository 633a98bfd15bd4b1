"""The receiver's own exposition, compared byte for byte on a fresh registry."""

from __future__ import annotations

from receiver.metrics import Registry


def test_counters_histograms_and_gauges_render_in_the_text_format() -> None:
    registry = Registry()
    counter = registry.counter("demo_total", "Things.", ["kind"])
    counter.inc('a"b\\c\nd')
    counter.inc("plain", by=2.5)
    histogram = registry.histogram("demo_seconds", "Latency.")
    histogram.observe(0.003)
    histogram.observe(7.0)
    registry.gauge("demo_open", "Open.", lambda: 3.0)
    registry.gauge("demo_unknown", "Not known yet.", lambda: None)
    text = registry.render().decode()
    assert text == "\n".join(
        [
            "# HELP demo_total Things.",
            "# TYPE demo_total counter",
            'demo_total{kind="a\\"b\\\\c\\nd"} 1',
            'demo_total{kind="plain"} 2.5',
            "# HELP demo_seconds Latency.",
            "# TYPE demo_seconds histogram",
            'demo_seconds_bucket{le="0.001"} 0',
            'demo_seconds_bucket{le="0.0025"} 0',
            'demo_seconds_bucket{le="0.005"} 1',
            'demo_seconds_bucket{le="0.01"} 1',
            'demo_seconds_bucket{le="0.025"} 1',
            'demo_seconds_bucket{le="0.05"} 1',
            'demo_seconds_bucket{le="0.1"} 1',
            'demo_seconds_bucket{le="0.25"} 1',
            'demo_seconds_bucket{le="0.5"} 1',
            'demo_seconds_bucket{le="1.0"} 1',
            'demo_seconds_bucket{le="2.5"} 1',
            'demo_seconds_bucket{le="5.0"} 1',
            'demo_seconds_bucket{le="+Inf"} 2',
            "demo_seconds_sum 7.003",
            "demo_seconds_count 2",
            "# HELP demo_open Open.",
            "# TYPE demo_open gauge",
            "demo_open 3",
            "# HELP demo_unknown Not known yet.",
            "# TYPE demo_unknown gauge",
            "",
        ]
    )
