"""What the generator emits for health checks is what the probe exporter reads, and the generated
alerts fire when they should (promtool test rules on synthetic probe series)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from exporters.common.config import validate_config
from exporters.probe.config import ProbeConfig
from generator.compile.exporters import (
    PROBE_CONFIG_FILE,
    ResolvedHealthCheck,
    compile_probe_config,
    health_alert_rules,
    probe_scrape_job,
)
from generator.spec.health import HealthCheck
from tests.conftest import require_tool


def resolved(service: str, **check: Any) -> ResolvedHealthCheck:
    return ResolvedHealthCheck(service, "payments", HealthCheck.model_validate(check), "rules/x.yaml")


CHECKS = [
    resolved(
        "checkout",
        name="web",
        http={"url": "https://checkout.internal/health", "body_regex": "ok", "tls_expiry_days": 7},
        timeout="3s",
    ),
    resolved("orders-db", name="port", tcp={"address": "orders-db:5432"}, down_for="2m", severity="warning"),
]


def test_the_generated_probe_config_is_one_the_probe_exporter_accepts() -> None:
    (artifact,) = compile_probe_config(CHECKS)
    assert artifact.path == PROBE_CONFIG_FILE
    assert artifact.sources == ("rules/x.yaml",)
    config = validate_config(yaml.safe_load(yaml.safe_dump(artifact.content)), ProbeConfig)
    assert [(p.name, p.timeout, p.target) for p in config.probes] == [
        ("checkout-web", 3.0, "https://checkout.internal/health"),
        ("orders-db-port", 5.0, "orders-db:5432"),
    ]
    assert config.probes[0].http is not None and config.probes[0].http.tls_expiry_days == 7
    assert config.scrape_timeout < float(probe_scrape_job()["scrape_timeout"].rstrip("s"))
    assert compile_probe_config([]) == []


def test_a_check_has_exactly_one_kind() -> None:
    with pytest.raises(ValidationError, match="give exactly one of `http` or `tcp`"):
        HealthCheck.model_validate({"name": "x"})


def _promtool_test(tmp_path: Path, rules: list[dict[str, Any]], tests: list[dict[str, Any]]) -> str:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump({"groups": [{"name": "health", "rules": rules}]}))
    (tmp_path / "test.yml").write_text(yaml.safe_dump({"rule_files": ["rules.yml"], "tests": tests}))
    result = subprocess.run(
        [require_tool("promtool"), "test", "rules", str(tmp_path / "test.yml")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_down_alert_fires_after_down_for_and_not_before(tmp_path: Path) -> None:
    check = CHECKS[1]  # down_for 2m
    series = 'probe_success{job="health-checks",probe="orders-db-port"}'
    labels = {"alertname": "HealthCheckFailing", "job": "health-checks", "service": "orders-db",
              "team": "payments", "severity": "warning", "probe": "orders-db-port"}  # fmt: skip
    _promtool_test(
        tmp_path,
        health_alert_rules(check),
        [
            {
                "interval": "1m",
                "input_series": [{"series": series, "values": "1 1 0 0 0 0"}],
                "alert_rule_test": [
                    {"eval_time": "3m", "alertname": "HealthCheckFailing", "exp_alerts": []},
                    {
                        "eval_time": "4m",
                        "alertname": "HealthCheckFailing",
                        "exp_alerts": [
                            {
                                "exp_labels": labels,
                                "exp_annotations": {
                                    "summary": "Health check orders-db-port of orders-db is failing",
                                    "description": "orders-db:5432 has failed its health check for 2m or more.",
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    )


def test_the_certificate_alert_fires_within_the_warning_days_only(tmp_path: Path) -> None:
    rules = health_alert_rules(CHECKS[0])
    assert [rule["alert"] for rule in rules] == ["HealthCheckFailing", "CertificateExpiringSoon"]
    assert [rule["alert"] for rule in health_alert_rules(CHECKS[1])] == ["HealthCheckFailing"], "TCP: no cert"
    day = 86400
    _promtool_test(
        tmp_path,
        rules,
        [
            {
                "interval": "5m",
                "input_series": [
                    # Expiry as a Unix time: 10 days after the test's time 0, then renewed to 60 days.
                    {
                        "series": 'probe_ssl_earliest_cert_expiry{job="health-checks",probe="checkout-web"}',
                        "values": f"{10 * day}x6 {60 * day}x6",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "10m", "alertname": "CertificateExpiringSoon", "exp_alerts": []},
                    {
                        "eval_time": "20m",
                        "alertname": "CertificateExpiringSoon",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "alertname": "CertificateExpiringSoon",
                                    "job": "health-checks",
                                    "service": "checkout",
                                    "team": "payments",
                                    "severity": "warning",
                                    "probe": "checkout-web",
                                },
                                "exp_annotations": {
                                    "summary": "The certificate of https://checkout.internal/health expires within 14 days",
                                    "description": "It expires in 9d 23h 40m 0s.",
                                },
                            }
                        ],
                    },
                    {"eval_time": "60m", "alertname": "CertificateExpiringSoon", "exp_alerts": []},
                ],
            }
        ],
    )


def test_gen_build_wires_the_repositorys_health_checks_end_to_end() -> None:
    """`health_checks:` on a service: the probe exporter's config, one scrape job of the probe
    exporter, and the alerts in the service's rule file, with runbook and dashboard links."""
    from generator.pipeline import build
    from tests.conftest import REPO, generated_yaml, messages

    result = build(REPO)
    assert result.ok, messages(result.diagnostics)
    config = validate_config(generated_yaml(result.files, PROBE_CONFIG_FILE), ProbeConfig)
    assert [p.name for p in config.probes] == ["checkout-health", "checkout-public-site"]
    prometheus = generated_yaml(result.files, "prometheus/prometheus.yml")
    [job] = [j for j in prometheus["scrape_configs"] if j["job_name"] == probe_scrape_job()["job_name"]]
    assert job["static_configs"][0]["targets"] == probe_scrape_job()["static_configs"][0]["targets"]
    groups = {
        g["name"]: g for g in generated_yaml(result.files, "prometheus/rules/payments/checkout.yml")["groups"]
    }
    alerts = [
        (r["alert"], r["labels"]["probe"], r["labels"]["severity"])
        for r in groups["checkout-health-checks"]["rules"]
    ]
    assert alerts == [
        ("HealthCheckFailing", "checkout-health", "critical"),
        ("HealthCheckFailing", "checkout-public-site", "warning"),
        ("CertificateExpiringSoon", "checkout-public-site", "warning"),
    ]
    first = groups["checkout-health-checks"]["rules"][0]
    assert first["for"] == "2m" and first["annotations"]["runbook_url"].endswith(
        "/checkout/HealthCheckFailing"
    )


def test_a_check_name_used_twice_is_an_error(make_repo: Any) -> None:
    from generator.pipeline import build

    root = make_repo(
        {
            "alertmanager/teams.yaml": "kind: Team\nname: payments\n",
            "rules/web.yaml": """
            kind: Service
            name: web
            team: payments
            health_checks:
              - {name: up, tcp: {address: "web:80"}}
              - {name: up, tcp: {address: "web:443"}}
            """,
        }
    )
    result = build(root)
    assert not result.ok
    [problem] = [d for d in result.diagnostics if "declared twice" in d.message]
    assert problem.location.file == "rules/web.yaml" and problem.location.line == 6


def test_gen_build_writes_configs_the_sql_exporter_and_push_bridge_load() -> None:
    """`kind: BusinessKPIs` and `kind: PushBridge`: each exporter's config (judged by the exporter's
    own loader), a scrape job each, and the KPI alert in the owning team's rule file."""
    from exporters.push.config import PushConfig
    from exporters.sql.config import SqlConfig
    from generator.pipeline import build
    from tests.conftest import REPO, generated_yaml, messages

    result = build(REPO)
    assert result.ok, messages(result.diagnostics)
    sql = validate_config(generated_yaml(result.files, "exporters/sql.yml"), SqlConfig)
    assert sql.url is None and str(sql.url_file) == "/etc/exporters/secrets/shop-db-url"
    assert [(q.name, q.interval, q.timeout, q.labels) for q in sql.queries] == [
        ("signups", 60.0, 10.0, ("plan",)),
        ("revenue", 300.0, 30.0, ()),
    ]
    assert sql.queries[1].metrics[0].type == "counter"
    push = validate_config(generated_yaml(result.files, "exporters/push.yml"), PushConfig)
    assert push.expire_after == 900.0 and str(push.token_file) == "/etc/exporters/secrets/push-token"
    assert push.metrics["batch_job_duration_seconds"].buckets is not None
    jobs = {
        j["job_name"]: j for j in generated_yaml(result.files, "prometheus/prometheus.yml")["scrape_configs"]
    }
    assert jobs["business-kpis"]["static_configs"][0]["targets"] == ["sql-exporter:9117"]
    assert jobs["push-bridge"]["honor_labels"] is True  # pushed series keep their own job/instance
    [rule] = generated_yaml(result.files, "prometheus/rules/payments/business-kpis.yml")["groups"][0]["rules"]
    assert (
        rule["alert"] == "KPIQueryFailing" and rule["expr"] == 'sql_query_success{job="business-kpis"} == 0'
    )
    assert rule["for"] == "15m" and rule["labels"] == {"severity": "warning", "team": "payments"}
    # The alert opens the panel of the KPI dashboard that shows the queries' health.
    board = json.loads(result.files["grafana/dashboards/payments/group-business-kpis.json"])
    panels = {x["id"]: x for top in board["panels"] for x in (top, *top.get("panels", []))}
    panel_id = int(rule["annotations"]["dashboard"].rsplit("viewPanel=", 1)[1])
    assert panels[panel_id]["title"].startswith("KPIQueryFailing")
    assert {"business_signups_today", "business_revenue_eur_total"} <= {x["title"] for x in panels.values()}


def test_kpi_urls_with_a_password_and_a_second_definition_are_refused(make_repo: Any) -> None:
    from generator.pipeline import build

    root = make_repo(
        {
            "alertmanager/teams.yaml": "kind: Team\nname: payments\n",
            "rules/kpis.yaml": """
            kind: BusinessKPIs
            team: payments
            url: postgresql+psycopg://shop:hunter2@db/shop
            queries: [{name: n, sql: SELECT 1 AS v, metrics: [{name: one, column: v, help: one}]}]
            ---
            kind: BusinessKPIs
            team: payments
            url: sqlite:////data/kpi.db
            queries: [{name: n, sql: SELECT 1 AS v, metrics: [{name: one, column: v, help: one}]}]
            ---
            kind: BusinessKPIs
            team: payments
            url: sqlite:////data/other.db
            queries: [{name: n, sql: SELECT 1 AS v, metrics: [{name: one, column: v, help: one}]}]
            """,
        }
    )
    result = build(root)
    assert not result.ok
    text = "\n".join(d.message for d in result.diagnostics)
    assert "put the URL in a file and give `url_file`" in text or "password" in text, text
    assert any("BusinessKPIs" in d.message for d in result.diagnostics if d.location.line > 5), text
