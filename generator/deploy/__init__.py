"""`gen deploy`: apply generated/ to running servers.

Prometheus and Alertmanager read their files from generated/ (mounted in docker-compose.yml,
pointed at by `gen dev`), so applying them is a reload over HTTP whose outcome is checked.
Grafana dashboards go through Grafana's HTTP API, rule groups optionally to a Mimir/Cortex ruler.
Every target first computes its plan (a list of `Change`); a dry run prints it and stops.
"""
