"""SLOs: the workbook's windows, exact numbers, shared SLI recordings, and mistakes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from generator.durations import parse_duration
from generator.pipeline import BuildResult, build
from generator.resolve_slos import exact_ratio
from generator.slo_windows import burn_windows, detection_time_ms
from tests.conftest import TEAM, WriteFiles, messages, rules_by_name

SERVICE = """
kind: Service
name: checkout
team: payments
metrics:
  requests: {counter: http_requests_total}
  errors: {counter: 'http_requests_total{code=~"5.."}'}
  latency: {histogram: http_request_duration_seconds}
  inflight: {gauge: http_in_flight}
slos:
"""
RULES = "prometheus/rules/payments/checkout.yml"


def _build(make_repo: WriteFiles, slos: str) -> BuildResult:
    return build(make_repo({"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": SERVICE + slos}))


def _groups(result: BuildResult) -> dict[str, list[dict[str, Any]]]:
    import yaml

    assert result.ok, messages(result.diagnostics)
    return {g["name"]: g["rules"] for g in yaml.safe_load(result.files[RULES])["groups"]}


def test_the_workbook_table_for_thirty_days() -> None:
    windows = burn_windows(parse_duration("30d"))
    assert [(w.tier, str(w.long), str(w.short), str(w.burn_rate)) for w in windows] == [
        ("page", "1h", "5m", "14.4"),
        ("page", "6h", "30m", "6"),
        ("ticket", "1d", "2h", "3"),
        ("ticket", "3d", "6h", "1"),
    ]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (
            "28d",
            [
                ("56m", "5m", "14.4"),
                ("5h36m", "28m", "6"),
                ("22h24m", "1h52m", "3"),
                ("2d19h12m", "5h36m", "1"),
            ],
        ),
        (
            "7d",
            [("14m", "5m", "14.4"), ("1h24m", "7m", "6"), ("5h36m", "28m", "3"), ("16h48m", "1h24m", "1")],
        ),
    ],
    ids=["28-days-scale-the-windows", "7-days-keep-short-windows-at-five-minutes"],
)
def test_windows_scale_with_the_period_and_keep_the_budget_shares(
    period: str, expected: list[tuple[str, str, str]]
) -> None:
    assert [
        (str(w.long), str(w.short), str(w.burn_rate)) for w in burn_windows(parse_duration(period))
    ] == expected


def test_detection_time_of_a_total_outage_follows_the_workbook() -> None:
    fast = burn_windows(parse_duration("30d"))[0]
    assert detection_time_ms(fast, Decimal("0.001")) == 51_840  # 0.864 minutes


@pytest.mark.parametrize(
    ("percent", "ratio"), [(99.9, "0.999"), (99.95, "0.9995"), (99.0, "0.99"), (95, "0.95")]
)
def test_objectives_are_exact_decimals(percent: float, ratio: str) -> None:
    assert str(exact_ratio(percent)) == ratio


def test_rules_use_clean_numbers_and_recorded_windows(make_repo: WriteFiles) -> None:
    rules = _groups(
        _build(
            make_repo,
            "  - {name: availability, objective: 99.9, sli: {events: {errors: errors, total: requests}}}\n",
        )
    )["checkout-slos"]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        by_name.setdefault(rule.get("record") or rule["alert"], []).append(rule)
    windows = sorted(
        name.rsplit("rate", 1)[1] for name in by_name if name.startswith("slo:sli_error:ratio_rate")
    )
    assert windows == sorted(["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"])
    assert by_name["slo:objective:ratio"][0]["expr"] == "vector(0.999)"
    assert by_name["slo:error_budget:ratio"][0]["expr"] == "vector(0.001)"
    thresholds = [r["expr"].split(" > ")[1].split("\n")[0] for r in by_name["SLOErrorBudgetBurn"]]
    assert thresholds == ["0.0144", "0.006", "0.003", "0.001"]
    # Short windows read the raw counters; long ones average the recorded 5m rates.
    assert by_name["slo:sli_errors:rate1h"][0]["expr"].startswith(
        'sum(rate(http_requests_total{code=~"5..", job="checkout"}[1h]))'
    )
    assert by_name["slo:sli_errors:rate30d"][0]["expr"] == (
        'avg_over_time(slo:sli_errors:rate5m{service="checkout", sli="availability"}[30d])'
    )
    assert "or\n0 * " in by_name["slo:sli_error:ratio_rate30d"][0]["expr"]
    severities = [(r["labels"]["tier"], r["labels"]["severity"]) for r in by_name["SLOErrorBudgetBurn"]]
    assert severities == [
        ("page", "critical"),
        ("page", "critical"),
        ("ticket", "warning"),
        ("ticket", "warning"),
    ]


def test_slos_on_the_same_sli_share_its_recordings(make_repo: WriteFiles) -> None:
    rules = _groups(
        _build(
            make_repo,
            """
  - {name: availability, objective: 99.9, sli: {events: {errors: errors, total: requests}}}
  - {name: availability-relaxed, objective: 99.5, period: 7d, sli: {events: {errors: errors, total: requests}}}
""",
        )
    )["checkout-slos"]
    records = [r for r in rules if r.get("record", "").startswith("slo:sli_")]
    assert {r["labels"]["sli"] for r in records} == {"availability"}
    assert len({(r["record"]) for r in records}) == len(records)  # nothing recorded twice
    relaxed = [r for r in rules if r.get("alert") and r["labels"]["slo"] == "availability-relaxed"]
    assert 'sli="availability"' in relaxed[0]["expr"] and "> 0.072" in relaxed[0]["expr"]  # 14.4 x 0.005


def test_latency_good_events_and_grouping(make_repo: WriteFiles) -> None:
    rules = _groups(
        _build(
            make_repo,
            """
  - {name: fast, objective: 99, by: [route], sli: {latency: {histogram: latency, threshold: 0.25}}}
  - {name: ok, objective: 99, sli: {events: {good: 'http_requests_total{code!~"5.."}', total: requests}}}
""",
        )
    )["checkout-slos"]
    errors = {r["labels"]["sli"]: r["expr"] for r in rules if r.get("record") == "slo:sli_errors:rate5m"}
    # The errors are the recorded total (read from the raw counters once, by the rule before)
    # minus the good events, grouped by the SLI's labels on both sides so they match.
    assert errors["fast"].startswith(
        'clamp_min(\n  sum by (route) (slo:sli_total:rate5m{service="checkout", sli="fast"})'
    )
    totals = {r["labels"]["sli"]: r["expr"] for r in rules if r.get("record") == "slo:sli_total:rate5m"}
    assert totals["fast"] == 'sum by (route) (rate(http_request_duration_seconds_count{job="checkout"}[5m]))'
    order = [r.get("record") for r in rules if r["labels"].get("sli") == "fast"]
    assert order.index("slo:sli_total:rate5m") < order.index("slo:sli_errors:rate5m")
    assert 'http_request_duration_seconds_bucket{job="checkout", le="0.25"}' in errors["fast"]
    # A selector written out (not a shortcut) is used exactly as written: no service matchers added.
    assert 'rate(http_requests_total{code!~"5.."}[5m])' in errors["ok"]
    burn = next(r for r in rules if r.get("alert") and r["labels"]["slo"] == "fast")
    assert burn["annotations"]["summary"].startswith("checkout {{ $labels.route }}: the fast SLO (99%)")


def test_raw_slis_substitute_the_window(make_repo: WriteFiles) -> None:
    rules = _groups(
        _build(
            make_repo,
            """
  - name: raw
    objective: 99.5
    sli: {raw: {error_ratio: 'sum(rate(errors_total[{{.window}}])) / sum(rate(requests_total[{{ .window }}]))'}}
""",
        )
    )["checkout-slos"]
    ratios = {r["record"]: r["expr"] for r in rules if r.get("record", "").startswith("slo:sli_error:ratio")}
    assert (
        ratios["slo:sli_error:ratio_rate1h"] == "sum(rate(errors_total[1h])) / sum(rate(requests_total[1h]))"
    )
    assert (
        ratios["slo:sli_error:ratio_rate1d"]
        == 'avg_over_time(slo:sli_error:ratio_rate5m{service="checkout", sli="raw"}[1d])'
    )
    no_data = next(r for r in rules if r.get("alert") == "SLONoData")
    assert no_data["expr"] == 'absent(slo:sli_error:ratio_rate5m{service="checkout", sli="raw"})'


def test_tiers_can_be_renamed_disabled_and_delayed(make_repo: WriteFiles) -> None:
    rules = _groups(
        _build(
            make_repo,
            """
  - name: availability
    objective: 99.9
    sli: {events: {errors: errors, total: requests}}
    labels: {product: shop}
    alerting:
      page: {severity: warning, for: 2m, labels: {escalate: "yes"}}
      ticket: {enabled: false}
      no_data: {enabled: false}
""",
        )
    )["checkout-slos"]
    alerts = [r for r in rules if r.get("alert")]
    assert [a["labels"]["tier"] for a in alerts] == ["page", "page"]
    assert all(
        a["labels"]["severity"] == "warning"
        and a["for"] == "2m"
        and a["labels"]["escalate"] == "yes"
        and a["labels"]["product"] == "shop"
        for a in alerts
    )


@pytest.mark.parametrize(
    ("slo", "expected"),
    [
        (
            "  - {name: a, objective: 99.9, sli: {events: {errors: inflight, total: requests}}}\n",
            "rules/checkout.yaml:10:55: slos[0].sli.events.errors: invalid SLI: `errors` must be a counter, 'inflight' is a gauge",
        ),
        (
            "  - {name: a, objective: 99.9, sli: {events: {errors: erors, total: requests}}}\n",
            "rules/checkout.yaml:10:55: slos[0].sli.events.errors: invalid SLI: 'erors' is not a metric shortcut of checkout; "
            "did you mean 'errors'?",
        ),
        (
            "  - {name: a, objective: 99.9, period: 12h, sli: {events: {errors: errors, total: requests}}}\n",
            "rules/checkout.yaml:10:40: slos[0].period: an SLO period of 12h is too short to budget errors over",
        ),
        (
            "  - {name: a, objective: 99.9, sli: {raw: {error_ratio: 'errors_ratio'}}}\n",
            "rules/checkout.yaml:10:57: slos[0].sli.raw.error_ratio: invalid SLI: a raw SLI must use {{.window}} where the window goes, "
            "such as rate(x[{{.window}}])",
        ),
        (
            "  - {name: a, objective: 99.9, sli: {events: {errors: errors, total: requests}}}\n"
            "  - {name: a, objective: 99, sli: {events: {errors: errors, total: requests}}}\n",
            "rules/checkout.yaml:11:12: slos[1].name: duplicate SLO 'a' in checkout",
        ),
        (
            "  - {name: a, objective: 100, sli: {events: {errors: errors, total: requests}}}\n",
            "rules/checkout.yaml:10:26: slos[0].objective: an objective must be below 100%, got 100",
        ),
        (
            "  - {name: a, objective: 99.9, sli: {events: {errors: errors, good: requests, total: requests}}}\n",
            "rules/checkout.yaml:10:46: slos[0].sli.events: give exactly one of `errors` or `good` beside `total`",
        ),
        (
            "  - {name: a, objective: 99.9, labels: {service: other}, sli: {events: {errors: errors, total: requests}}}\n",
            "rules/checkout.yaml:10:41: slos[0].labels.service: label 'service' is set by the generator",
        ),
    ],
    ids=[
        "errors-from-a-gauge",
        "typo-in-a-shortcut",
        "period-shorter-than-a-day",
        "raw-sli-without-window",
        "duplicate-slo-name",
        "objective-of-100-percent",
        "errors-and-good-together",
        "a-label-the-generator-sets",
    ],
)
def test_mistakes_in_slos(make_repo: WriteFiles, slo: str, expected: str) -> None:
    assert messages(_build(make_repo, slo).diagnostics) == [expected]


def test_slo_alerts_reach_the_rule_file_with_the_services_other_rules(make_repo: WriteFiles) -> None:
    result = _build(
        make_repo,
        "  - {name: availability, objective: 99.9, sli: {events: {errors: errors, total: requests}}}\n",
    )
    assert list(_groups(result)) == ["checkout-slos"]
    assert result.model is not None and [s.name for s in result.model.slos] == ["availability"]
    assert rules_by_name(result.files, RULES)["slo:metadata:info"]["labels"]["objective"] == "99.9"
