from grafanalib.core import Dashboard, Graph, Row, Target

dashboard = Dashboard(
    title="API",
    rows=[
        Row(panels=[Graph(title="Requests", targets=[Target(expr="sum(rate(http_requests_total[$__rate_interval]))")],
                          span="half")]),
    ],
)
