"""Grafana provisioning files (https://grafana.com/docs/grafana/latest/administration/provisioning/):
the Prometheus data source with the fixed uid every panel refers to, and a dashboard provider that
turns the folders of `generated/grafana/dashboards/` (one per team) into Grafana folders."""

from __future__ import annotations

from generator import conventions as names
from generator.compile import Artifact
from generator.model import Model

# Where the docker-compose stack mounts generated/grafana/dashboards inside the Grafana container.
DASHBOARDS_PATH = "/var/lib/grafana/dashboards"


def compile_provisioning(model: Model) -> list[Artifact]:
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "type": "prometheus",
                "uid": model.settings.grafana_datasource_uid,
                "access": "proxy",
                "url": model.settings.grafana_datasource_url,
                "isDefault": True,
                "editable": False,
                "jsonData": {"httpMethod": "POST", "timeInterval": str(model.prometheus.scrape_interval)},
            }
        ],
    }
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "monitoring-as-code",
                "orgId": 1,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": True},
            }
        ],
    }
    sources = tuple(sorted({model.prometheus.source} - {""}))
    return [
        Artifact(f"{names.GRAFANA_PROVISIONING_DIR}/datasources/prometheus.yml", datasource, sources),
        Artifact(f"{names.GRAFANA_PROVISIONING_DIR}/dashboards/monitoring-as-code.yml", provider, ()),
    ]
