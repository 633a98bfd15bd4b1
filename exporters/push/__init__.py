"""The push bridge: applications POST JSON samples, Prometheus scrapes them from /metrics."""
