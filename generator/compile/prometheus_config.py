"""prometheus.yml (https://prometheus.io/docs/prometheus/latest/configuration/configuration/).

Only fields Prometheus 2.42 knows are emitted, so the file loads in Debian bookworm's Prometheus
and in current releases alike.
"""

from __future__ import annotations

from typing import Any

from generator import conventions as names
from generator.compile import Artifact
from generator.model import HTTPClient, Model, ScrapeJob


def _http(client: HTTPClient) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if client.basic_auth is not None:
        out["basic_auth"] = {
            "username": client.basic_auth.username,
            "password_file": client.basic_auth.password_file,
        }
    if client.authorization is not None:
        out["authorization"] = {
            "type": client.authorization.type,
            "credentials_file": client.authorization.credentials_file,
        }
    if client.tls is not None:
        tls: dict[str, Any] = {
            k: v
            for k, v in (
                ("ca_file", client.tls.ca_file),
                ("cert_file", client.tls.cert_file),
                ("key_file", client.tls.key_file),
                ("server_name", client.tls.server_name),
            )
            if v is not None
        }
        if client.tls.insecure_skip_verify:
            tls["insecure_skip_verify"] = True
        out["tls_config"] = tls
    return out


def _scrape(job: ScrapeJob, model: Model) -> dict[str, Any]:
    out: dict[str, Any] = {"job_name": job.job_name}
    if job.interval != model.prometheus.scrape_interval:
        out["scrape_interval"] = str(job.interval)
    if job.timeout != model.prometheus.scrape_timeout:
        out["scrape_timeout"] = str(job.timeout)
    if job.metrics_path != "/metrics":
        out["metrics_path"] = job.metrics_path
    if job.scheme != "http":
        out["scheme"] = job.scheme
    if job.params:
        out["params"] = {k: list(v) for k, v in job.params}
    if job.honor_labels:
        out["honor_labels"] = True
    out.update(_http(job.http))
    target_group: dict[str, Any] = {"targets": list(job.targets)}
    if job.labels:
        target_group["labels"] = dict(job.labels)
    out["static_configs"] = [target_group]
    return out


def compile_config(model: Model) -> Artifact:
    server = model.prometheus
    global_: dict[str, Any] = {
        "scrape_interval": str(server.scrape_interval),
        "scrape_timeout": str(server.scrape_timeout),
        "evaluation_interval": str(server.evaluation_interval),
    }
    if server.external_labels:
        global_["external_labels"] = dict(server.external_labels)
    config: dict[str, Any] = {"global": global_}
    if server.alertmanagers:
        managers = []
        for target in server.alertmanagers:
            manager: dict[str, Any] = {"api_version": "v2"}
            if target.scheme != "http":
                manager["scheme"] = target.scheme
            if target.path_prefix:
                manager["path_prefix"] = target.path_prefix
            if target.timeout is not None:
                manager["timeout"] = str(target.timeout)
            manager.update(_http(target.http))
            manager["static_configs"] = [{"targets": list(target.targets)}]
            managers.append(manager)
        config["alerting"] = {"alertmanagers": managers}
    teams = sorted({group.team for group in model.rule_groups})
    config["rule_files"] = [names.rule_files_pattern(team) for team in teams]
    config["scrape_configs"] = [_scrape(job, model) for job in model.scrape_jobs]
    if server.remote_write:
        writes = []
        for rw in server.remote_write:
            entry: dict[str, Any] = {"url": rw.url}
            if rw.name:
                entry["name"] = rw.name
            if rw.headers:
                entry["headers"] = dict(rw.headers)
            entry.update(_http(rw.http))
            writes.append(entry)
        config["remote_write"] = writes
    sources = sorted({server.source, *(job.source for job in model.scrape_jobs)} - {""})
    return Artifact(names.PROMETHEUS_CONFIG_FILE, config, tuple(sources))
