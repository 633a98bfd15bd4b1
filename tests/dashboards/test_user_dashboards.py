"""Dashboards written by hand: compiled with the same blocks, placed, and checked like the rest."""

from __future__ import annotations

import json
from typing import Any

from generator import checks
from generator.pipeline import BuildResult, build
from tests.conftest import REPO, TEAM, WriteFiles, messages
from tests.dashboards.test_grafana_schema import problems

BOARD = """
kind: Dashboard
title: Checkout Funnel
folder: payments
variables: [{name: job}, {name: instance}]
panels:
  - {title: Notes, type: text, content: hello, grid: {x: 0, y: 0, w: 24, h: 2}}
rows:
  - title: Traffic
    panels:
      - {title: Requests, expr: 'sum(rate(http_requests_total{job=~"$job"}[$__rate_interval]))', unit: reqps}
      - {title: Errors, type: stat, expr: 'sum(rate(http_requests_total{code=~"5.."}[$__rate_interval]))', unit: reqps,
         thresholds: [{color: green}, {value: 1, color: red}]}
"""


def _build(make_repo: WriteFiles, board: str) -> BuildResult:
    return build(
        make_repo(
            {
                "alertmanager/teams.yaml": TEAM,
                "dashboards/funnel.yaml": board,
                "rules/svc.yaml": "kind: Service\nname: checkout\nteam: payments\n"
                "metrics: {requests: {counter: http_requests_total}}\n",
            }
        )
    )


def _board(
    result: BuildResult, path: str = "grafana/dashboards/payments/checkout-funnel.json"
) -> dict[str, Any]:
    assert result.ok, messages(result.diagnostics)
    return dict(json.loads(result.files[path]))


def test_a_hand_written_dashboard_is_compiled_placed_and_valid(make_repo: WriteFiles) -> None:
    board = _board(_build(make_repo, BOARD))
    assert board["uid"] == "checkout-funnel"  # from the title
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "job", "instance"]
    assert board["templating"]["list"][2]["query"] == 'label_values(up{job=~"$job"}, instance)'
    notes = board["panels"][0]
    assert notes["type"] == "text" and notes["gridPos"] == {"h": 2, "w": 24, "x": 0, "y": 0}
    stat = next(p for p in board["panels"] if p["title"] == "Errors")
    assert stat["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "green", "value": None},
        {"color": "red", "value": 1.0},
    ]
    assert problems(board) == []


def test_the_repositorys_own_hand_written_dashboard_uses_every_panel_type() -> None:
    result = build(REPO)
    board = _board(result, "grafana/dashboards/payments/checkout-deep-dive.json")
    kinds = {p["type"] for top in board["panels"] for p in (top, *top.get("panels", []))}
    assert kinds == {"text", "row", "timeseries", "gauge", "stat", "heatmap", "bargauge", "table"}
    assert problems(board) == []


def _findings(result: BuildResult, check_id: str) -> list[str]:
    assert result.model is not None, messages(result.diagnostics)
    return [f"{d.location}: {d.message}" for d in checks.run(result.model) if d.code == check_id]


def test_lint_finds_fixed_rate_windows_unparsable_queries_unknown_metrics_and_duplicate_titles(
    make_repo: WriteFiles,
) -> None:
    bad = (
        BOARD.replace("[$__rate_interval]))', unit: reqps}", "[5m]))', unit: reqps}")
        .replace("title: Errors", "title: Requests")
        .replace('code=~"5.."', 'code=~"5..", job="x"}) + sum(nope_total{')
    )
    result = _build(make_repo, bad)
    assert _findings(result, "dashboards/rate-interval") == [
        "dashboards/funnel.yaml:10:17: dashboard 'checkout-funnel', panel 'Requests': a rate over a fixed window"
    ]
    assert _findings(result, "dashboards/titles") == [
        "dashboards/funnel.yaml:1:1: dashboard 'checkout-funnel': two panels are titled 'Requests'"
    ]
    targets = _findings(result, "dashboards/targets")
    assert len(targets) == 1 and "invalid PromQL" in targets[0]
    unknown = _build(
        make_repo, BOARD.replace("sum(rate(http_requests_total{code", "sum(rate(http_request_total{code")
    )
    assert _findings(unknown, "dashboards/unknown-metric") == [
        "dashboards/funnel.yaml:11:17: dashboard 'checkout-funnel', panel 'Errors' queries 'http_request_total', "
        "which no scrape job, shortcut or recording rule of the definitions produces"
    ]


def test_uid_collisions_are_reported(make_repo: WriteFiles) -> None:
    result = _build(make_repo, BOARD.replace("folder: payments", "folder: payments\nuid: svc-checkout"))
    assert messages(result.diagnostics) == [
        "dashboards/funnel.yaml:4:6: uid: dashboard uid 'svc-checkout' is the uid of a generated dashboard"
    ]
