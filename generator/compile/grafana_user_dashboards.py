"""Dashboards written by hand: `kind: Dashboard` definitions, compiled with the same building blocks
as the generated ones, and grafanalib files, upgraded to current Grafana JSON."""

from __future__ import annotations

from typing import Any

from generator import conventions as names
from generator import panels as p
from generator.compile import Artifact
from generator.dashboard_upgrade import Flag, upgrade
from generator.model import GrafanalibBoard, Model, UserDashboard
from generator.spec.dashboard import DashboardPanel, Variable

DEFAULT_QUERIES = {
    "job": "label_values(up, job)",
    "instance": 'label_values(up{job=~"$job"}, instance)',
    "service": "label_values(up, service)",
}


def _panel(spec: DashboardPanel) -> p.Panel:
    queries = [p.Query(q.expr, q.legend) for q in spec.queries]
    if spec.expr is not None:
        queries.insert(0, p.Query(spec.expr, spec.legend_format))
    steps = [(s.value, s.color) for s in spec.thresholds] or None
    size: dict[str, Any] = {"width": spec.width, "height": spec.height}
    if spec.type == "text":
        panel = p.text(spec.title, spec.content or "", **size)
    elif spec.type == "timeseries":
        panel = p.timeseries(
            spec.title,
            queries,
            unit=spec.unit,
            description=spec.description,
            decimals=spec.decimals,
            minimum=spec.min,
            maximum=spec.max,
            steps=steps,
            threshold_line=bool(spec.thresholds),
            stacked=spec.stacked,
            legend=spec.legend.mode,
            placement=spec.legend.placement,
            calcs=spec.legend.calcs,
            **size,
        )
    elif spec.type == "stat":
        panel = p.stat(
            spec.title,
            queries,
            unit=spec.unit,
            description=spec.description,
            decimals=spec.decimals,
            steps=steps,
            **size,
        )
    elif spec.type == "gauge":
        panel = p.gauge(
            spec.title,
            queries,
            unit=spec.unit,
            description=spec.description,
            decimals=spec.decimals,
            minimum=spec.min,
            maximum=spec.max,
            steps=steps,
            **size,
        )
    elif spec.type == "bargauge":
        panel = p.bargauge(
            spec.title,
            queries,
            unit=spec.unit,
            description=spec.description,
            decimals=spec.decimals,
            minimum=spec.min,
            maximum=spec.max,
            steps=steps,
            **size,
        )
    elif spec.type == "table":
        panel = p.table(spec.title, queries, unit=spec.unit, description=spec.description, **size)
    else:
        panel = p.heatmap(spec.title, queries, unit=spec.unit, description=spec.description, **size)
    return panel


def _variable(spec: Variable) -> dict[str, Any]:
    query = spec.query or DEFAULT_QUERIES.get(spec.name, f"label_values({spec.name})")
    return p.query_variable(
        spec.name, query, label=spec.label, include_all=spec.include_all, multi=spec.multi
    )


def user_dashboard(model: Model, board: UserDashboard) -> dict[str, Any]:
    spec = board.spec
    items: list[p.Panel | p.Row] = [_panel(panel) for panel in spec.panels]
    items += [p.Row(row.title, [_panel(panel) for panel in row.panels], row.collapsed) for row in spec.rows]
    out = p.dashboard(
        board.uid,
        spec.title,
        items,
        tags=spec.tags,
        description=spec.description,
        variables=[_variable(v) for v in spec.variables],
        links=[p.dashboard_link(link.title, link.url) for link in spec.links],
        time_from=spec.time.from_,
        refresh=spec.refresh,
        datasource_uid=model.settings.grafana_datasource_uid,
    )
    out["time"]["to"] = spec.time.to
    _place_explicit(out["panels"], [*spec.panels, *(panel for row in spec.rows for panel in row.panels)])
    return out


def _place_explicit(placed: list[dict[str, Any]], specs: list[DashboardPanel]) -> None:
    """Panels that say where they go keep exactly that position."""
    flat = [panel for panel in placed if panel["type"] != "row"] + [
        inner for item in placed if item["type"] == "row" for inner in item.get("panels", [])
    ]
    by_title: dict[str, list[dict[str, Any]]] = {}
    for panel in flat:
        by_title.setdefault(panel["title"], []).append(panel)
    for spec in specs:
        if spec.grid is not None and by_title.get(spec.title):
            by_title[spec.title].pop(0)["gridPos"] = {
                "h": spec.grid.h,
                "w": spec.grid.w,
                "x": spec.grid.x,
                "y": spec.grid.y,
            }


def grafanalib_dashboard(model: Model, board: GrafanalibBoard) -> tuple[dict[str, Any], list[Flag]]:
    """A grafanalib dashboard upgraded to current Grafana JSON, and what the upgrade flagged."""
    upgraded, flags = upgrade(board.source.data, model.settings.grafana_datasource_uid)
    upgraded["uid"] = board.uid
    return upgraded, flags


def compile_user_dashboards(model: Model) -> list[Artifact]:
    written = [
        Artifact(
            names.dashboard_file(board.folder, board.uid),
            user_dashboard(model, board),
            (board.source,),
            format="json",
        )
        for board in model.dashboards
    ]
    return written + [
        Artifact(
            names.dashboard_file(board.folder, board.uid),
            grafanalib_dashboard(model, board)[0],
            (board.source.file,),
            format="json",
        )
        for board in model.grafanalib_dashboards
    ]
