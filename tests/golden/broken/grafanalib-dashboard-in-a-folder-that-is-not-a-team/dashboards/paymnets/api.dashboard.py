from grafanalib.core import Dashboard

dashboard = Dashboard(title="API", uid="api")
