"""The probe exporter's side of a service's health checks: its config, its scrape job, its alerts.

Pure functions from resolved checks to plain dicts (in the exporter's and Prometheus' own key
names). One health check yields a probe in `exporters/probe.yml`, its series through one scrape
job of the probe exporter (`/metrics` runs every probe, each series labelled `probe`), and two
alerts: the check failing for `down_for`, and (HTTPS) the certificate expiring within
`certificate_warning_days`.

Wired in by resolve.py (the Service's `health_checks`: a `<service>-health-checks` rule group
with these alerts and one scrape job of the probe exporter) and pipeline.compile_all (the config).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.compile import Artifact
from generator.durations import parse_duration
from generator.spec.exporters import BusinessKPIs, PushBridge
from generator.spec.health import HealthCheck

PROBE_CONFIG_FILE = "exporters/probe.yml"
PROBE_JOB = "health-checks"
# The probe exporter of docker-compose.yml (python -m exporters.probe --listen 0.0.0.0:9116);
# 9115 is the blackbox_exporter's registered port, 9116 keeps both runnable side by side.
PROBE_EXPORTER_ADDRESS = "probe-exporter:9116"
# Prometheus' scrape_timeout for the job; the exporter keeps half a second for rendering, as the
# blackbox_exporter's --timeout-offset does.
PROBE_SCRAPE_TIMEOUT_S = 10.0
PROBE_DEADLINE_MARGIN_S = 0.5
CERTIFICATE_FOR = "15m"


@dataclass(frozen=True)
class ResolvedHealthCheck:
    service: str
    team: str
    check: HealthCheck
    source: str  # the definition file

    @property
    def probe(self) -> str:
        return f"{self.service}-{self.check.name}"


def _seconds(text: str) -> float:
    return float(parse_duration(text).seconds)


def _probe(resolved: ResolvedHealthCheck) -> dict[str, Any]:
    check = resolved.check
    probe: dict[str, Any] = {"name": resolved.probe, "timeout": _seconds(check.timeout)}
    if check.http is not None:
        http = check.http.model_dump(exclude_defaults=True)
        http["url"] = check.http.url
        probe["http"] = http
    else:
        assert check.tcp is not None
        probe["tcp"] = {"address": check.tcp.address}
    return probe


def compile_probe_config(checks: list[ResolvedHealthCheck]) -> list[Artifact]:
    """`exporters/probe.yml`, when any service declares a health check."""
    if not checks:
        return []
    ordered = sorted(checks, key=lambda c: c.probe)
    content = {
        "scrape_timeout": PROBE_SCRAPE_TIMEOUT_S - PROBE_DEADLINE_MARGIN_S,
        "probes": [_probe(c) for c in ordered],
    }
    return [Artifact(PROBE_CONFIG_FILE, content, tuple(sorted({c.source for c in checks})))]


def probe_scrape_job() -> dict[str, Any]:
    """The scrape job of the probe exporter (one scrape runs every probe)."""
    return {
        "job_name": PROBE_JOB,
        "scrape_timeout": f"{PROBE_SCRAPE_TIMEOUT_S:g}s",
        "static_configs": [{"targets": [PROBE_EXPORTER_ADDRESS]}],
    }


def health_alert_rules(resolved: ResolvedHealthCheck) -> list[dict[str, Any]]:
    """The check's alerting rules, in Prometheus' rule-file vocabulary."""
    check = resolved.check
    selector = f'{{job="{PROBE_JOB}",probe="{resolved.probe}"}}'
    labels = {"service": resolved.service, "team": resolved.team}
    target = check.http.url if check.http else check.tcp.address if check.tcp else ""
    rules = [
        {
            "alert": "HealthCheckFailing",
            "expr": f"probe_success{selector} == 0",
            "for": check.down_for,
            "labels": {**labels, "severity": check.severity, "probe": resolved.probe},
            "annotations": {
                "summary": f"Health check {resolved.probe} of {resolved.service} is failing",
                "description": f"{target} has failed its health check for {check.down_for} or more.",
            },
        }
    ]
    if check.http is not None and check.http.url.startswith("https:"):
        days = check.certificate_warning_days
        rules.append(
            {
                "alert": "CertificateExpiringSoon",
                "expr": f"probe_ssl_earliest_cert_expiry{selector} - time() < {days} * 86400",
                "for": CERTIFICATE_FOR,
                "labels": {**labels, "severity": "warning", "probe": resolved.probe},
                "annotations": {
                    "summary": f"The certificate of {target} expires within {days} days",
                    "description": "It expires in {{ $value | humanizeDuration }}.",
                },
            }
        )
    return rules


# --- The SQL KPI exporter and the push bridge ------------------------------------------------------

SQL_CONFIG_FILE = "exporters/sql.yml"
SQL_JOB = "business-kpis"
SQL_EXPORTER_ADDRESS = "sql-exporter:9117"
PUSH_CONFIG_FILE = "exporters/push.yml"
PUSH_JOB = "push-bridge"
PUSH_BRIDGE_ADDRESS = "push-bridge:9091"


def compile_sql_config(kpis: BusinessKPIs | None, source: str) -> list[Artifact]:
    """`exporters/sql.yml` (exporters/sql/config.py reads it), when the definitions hold KPIs."""
    if kpis is None:
        return []
    content: dict[str, Any] = {"url": kpis.url} if kpis.url else {"url_file": kpis.url_file}
    content["queries"] = [
        {
            "name": query.name,
            "sql": query.sql,
            "interval": _seconds(query.interval),
            "timeout": _seconds(query.timeout),
            **({"labels": list(query.labels)} if query.labels else {}),
            "metrics": [metric.model_dump() for metric in query.metrics],
            **({"stale_after": _seconds(query.stale_after)} if query.stale_after else {}),
        }
        for query in kpis.queries
    ]
    return [Artifact(SQL_CONFIG_FILE, content, (source,))]


def compile_push_config(bridge: PushBridge | None, source: str) -> list[Artifact]:
    """`exporters/push.yml` (exporters/push/config.py reads it), when the definitions hold one."""
    if bridge is None:
        return []
    content: dict[str, Any] = {
        "token_file": bridge.token_file,
        "expire_after": _seconds(bridge.expire_after),
        "max_series": bridge.max_series,
        "metrics": {
            name: metric.model_dump(exclude_none=True) for name, metric in sorted(bridge.metrics.items())
        },
    }
    return [Artifact(PUSH_CONFIG_FILE, content, (source,))]


def kpi_alert_rules(kpis: BusinessKPIs) -> list[dict[str, Any]]:
    """A KPI that stops being computed is an outage of the numbers people steer by."""
    return [
        {
            "alert": "KPIQueryFailing",
            "expr": f'sql_query_success{{job="{SQL_JOB}"}} == 0',
            "for": kpis.failing_for,
            "labels": {"team": kpis.team, "severity": "warning"},
            "annotations": {
                "summary": "KPI query {{ $labels.query }} is failing",
                "description": (
                    f"The SQL KPI exporter has not computed {{{{ $labels.query }}}} for {kpis.failing_for}: "
                    "its metrics are stale and dropped; see sql_query_errors_total for why."
                ),
            },
        }
    ]
