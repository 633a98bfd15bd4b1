"""Grafana dashboard building blocks, as plain dicts in Grafana's own JSON vocabulary.

Generic pieces only (a panel type with sensible defaults, a variable, a layout); what the
generated dashboards contain is decided in `compile/grafana_dashboards.py`. Plain dicts instead of
grafanalib (schemaVersion 12, legacy keys) or grafana-foundation-sdk: the output is the JSON
Grafana 11/12 writes itself (schemaVersion 41), checked against Grafana's published schemas in the
tests, and building it is measured in `bench/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 41
DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}
GRID_WIDTH = 24
# The matcher of queries that follow the dashboard's `$instance` variable (`query_variable`).
INSTANCE_MATCHER = 'instance=~"$instance"'

# Our units to Grafana's unit ids (https://grafana.com/docs/grafana/latest/panels-visualizations/
# configure-standard-options/#unit).
UNITS = {
    "ratio": "percentunit",
    "percent": "percent",
    "seconds": "s",
    "bytes": "bytes",
    "requests_per_second": "reqps",
    "count": "short",
    "none": "short",
    "days": "d",
}


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False


@dataclass
class Panel:
    """A panel before layout: its JSON without `id` and `gridPos`, and its size."""

    body: dict[str, Any]
    width: int = 12
    height: int = 8
    id: int | None = None  # fixed ids for panels others link to (alert panels)


@dataclass
class Row:
    title: str
    panels: list[Panel] = field(default_factory=list)
    collapsed: bool = False


def targets(queries: Sequence[Query]) -> list[dict[str, Any]]:
    out = []
    for index, query in enumerate(queries):
        target: dict[str, Any] = {
            "refId": chr(ord("A") + index),
            "datasource": DATASOURCE,
            "editorMode": "code",
            "expr": query.expr,
            "legendFormat": query.legend or "__auto",
            "range": not query.instant,
            "instant": query.instant,
        }
        out.append(target)
    return out


def thresholds(steps: Sequence[tuple[float | None, str]] = ((None, "green"),)) -> dict[str, Any]:
    return {"mode": "absolute", "steps": [{"color": color, "value": value} for value, color in steps]}


def _defaults(
    unit: str,
    decimals: int | None,
    minimum: float | None,
    maximum: float | None,
    steps: Sequence[tuple[float | None, str]] | None,
    color_mode: str,
) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "unit": UNITS.get(unit, unit),
        "color": {"mode": color_mode},
        "thresholds": thresholds(steps or ((None, "green"),)),
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    if minimum is not None:
        defaults["min"] = minimum
    if maximum is not None:
        defaults["max"] = maximum
    return defaults


def _panel(
    kind: str,
    title: str,
    queries: Sequence[Query],
    description: str,
    links: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "targets": targets(queries),
    }
    if description:
        body["description"] = description
    if links:
        body["links"] = list(links)
    return body


def timeseries(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str = "none",
    description: str = "",
    decimals: int | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    steps: Sequence[tuple[float | None, str]] | None = None,
    threshold_line: bool = False,
    stacked: bool = False,
    legend: str = "list",
    placement: str = "bottom",
    calcs: Sequence[str] = (),
    links: Sequence[dict[str, Any]] = (),
    width: int = 12,
    height: int = 8,
    panel_id: int | None = None,
) -> Panel:
    body = _panel("timeseries", title, queries, description, links)
    defaults = _defaults(unit, decimals, minimum, maximum, steps, "palette-classic")
    defaults["custom"] = {
        "drawStyle": "line",
        "lineInterpolation": "linear",
        "lineWidth": 1,
        "fillOpacity": 10,
        "gradientMode": "none",
        "showPoints": "never",
        "pointSize": 4,
        "spanNulls": False,
        "axisPlacement": "auto",
        "axisLabel": "",
        "axisBorderShow": False,
        "axisCenteredZero": False,
        "axisColorMode": "text",
        "barAlignment": 0,
        "insertNulls": False,
        "scaleDistribution": {"type": "linear"},
        "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
        "thresholdsStyle": {"mode": "dashed" if threshold_line else "off"},
        "hideFrom": {"legend": False, "tooltip": False, "viz": False},
    }
    body["fieldConfig"] = {"defaults": defaults, "overrides": []}
    body["options"] = {
        "legend": {
            "showLegend": legend != "hidden",
            "displayMode": "table" if legend == "table" else "list",
            "placement": placement,
            "calcs": list(calcs),
        },
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return Panel(body, width, height, panel_id)


def _reduce(calculation: str = "lastNotNull") -> dict[str, Any]:
    return {"calcs": [calculation], "fields": "", "values": False}


def stat(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str = "none",
    description: str = "",
    decimals: int | None = None,
    steps: Sequence[tuple[float | None, str]] | None = None,
    graph: bool = True,
    links: Sequence[dict[str, Any]] = (),
    calculation: str = "lastNotNull",
    width: int = 6,
    height: int = 4,
    panel_id: int | None = None,
) -> Panel:
    body = _panel("stat", title, queries, description, links)
    body["fieldConfig"] = {
        "defaults": _defaults(unit, decimals, None, None, steps, "thresholds"),
        "overrides": [],
    }
    body["options"] = {
        "graphMode": "area" if graph else "none",
        "colorMode": "value",
        "justifyMode": "auto",
        "textMode": "auto",
        "wideLayout": True,
        "showPercentChange": False,
        "reduceOptions": _reduce(calculation),
        "percentChangeColorMode": "standard",
        "orientation": "auto",
    }
    return Panel(body, width, height, panel_id)


def gauge(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str = "none",
    description: str = "",
    decimals: int | None = None,
    minimum: float | None = 0,
    maximum: float | None = None,
    steps: Sequence[tuple[float | None, str]] | None = None,
    links: Sequence[dict[str, Any]] = (),
    width: int = 6,
    height: int = 6,
    panel_id: int | None = None,
) -> Panel:
    body = _panel("gauge", title, queries, description, links)
    body["fieldConfig"] = {
        "defaults": _defaults(unit, decimals, minimum, maximum, steps, "thresholds"),
        "overrides": [],
    }
    body["options"] = {
        "showThresholdLabels": False,
        "showThresholdMarkers": True,
        "sizing": "auto",
        "minVizWidth": 75,
        "minVizHeight": 75,
        "reduceOptions": _reduce(),
        "orientation": "auto",
    }
    return Panel(body, width, height, panel_id)


def bargauge(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str = "none",
    description: str = "",
    decimals: int | None = None,
    minimum: float | None = 0,
    maximum: float | None = None,
    steps: Sequence[tuple[float | None, str]] | None = None,
    links: Sequence[dict[str, Any]] = (),
    width: int = 12,
    height: int = 8,
    panel_id: int | None = None,
) -> Panel:
    body = _panel("bargauge", title, queries, description, links)
    body["fieldConfig"] = {
        "defaults": _defaults(unit, decimals, minimum, maximum, steps, "thresholds"),
        "overrides": [],
    }
    body["options"] = {
        "displayMode": "gradient",
        "valueMode": "color",
        "namePlacement": "auto",
        "showUnfilled": True,
        "sizing": "auto",
        "minVizWidth": 8,
        "minVizHeight": 16,
        "maxVizHeight": 300,
        "legend": {"showLegend": False, "displayMode": "list", "placement": "bottom", "calcs": []},
        "reduceOptions": _reduce(),
        "orientation": "horizontal",
    }
    return Panel(body, width, height, panel_id)


def table(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str = "none",
    description: str = "",
    links: Sequence[dict[str, Any]] = (),
    width: int = 24,
    height: int = 8,
    panel_id: int | None = None,
) -> Panel:
    body = _panel(
        "table", title, [Query(q.expr, q.legend, instant=True) for q in queries], description, links
    )
    for target in body["targets"]:
        target["format"] = "table"
    body["fieldConfig"] = {"defaults": _defaults(unit, None, None, None, None, "thresholds"), "overrides": []}
    body["options"] = {
        "frameIndex": 0,
        "showHeader": True,
        "cellHeight": "sm",
        "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": []},
    }
    body["transformations"] = [{"id": "merge", "options": {}}]
    return Panel(body, width, height, panel_id)


def heatmap(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str = "s",
    description: str = "",
    links: Sequence[dict[str, Any]] = (),
    width: int = 12,
    height: int = 8,
    panel_id: int | None = None,
) -> Panel:
    body = _panel("heatmap", title, queries, description, links)
    for target in body["targets"]:
        target["format"] = "heatmap"
    body["fieldConfig"] = {
        "defaults": {
            "custom": {
                "scaleDistribution": {"type": "linear"},
                "hideFrom": {"legend": False, "tooltip": False, "viz": False},
            }
        },
        "overrides": [],
    }
    body["options"] = {
        "calculate": False,
        "cellGap": 1,
        "color": {
            "mode": "scheme",
            "scheme": "Oranges",
            "fill": "dark-orange",
            "scale": "exponential",
            "exponent": 0.5,
            "steps": 64,
            "reverse": False,
        },
        "showValue": "auto",
        "yAxis": {"axisPlacement": "left", "unit": UNITS.get(unit, unit), "reverse": False},
        "legend": {"show": True},
        "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "filterValues": {"le": 1e-9},
        "rowsFrame": {"layout": "auto"},
        "cellValues": {"unit": UNITS.get(unit, unit)},
        "selectionMode": "x",
    }
    return Panel(body, width, height, panel_id)


def text(
    title: str,
    content: str,
    *,
    mode: str = "markdown",
    width: int = 24,
    height: int = 3,
    panel_id: int | None = None,
) -> Panel:
    body = {
        "type": "text",
        "title": title,
        "options": {
            "mode": mode,
            "content": content,
            "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False},
        },
    }
    return Panel(body, width, height, panel_id)


def datasource_variable(default_uid: str) -> dict[str, Any]:
    return {
        "type": "datasource",
        "name": DATASOURCE_VARIABLE,
        "label": "Data source",
        "query": "prometheus",
        "current": {"text": default_uid, "value": default_uid},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
        "includeAll": False,
        "multi": False,
        "skipUrlSync": False,
    }


def query_variable(
    name: str,
    query: str,
    *,
    label: str = "",
    include_all: bool = True,
    multi: bool = True,
) -> dict[str, Any]:
    return {
        "type": "query",
        "name": name,
        "label": label or name,
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "current": {"text": "All", "value": "$__all"} if include_all else {},
        "hide": 0,
        "refresh": 2,
        "regex": "",
        "sort": 1,
        "options": [],
        "includeAll": include_all,
        "allValue": ".*" if include_all else None,
        "multi": multi,
        "skipUrlSync": False,
    }


def link(title: str, url: str, *, tooltip: str = "") -> dict[str, Any]:
    return {"title": title, "url": url, "targetBlank": False, **({"tooltip": tooltip} if tooltip else {})}


def dashboard_link(title: str, url: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "link",
        "url": url,
        "icon": "dashboard",
        "tooltip": "",
        "tags": [],
        "asDropdown": False,
        "targetBlank": False,
        "includeVars": False,
        "keepTime": True,
    }


def layout(items: Iterable[Panel | Row]) -> list[dict[str, Any]]:
    """Place panels left to right, wrapping at 24 columns; rows take a line of their own.

    Panels keep fixed ids where given; the others are numbered after the largest fixed one, so
    ids are stable as long as the definitions are.
    """
    items = list(items)
    every = [p for item in items for p in (item.panels if isinstance(item, Row) else [item])]
    taken = {p.id for p in every if p.id is not None}
    next_id = 1
    out: list[dict[str, Any]] = []
    x = y = line = 0

    def new_id() -> int:
        nonlocal next_id
        while next_id in taken:
            next_id += 1
        taken.add(next_id)
        return next_id

    def place(panel: Panel, into: list[dict[str, Any]]) -> None:
        nonlocal x, y, line
        width = max(1, min(GRID_WIDTH, panel.width))
        if x + width > GRID_WIDTH:
            x, y, line = 0, y + line, 0
        body = {
            "id": panel.id if panel.id is not None else new_id(),
            **panel.body,
            "gridPos": {"h": panel.height, "w": width, "x": x, "y": y},
        }
        into.append(body)
        x += width
        line = max(line, panel.height)

    for item in items:
        if isinstance(item, Row):
            if x:
                x, y, line = 0, y + line, 0
            row: dict[str, Any] = {
                "type": "row",
                "id": new_id(),
                "title": item.title,
                "collapsed": item.collapsed,
                "gridPos": {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y},
                "panels": [],
            }
            out.append(row)
            y += 1
            for panel in item.panels:
                place(panel, row["panels"] if item.collapsed else out)
            if x:
                x, y, line = 0, y + line, 0
        else:
            place(item, out)
    return out


def dashboard(
    uid: str,
    title: str,
    items: Iterable[Panel | Row],
    *,
    tags: Sequence[str] = (),
    description: str = "",
    variables: Sequence[dict[str, Any]] = (),
    links: Sequence[dict[str, Any]] = (),
    time_from: str = "now-6h",
    refresh: str = "1m",
    datasource_uid: str = "prometheus",
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": sorted(tags),
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "refresh": refresh,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "panels": layout(items),
        "templating": {"list": [datasource_variable(datasource_uid), *variables]},
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "links": list(links),
    }
