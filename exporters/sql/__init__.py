"""The SQL KPI exporter: business metrics from SQL queries, each on its own schedule."""
