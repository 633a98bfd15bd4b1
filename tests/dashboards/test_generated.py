"""What the generated dashboards contain, and that alerts link to the panel showing them."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from generator import panels as p
from generator.pipeline import build
from tests.conftest import REPO, rules_by_name


def _repo() -> tuple[dict[str, bytes], dict[str, dict[str, Any]]]:
    result = build(REPO)
    assert result.ok
    boards = {
        json.loads(c)["uid"]: json.loads(c)
        for path, c in result.files.items()
        if path.startswith("grafana/dashboards/")
    }
    return result.files, boards


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [x for top in board["panels"] for x in (top, *top.get("panels", [])) if x["type"] != "row"]


def test_one_dashboard_per_service_slo_host_job_group_team_and_an_executive_overview() -> None:
    files, boards = _repo()
    assert sorted(boards) == sorted(
        [
            "svc-checkout",
            "svc-shop-kpis",
            "svc-orders-db",
            "svc-session-cache",
            "svc-order-queue",
            "slo-checkout-availability",
            "slo-checkout-latency",
            "hosts-node",
            "group-hosts",
            "team-payments",
            "team-platform",
            "overview-executive",
            "checkout-deep-dive",
            "order-queue",  # dashboards/platform/order-queue.dashboard.py, grafanalib
            "group-business-kpis",  # the KPIQueryFailing alert of kind: BusinessKPIs
        ]
    )
    folders = {path.split("/")[2] for path in files if path.startswith("grafana/dashboards/")}
    assert folders == {"payments", "platform", "overview"}


def test_modern_json_with_the_datasource_variable_and_rate_interval() -> None:
    _, boards = _repo()
    for board in boards.values():
        assert board["schemaVersion"] >= 41
        assert board["templating"]["list"][0]["type"] == "datasource"
        for panel in _panels(board):
            if panel["type"] != "text":
                assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    checkout = boards["svc-checkout"]
    traffic = [
        t["expr"] for panel in _panels(checkout) if panel["id"] < 100 for t in panel.get("targets", [])
    ]
    assert all("[$__rate_interval]" in expr for expr in traffic if "rate(" in expr)
    assert any('instance=~"$instance"' in expr for expr in traffic)


def test_every_service_alert_links_to_the_panel_that_shows_it() -> None:
    files, boards = _repo()
    for path in (
        "prometheus/rules/payments/checkout.yml",
        "prometheus/rules/platform/orders-db.yml",
        "prometheus/rules/platform/hosts.yml",
    ):
        for name, rule in rules_by_name(files, path).items():
            if "alert" not in rule or rule["labels"].get("tier"):
                continue
            link = rule["annotations"]["dashboard"]
            found = re.fullmatch(r"http://localhost:3000/d/([\w-]+)\?viewPanel=(\d+)", link)
            assert found, link
            panel = next(x for x in _panels(boards[found.group(1)]) if x["id"] == int(found.group(2)))
            assert panel["title"].startswith(name)


def test_alert_panels_plot_the_condition_with_its_threshold() -> None:
    _, boards = _repo()
    panel = next(
        x for x in _panels(boards["svc-checkout"]) if x["title"].startswith("CheckoutHighErrorRatio")
    )
    assert panel["targets"][0]["expr"] == 'service:errors_per_requests:ratio_rate5m{service="checkout"}'
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "green", "value": None},
        {"color": "red", "value": 0.05},
    ]
    assert panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "dashed"}
    drop = next(x for x in _panels(boards["svc-checkout"]) if x["title"].startswith("CheckoutTrafficDrop"))
    assert [t["legendFormat"] for t in drop["targets"]] == ["value", "bound"]


def test_slo_dashboards_show_compliance_budget_and_burn_rates_over_the_period() -> None:
    files, boards = _repo()
    board = boards["slo-checkout-availability"]
    assert board["time"]["from"] == "now-30d"
    titles = [x["title"] for x in _panels(board)]
    assert titles[:4] == ["Objective", "Compliance over 30d", "Error budget left", "Burn rate now"]
    burn = next(x for x in _panels(board) if x["id"] == 10)
    assert [t["legendFormat"] for t in burn["targets"]] == ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    groups = yaml.safe_load(files["prometheus/rules/payments/checkout.yml"])["groups"]
    burn_alert = next(
        r
        for g in groups
        for r in g["rules"]
        if r.get("alert") == "SLOErrorBudgetBurn" and r["labels"]["slo"] == "availability"
    )
    assert burn_alert["annotations"]["dashboard"].endswith("/d/slo-checkout-availability?viewPanel=10")


def test_the_executive_overview_shows_slo_compliance_and_business_kpis() -> None:
    _, boards = _repo()
    board = boards["overview-executive"]
    rows = [x["title"] for x in board["panels"] if x["type"] == "row"]
    assert rows == ["SLO compliance", "Business KPIs"]
    kpis = [x["title"] for x in _panels(board) if "(24h)" in x["title"]]
    assert kpis == ["Sign-ups (24h)", "Revenue (eur) (24h)", "Orders (24h)", "Started checkouts (24h)"]
    assert {link["url"].rsplit("/", 1)[1] for link in board["links"]} == {"team-payments", "team-platform"}


def test_provisioning_points_grafana_at_prometheus_and_the_team_folders() -> None:
    files, _ = _repo()
    datasource = yaml.safe_load(files["grafana/provisioning/datasources/prometheus.yml"])["datasources"][0]
    assert datasource["uid"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    assert datasource["jsonData"]["timeInterval"] == "15s"
    provider = yaml.safe_load(files["grafana/provisioning/dashboards/monitoring-as-code.yml"])["providers"][0]
    assert provider["options"] == {"path": "/var/lib/grafana/dashboards", "foldersFromFilesStructure": True}


def test_layout_wraps_at_24_columns_and_rows_take_their_own_line() -> None:
    placed = p.layout(
        [
            p.stat("a", [p.Query("up")], width=12),
            p.stat("b", [p.Query("up")], width=12),
            p.stat("c", [p.Query("up")], width=8, height=5),
            p.Row("r", [p.stat("d", [p.Query("up")], width=24, panel_id=101)]),
            p.Row("hidden", [p.stat("e", [p.Query("up")])], collapsed=True),
        ]
    )
    positions = {x["title"]: (x["id"], x["gridPos"]) for x in placed}
    assert positions["a"] == (1, {"h": 4, "w": 12, "x": 0, "y": 0})
    assert positions["b"] == (2, {"h": 4, "w": 12, "x": 12, "y": 0})
    assert positions["c"] == (3, {"h": 5, "w": 8, "x": 0, "y": 4})
    assert positions["r"][1] == {"h": 1, "w": 24, "x": 0, "y": 9}
    assert positions["d"] == (101, {"h": 4, "w": 24, "x": 0, "y": 10})
    hidden = next(x for x in placed if x["title"] == "hidden")
    assert hidden["collapsed"] and [x["title"] for x in hidden["panels"]] == ["e"]
    assert len({x["id"] for x in placed} | {x["id"] for x in hidden["panels"]}) == 7  # 5 panels, 2 rows
