"""grafanalib dashboards (`dashboards/**/*.dashboard.py`): run by the build, upgraded from
grafanalib 0.7's Grafana 4 JSON to current Grafana JSON, flagged where the upgrade is not faithful,
and held to the same rules (folders, uids, checks) as the other dashboards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grafanalib.core as g
from click.testing import CliRunner
from grafanalib._gen import DashboardEncoder

from generator import checks
from generator.cli import main
from generator.dashboard_upgrade import Flag, upgrade
from generator.pipeline import BuildResult, build
from tests.conftest import GOLDEN, REPO, TEAM, WriteFiles, messages
from tests.dashboards.test_grafana_schema import problems

LEGACY_CASE = GOLDEN / "valid" / "grafanalib-legacy-rows-graphs-and-singlestats-are-upgraded"


def _json(dashboard: g.Dashboard) -> dict[str, Any]:
    """What grafanalib itself writes (its generate-dashboard command uses the same encoder)."""
    return dict(json.loads(json.dumps(dashboard.to_json_data(), cls=DashboardEncoder)))


def _upgraded(*panels: Any, **row: Any) -> tuple[dict[str, Any], list[Flag]]:
    return upgrade(_json(g.Dashboard(title="T", rows=[g.Row(panels=list(panels), **row)])), "prom-uid")


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [x for top in board["panels"] for x in (top, *top.get("panels", []))]


def _build(make_repo: WriteFiles, files: dict[str, str]) -> BuildResult:
    return build(make_repo({"alertmanager/teams.yaml": TEAM, **files}))


def test_the_repositorys_own_grafanalib_dashboard_is_upgraded_and_valid() -> None:
    result = build(REPO)
    assert result.ok, messages(result.diagnostics)
    board = json.loads(result.files["grafana/dashboards/platform/order-queue.json"])
    assert board["schemaVersion"] >= 41 and "rows" not in board
    assert [(p["type"], p["title"]) for p in board["panels"]] == [
        ("row", "Backlog"),
        ("timeseries", "Messages ready"),
        ("stat", "Backlog now"),
        ("row", "Consumers"),
        ("gauge", "Consumers"),
        ("timeseries", "Consumers per queue"),
    ]
    # span 8 of 12 -> 16 of 24 columns; the 250 px row -> 7 grid units of 38 px
    assert board["panels"][1]["gridPos"] == {"h": 7, "w": 16, "x": 0, "y": 1}
    assert board["panels"][2]["gridPos"] == {"h": 7, "w": 8, "x": 16, "y": 1}
    assert all(
        t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for p in board["panels"]
        for t in p.get("targets", [])
    )
    assert board["templating"]["list"][0]["name"] == "datasource"
    assert problems(board) == []


def test_the_golden_legacy_dashboard_converts_each_feature() -> None:
    board = json.loads(
        (LEGACY_CASE / "expected/grafana/dashboards/payments/checkout-legacy.json").read_text()
    )
    by_title = {p["title"]: p for p in _panels(board)}
    assert board["graphTooltip"] == 1  # sharedCrosshair
    requests = by_title["Requests by code"]
    custom = requests["fieldConfig"]["defaults"]["custom"]
    assert custom["stacking"]["mode"] == "normal" and custom["fillOpacity"] == 30
    assert (
        requests["fieldConfig"]["defaults"]["unit"] == "ops"
        and requests["fieldConfig"]["defaults"]["min"] == 0
    )
    assert requests["options"]["legend"] == {
        "showLegend": True,
        "displayMode": "table",
        "placement": "right",
        "calcs": ["mean", "max"],
    }
    assert requests["fieldConfig"]["overrides"][0]["matcher"] == {"id": "byName", "options": "500"}
    error_ratio = by_title["Error ratio"]
    assert error_ratio["type"] == "stat"
    assert (
        error_ratio["options"]["colorMode"] == "background" and error_ratio["options"]["graphMode"] == "area"
    )
    assert error_ratio["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]  # valueName current
    assert error_ratio["fieldConfig"]["defaults"]["thresholds"]["steps"] == [
        {"color": "green", "value": None},
        {"color": "orange", "value": 0.01},
        {"color": "red", "value": 0.05},
    ]
    latency_row = next(p for p in board["panels"] if p["title"] == "Latency")
    assert latency_row["collapsed"] is True and len(latency_row["panels"]) == 2
    p99 = by_title["p99 latency"]
    assert p99["fieldConfig"]["defaults"]["custom"]["scaleDistribution"] == {"type": "log", "log": 10}
    assert p99["fieldConfig"]["defaults"]["custom"]["spanNulls"] is True
    assert p99["options"]["tooltip"]["mode"] == "single"
    assert by_title["Availability"]["type"] == "gauge"
    assert by_title["Availability"]["fieldConfig"]["defaults"]["max"] == 1
    legacy_keys = {"span", "height", "isNew", "error", "renderer", "seriesOverrides", "aliasColors"}
    assert not any(legacy_keys & set(p) for p in _panels(board))
    assert not any(
        {"step", "intervalFactor", "metric", "query"} & set(t)
        for p in _panels(board)
        for t in p.get("targets", [])
    )
    assert sorted(p["id"] for p in _panels(board)) == list(range(1, 7))


def test_rows_without_titles_stack_without_row_panels_and_wrap_at_24_columns() -> None:
    graphs = [g.Graph(title=f"G{i}", targets=[g.Target(expr="up")], span=5) for i in range(3)]
    board, flags = _upgraded(*graphs, showTitle=False, height=g.Pixels(380))
    assert [p["type"] for p in board["panels"]] == ["timeseries"] * 3
    # 5 spans = 10 columns: two fit in 24, the third wraps; 380 px = 10 grid units.
    assert [p["gridPos"] for p in board["panels"]] == [
        {"x": 0, "y": 0, "w": 10, "h": 10},
        {"x": 10, "y": 0, "w": 10, "h": 10},
        {"x": 0, "y": 10, "w": 10, "h": 10},
    ]
    assert flags == []


def test_what_cannot_be_converted_is_flagged_with_its_panel() -> None:
    board, flags = _upgraded(
        g.Graph(
            title="Overrides",
            targets=[g.Target(expr="up")],
            seriesOverrides=[{"alias": "x"}],
            thresholds=[{"value": 1, "colorMode": "critical", "op": "gt"}],
        ),
        g.SingleStat(
            title="Mapped",
            targets=[g.Target(expr="up")],
            postfix=" rps",
            valueMaps=[{"op": "=", "text": "down", "value": "0"}],
            valueName="name",
        ),
        g.Graph(title="Elsewhere", dataSource="Loki", targets=[g.Target(expr="up")]),
    )
    found = {(f.panel, f.message.split(";")[0].split(":")[0]) for f in flags}
    assert ("Overrides", "1 graph series override(s) not converted") in found
    assert ("Overrides", "graph thresholds not converted") in found
    assert ("Mapped", "singlestat prefix/postfix not converted") in found
    assert ("Mapped", "singlestat value/range maps not converted") in found
    assert ("Mapped", "singlestat valueName 'name' has no reducer") in found
    assert any(f.panel == "Elsewhere" and "'Loki'" in f.message for f in flags)
    elsewhere = next(p for p in board["panels"] if p["title"] == "Elsewhere")
    assert elsewhere["datasource"] == {"uid": "Loki"}  # what Grafana's migrator does with an unknown name


def test_angular_panels_and_legacy_alerts_are_flagged_and_kept() -> None:
    data = _json(
        g.Dashboard(title="T", rows=[g.Row(panels=[g.Graph(title="A", targets=[g.Target(expr="up")])])])
    )
    data["rows"][0]["panels"].append({"type": "grafana-piechart-panel", "title": "Pie", "span": 4})
    data["rows"][0]["panels"][0]["alert"] = {"name": "old alert"}
    board, flags = upgrade(data, "prom-uid")
    assert any(f.panel == "Pie" and "core `piechart`" in f.message for f in flags)
    assert any(f.panel == "A" and "legacy panel alert" in f.message for f in flags)
    pie = next(p for p in board["panels"] if p["title"] == "Pie")
    assert pie["type"] == "grafana-piechart-panel" and pie["gridPos"]["w"] == 8
    assert "alert" not in board["panels"][0]


def test_modern_grafanalib_panels_keep_their_type_and_lose_broken_defaults() -> None:
    board, flags = _upgraded(
        g.TimeSeries(title="TS", targets=[g.Target(expr="up")], unit="s"),
        g.Stat(title="S", targets=[g.Target(expr="up")], dataSource=None),
    )
    ts, stat = board["panels"]
    assert ts["type"] == "timeseries" and ts["fieldConfig"]["defaults"]["unit"] == "s"
    assert stat["fieldConfig"]["defaults"]["thresholds"]["steps"] == [{"color": "green", "value": None}]
    assert stat["targets"][0]["refId"] == "A" and stat["targets"][0]["range"] is True
    assert problems(board) == [] and flags == []


def test_a_dashboard_with_a_datasource_variable_keeps_it_and_template_datasources_become_refs() -> None:
    data = _json(
        g.Dashboard(
            title="T",
            templating=g.Templating(
                list=[
                    g.Template(name="datasource", type="datasource", query="prometheus", default="prom-uid"),
                    g.Template(name="job", query="label_values(up, job)", dataSource="Prometheus"),
                ]
            ),
        )
    )
    board, _ = upgrade(data, "prom-uid")
    assert [v["name"] for v in board["templating"]["list"]] == ["datasource", "job"]
    assert board["templating"]["list"][1]["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_build_errors_point_at_the_users_line_and_write_nothing(
    make_repo: WriteFiles, tmp_path: Path
) -> None:
    repo = make_repo(
        {
            "alertmanager/teams.yaml": TEAM,
            "dashboards/syntax.dashboard.py": "from grafanalib.core import Dashboard\n\ndashboard = Dashboard(title='x'\n",
            "dashboards/none.dashboard.py": "import grafanalib.core\nboard = 1\n",
            "dashboards/wrong.dashboard.py": "dashboard = {'title': 'dict'}\n",
            "dashboards/exits.dashboard.py": "import sys\n\nsys.exit(3)\n",
            "dashboards/raises.dashboard.py": "def make():\n    raise RuntimeError('no data source')\n\n\ndashboard = make()\n",
        }
    )
    out = tmp_path / "generated"
    result = CliRunner().invoke(main, ["build", "--root", str(repo), "--out", str(out)])
    assert result.exit_code == 1 and not out.exists()
    found = {d.location.file: (d.location.line, d.message) for d in build(repo).diagnostics}
    assert (
        found["dashboards/syntax.dashboard.py"][0] == 3
        and "SyntaxError" in found["dashboards/syntax.dashboard.py"][1]
    )
    assert "defines no `dashboard` variable" in found["dashboards/none.dashboard.py"][1]
    assert "is a dict, not a grafanalib.core.Dashboard" in found["dashboards/wrong.dashboard.py"][1]
    assert found["dashboards/exits.dashboard.py"] == (
        3,
        "dashboards/exits.dashboard.py failed: the file called exit(3)",
    )
    # The deepest line of the user's file: inside make(), not the call at line 5.
    assert found["dashboards/raises.dashboard.py"] == (
        2,
        "dashboards/raises.dashboard.py failed: RuntimeError: no data source",
    )


def test_uids_may_not_collide_with_hand_written_or_generated_dashboards(make_repo: WriteFiles) -> None:
    result = _build(
        make_repo,
        {
            "rules/svc.yaml": "kind: Service\nname: checkout\nteam: payments\n",
            "dashboards/funnel.yaml": "kind: Dashboard\ntitle: Funnel\n",
            "dashboards/a.dashboard.py": "from grafanalib.core import Dashboard\n\ndashboard = Dashboard(\n    title='Funnel')\n",
            "dashboards/b.dashboard.py": "from grafanalib.core import Dashboard\n\ndashboard = Dashboard(title='B', uid='svc-checkout')\n",
        },
    )
    assert not result.ok
    found = {(d.location.file, d.location.line): d.message for d in result.diagnostics}
    assert "already used at dashboards/funnel.yaml" in found[("dashboards/a.dashboard.py", 4)]
    assert "the uid of a generated dashboard" in found[("dashboards/b.dashboard.py", 3)]


def test_checks_lint_grafanalib_dashboards_at_the_panels_line(make_repo: WriteFiles) -> None:
    source = (
        "from grafanalib.core import Dashboard, Graph, Row, Target\n"
        "\n"
        "dashboard = Dashboard(title='Lint', rows=[Row(panels=[\n"
        "    Graph(title='Fixed window', targets=[Target(expr='rate(http_requests_total[5m])')],\n"
        "          seriesOverrides=[{'alias': 'a'}]),\n"
        "])])\n"
    )
    result = _build(
        make_repo,
        {
            "rules/svc.yaml": "kind: Service\nname: checkout\nteam: payments\nmetrics: {r: {counter: http_requests_total}}\n",
            "dashboards/payments/lint.dashboard.py": source,
        },
    )
    assert result.ok and result.model is not None, messages(result.diagnostics)
    assert "grafana/dashboards/payments/lint.json" in result.files
    by_check = {
        f.code: f
        for f in checks.run(result.model)
        if f.location.file == "dashboards/payments/lint.dashboard.py"
    }
    assert by_check["dashboards/rate-interval"].location.line == 4
    assert by_check["dashboards/legacy"].location.line == 4
    assert "series override" in by_check["dashboards/legacy"].message


def test_no_grafanalib_files_means_no_child_process_and_no_extra_inputs(make_repo: WriteFiles) -> None:
    result = _build(make_repo, {"rules/svc.yaml": "kind: Service\nname: checkout\nteam: payments\n"})
    assert result.ok and not any("grafanalib" in i for i in result.inputs)
    with_file = _build(
        make_repo,
        {
            "dashboards/x.dashboard.py": "from grafanalib.core import Dashboard\n\ndashboard = Dashboard(title='X')\n"
        },
    )
    assert any(i.endswith("grafanalib/core.py") for i in with_file.inputs)  # so the cache sees an upgrade


def test_the_runner_in_process_reports_dashboards_and_errors(tmp_path: Path, capsys: Any) -> None:
    """The child's protocol: one JSON object on stdout, the user's prints on stderr."""
    from generator import grafanalib_runner

    good = tmp_path / "good.dashboard.py"
    good.write_text(
        "from grafanalib.core import Dashboard\nprint('hello')\ndashboard = Dashboard(title='G', uid='g')\n"
    )
    bad = tmp_path / "bad.dashboard.py"
    bad.write_text("x = 1\n\nraise ValueError('a' * 1000)\n")
    assert grafanalib_runner.main([str(good), str(bad)]) == 0
    captured = capsys.readouterr()
    output = json.loads(captured.out)
    assert "hello" in captured.err and output["grafanalib"]["version"].startswith("0.7")
    first, second = output["results"]
    assert first["dashboard"]["uid"] == "g" and first["dashboard"]["schemaVersion"] == 12
    assert (
        second["line"] == 3
        and second["error"].startswith("ValueError: aaa")
        and second["error"].endswith("...")
    )
    assert len(second["error"]) < 320
