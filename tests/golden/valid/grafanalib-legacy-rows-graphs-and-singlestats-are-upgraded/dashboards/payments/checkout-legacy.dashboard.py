# A grafanalib 0.7 dashboard in the Grafana 4 model: rows (one collapsed), graph and singlestat
# panels, data sources by name, a helper module imported from beside the file.
from checkout_queries import ERROR_RATIO, REQUESTS
from grafanalib.core import (
    OPS_FORMAT,
    PERCENT_UNIT_FORMAT,
    SECONDS_FORMAT,
    Dashboard,
    Gauge,
    Graph,
    Legend,
    Row,
    SingleStat,
    SparkLine,
    Target,
    Tooltip,
    YAxes,
    YAxis,
)

print("this line goes to stderr, not into the build's JSON")

dashboard = Dashboard(
    title="Checkout (legacy)",
    sharedCrosshair=True,
    rows=[
        Row(
            title="Traffic",
            panels=[
                Graph(
                    title="Requests by code",
                    dataSource="Prometheus",
                    targets=[Target(expr=REQUESTS, legendFormat="{{code}}", refId="A")],
                    yAxes=YAxes(left=YAxis(format=OPS_FORMAT, min=0)),
                    stack=True,
                    fill=3,
                    span=8,
                    legend=Legend(alignAsTable=True, rightSide=True, avg=True, max=True, values=True),
                    aliasColors={"500": "red"},
                    seriesOverrides=[{"alias": "200", "linewidth": 3}],
                ),
                SingleStat(
                    title="Error ratio",
                    dataSource="Prometheus",
                    targets=[Target(expr=ERROR_RATIO)],
                    format=PERCENT_UNIT_FORMAT,
                    decimals=2,
                    valueName="current",
                    thresholds="0.01,0.05",
                    colors=["green", "orange", "red"],
                    colorBackground=True,
                    sparkline=SparkLine(show=True),
                    span=4,
                ),
            ],
        ),
        Row(
            title="Latency",
            collapse=True,
            panels=[
                Graph(
                    title="p99 latency",
                    dataSource="Prometheus",
                    targets=[
                        Target(
                            expr="histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job=\"checkout\"}[$__rate_interval])))",
                        )
                    ],
                    yAxes=YAxes(left=YAxis(format=SECONDS_FORMAT, logBase=10)),
                    tooltip=Tooltip(shared=False),
                    nullPointMode="connected",
                    span=6,
                ),
                SingleStat(
                    title="Availability",
                    dataSource="Prometheus",
                    targets=[Target(expr="1 - (" + ERROR_RATIO + ")")],
                    format=PERCENT_UNIT_FORMAT,
                    prefix="~",
                    gauge=Gauge(show=True, minValue=0, maxValue=1),
                    span=6,
                ),
            ],
        ),
    ],
)
