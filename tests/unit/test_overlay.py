"""Environment overlays: merge rules, and positions that point into the overlay file."""

from __future__ import annotations

import pytest

from generator.pipeline import UnknownEnvironment, build, parse
from generator.source import locate
from tests.conftest import TEAM, WriteFiles, messages, rules_by_name

BASE = {
    "alertmanager/teams.yaml": TEAM,
    "rules/checkout.yaml": """
        kind: Service
        name: checkout
        team: payments
        labels: {tier_name: gold, region: eu}
        scrape: {targets: ["checkout:8080"]}
        metrics:
          requests: {counter: http_requests_total}
        alerts:
          - {name: Quiet, severity: warning, metric: requests, op: "<", value: 1}
          - {name: Loud, severity: warning, metric: requests, op: ">", value: 1000}
        """,
}
PROD = """
    kind: Overlay
    environment: prod
    patches:
      - target: Service/checkout
        patch:
          labels: {region: null, stage: prod}
          scrape: {targets: ["a:8080", "b:8080"]}
          alerts:
            - {name: Quiet, value: 5, severity: critical}
            - {name: Extra, severity: info, expr: up == 0}
    """


def test_an_overlay_merges_by_key_by_alert_name_and_removes_with_null(make_repo: WriteFiles) -> None:
    root = make_repo({**BASE, "prometheus/environments/prod.yaml": PROD})
    result = build(root, "prod")
    assert result.ok, messages(result.diagnostics)
    rules = rules_by_name(result.files, "prometheus/rules/payments/checkout.yml")
    assert rules["Quiet"]["expr"].endswith("< 5")
    assert rules["Quiet"]["labels"]["severity"] == "critical"
    assert rules["Loud"]["expr"].endswith("> 1000")  # untouched alerts stay
    assert rules["Extra"]["expr"] == "up == 0"  # new names are appended
    assert rules["Quiet"]["labels"]["stage"] == "prod"
    assert "region" not in rules["Quiet"]["labels"]  # null removes a key
    assert rules["Quiet"]["labels"]["tier_name"] == "gold"
    config = result.files["prometheus/prometheus.yml"].decode()
    assert "- a:8080\n" in config and "checkout:8080" not in config
    assert "# Environment: prod" in config


def test_the_default_build_ignores_overlays(make_repo: WriteFiles) -> None:
    root = make_repo({**BASE, "prometheus/environments/prod.yaml": PROD})
    result = build(root)
    assert result.ok
    rules = rules_by_name(result.files, "prometheus/rules/payments/checkout.yml")
    assert rules["Quiet"]["expr"].endswith("< 1") and "Extra" not in rules


def test_patched_values_keep_the_overlay_files_position(make_repo: WriteFiles) -> None:
    root = make_repo({**BASE, "prometheus/environments/prod.yaml": PROD})
    documents, problems, _ = parse(root, "prod")
    assert problems == []
    service = next(d for d in documents if d.kind == "Service")
    assert locate(service.raw.data, ["alerts", 0, "value"]).file == "prometheus/environments/prod.yaml"
    assert locate(service.raw.data, ["alerts", 1, "value"]).file == "rules/checkout.yaml"


def test_an_invalid_patched_value_is_reported_in_the_overlay(make_repo: WriteFiles) -> None:
    broken = PROD.replace("value: 5", "value: five")
    result = build(make_repo({**BASE, "prometheus/environments/prod.yaml": broken}), "prod")
    assert messages(result.diagnostics) == [
        'prometheus/environments/prod.yaml:9:32: alerts[0].value: expected a number, got "five"'
    ]
    (problem,) = result.diagnostics
    assert problem.hint == "this value belongs to Service/checkout (rules/checkout.yaml)"


def test_a_patch_of_a_missing_definition_is_reported(make_repo: WriteFiles) -> None:
    broken = PROD.replace("Service/checkout", "Service/chekout")
    result = build(make_repo({**BASE, "prometheus/environments/prod.yaml": broken}), "prod")
    assert messages(result.diagnostics) == [
        "prometheus/environments/prod.yaml:4:13: patches[0].target: overlay for 'prod' patches "
        "'Service/chekout', which no definition declares"
    ]


def test_an_unknown_environment_is_a_usage_error_listing_the_known_ones(make_repo: WriteFiles) -> None:
    root = make_repo({**BASE, "prometheus/environments/prod.yaml": PROD})
    with pytest.raises(UnknownEnvironment) as error:
        build(root, "staging")
    assert str(error.value) == "unknown environment 'staging'; known environments: prod"
