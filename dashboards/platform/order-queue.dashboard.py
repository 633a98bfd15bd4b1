"""The order queue, as the platform team wrote it with grafanalib before moving to this repository.

`gen build` runs this file and upgrades grafanalib's Grafana 4 JSON (rows of graph and singlestat
panels) to current Grafana JSON in generated/grafana/dashboards/platform/order-queue.json.
"""

from grafanalib.core import (
    SHORT_FORMAT,
    Dashboard,
    Gauge,
    Graph,
    Row,
    SingleStat,
    SparkLine,
    Target,
    Templating,
    Time,
    YAxes,
    YAxis,
)

QUEUE = 'job="order-queue", queue=~"$queue"'

dashboard = Dashboard(
    title="Order queue",
    uid="order-queue",
    description="Backlog and consumers of the RabbitMQ queues behind checkout.",
    tags=["rabbitmq", "orders"],
    time=Time("now-6h", "now"),
    templating=Templating(
        list=[
            {
                "name": "queue",
                "type": "query",
                "datasource": "Prometheus",
                "query": 'label_values(rabbitmq_queue_messages_ready{job="order-queue"}, queue)',
                "refresh": 1,
                "includeAll": True,
                "multi": True,
            }
        ]
    ),
    rows=[
        Row(
            title="Backlog",
            panels=[
                Graph(
                    title="Messages ready",
                    dataSource="Prometheus",
                    targets=[
                        Target(
                            expr=f"sum by (queue) (rabbitmq_queue_messages_ready{{{QUEUE}}})",
                            legendFormat="{{queue}}",
                            refId="A",
                        )
                    ],
                    yAxes=YAxes(left=YAxis(format=SHORT_FORMAT, min=0), right=YAxis(show=False)),
                    span=8,
                    fill=2,
                ),
                SingleStat(
                    title="Backlog now",
                    dataSource="Prometheus",
                    targets=[Target(expr=f"sum(rabbitmq_queue_messages_ready{{{QUEUE}}})", refId="A")],
                    format=SHORT_FORMAT,
                    valueName="current",
                    thresholds="1000,5000",
                    colors=["green", "orange", "red"],
                    sparkline=SparkLine(show=True),
                    span=4,
                ),
            ],
        ),
        Row(
            title="Consumers",
            panels=[
                SingleStat(
                    title="Consumers",
                    dataSource="Prometheus",
                    targets=[Target(expr=f"sum(rabbitmq_queue_consumers{{{QUEUE}}})", refId="A")],
                    format=SHORT_FORMAT,
                    valueName="current",
                    thresholds="1,2",
                    colors=["red", "orange", "green"],
                    gauge=Gauge(show=True, minValue=0, maxValue=10),
                    span=4,
                ),
                Graph(
                    title="Consumers per queue",
                    dataSource="Prometheus",
                    targets=[
                        Target(
                            expr=f"sum by (queue) (rabbitmq_queue_consumers{{{QUEUE}}})",
                            legendFormat="{{queue}}",
                            refId="A",
                        )
                    ],
                    yAxes=YAxes(left=YAxis(format=SHORT_FORMAT, min=0), right=YAxis(show=False)),
                    span=8,
                ),
            ],
        ),
    ],
).auto_panel_ids()
