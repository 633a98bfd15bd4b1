"""Upgrade a grafanalib 0.7 dashboard (schemaVersion 12 JSON) to the JSON Grafana writes today.

grafanalib 0.7 emits the Grafana 4 model: `rows` with `span`s and pixel heights, `graph` and
`singlestat` panels, data sources by name, legacy target keys and many explicit nulls. Grafana
would migrate such a dashboard every time it loads it (public/app/features/dashboard/state/
DashboardMigrator.ts), and the Angular panels (`graph`, `singlestat`) no longer render in Grafana
12 without that migration. We do the migration once, at build time, so the file in `generated/`
is what Grafana shows and what our dashboard checks lint:

- rows become the grid: a panel's width is `span * 2` columns (24 columns for 12 spans), heights in
  pixels become grid units of 38 px (30 px cell + 8 px margin), panels flow left to right and wrap;
  titled, collapsible or repeated rows become row panels, as the migrator does;
- `graph` becomes `timeseries` (unit, decimals, min/max, fill, line width, points, bars, stacking,
  stepped lines, log scale, legend, null handling, tooltip, alias colours) and `singlestat`
  becomes `stat`, or `gauge` when its gauge was shown (unit, decimals, thresholds and colours,
  reducer, colour mode, sparkline);
- data sources named `Prometheus` (the provisioned one), `default`, `$datasource` or left unset
  become the `${datasource}` variable, which is added when missing; other names are kept as
  Grafana's migrator keeps them (`{"uid": name}`) and flagged;
- nulls and keys Grafana dropped (`span`, `height`, `isNew`, `hideControls`, `sharedCrosshair`,
  `style`, `gnetId`, targets' `step`/`intervalFactor`/`metric`/`target`/`query`, ...) go away.

What cannot be converted faithfully is kept as it is and returned as a flag: series overrides,
graph thresholds and legacy panel alerts, singlestat prefixes/postfixes and value maps, and panel
types that only exist as Angular plugins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from generator import panels as p

GRID_COLUMNS = 24
SPAN_COLUMNS = GRID_COLUMNS / 12  # Grafana 4 rows had 12 spans
DEFAULT_SPAN = 4
DEFAULT_ROW_HEIGHT_PX = 250
GRID_CELL_PX = 30 + 8  # GRID_CELL_HEIGHT + GRID_CELL_VMARGIN in Grafana's migrator
MIN_PANEL_HEIGHT_PX = 90

# Names that mean "the Prometheus this stack provisions": Grafana resolves an unset data source to
# the default one, and our provisioning makes `Prometheus` the default.
OUR_DATASOURCE_NAMES = frozenset({"prometheus", "default", "-- default --", "$datasource", "${datasource}"})

# Panel types that exist only as Angular plugins or were removed; Grafana 11+ either migrates
# them on load (table-old) or shows "panel plugin not found".
ANGULAR_TYPES = {
    "table-old": "Grafana migrates `table-old` to `table` on load; styles become field overrides",
    "grafana-piechart-panel": "use the core `piechart` panel",
    "grafana-worldmap-panel": "use the core `geomap` panel",
    "natel-discrete-panel": "use the core `state-timeline` panel",
    "flant-statusmap-panel": "use the core `status-history` panel",
    "natel-plotly-panel": "use the core `xychart` panel",
    "grafana-clock-panel": "an Angular plugin; check that it is installed and still supported",
    "michaeldmoore-annunciator-panel": "use the core `stat` panel",
    "digrich-bubblechart-panel": "an Angular plugin without a core replacement",
    "grafana-polystat-panel": "an Angular plugin in its old versions; check the installed version",
}

# Legacy keys of every panel that modern Grafana ignores or rewrites.
LEGACY_PANEL_KEYS = ("span", "height", "isNew", "error", "editable", "minSpan", "renderer", "scroll")
LEGACY_TARGET_KEYS = ("target", "metric", "step", "intervalFactor", "query")
# What a converted graph or singlestat keeps as it was: the keys every panel type shares.
KEPT_PANEL_KEYS = (
    "title",
    "description",
    "datasource",
    "targets",
    "gridPos",
    "id",
    "links",
    "repeat",
    "repeatDirection",
    "maxPerRow",
    "interval",
    "timeFrom",
    "timeShift",
    "hideTimeOverride",
    "transparent",
    "transformations",
    "maxDataPoints",
)
LEGACY_DASHBOARD_KEYS = ("hideControls", "sharedCrosshair", "style", "gnetId", "id", "rows", "__inputs")

# singlestat `valueName` -> the reducer of stat/gauge (DashboardMigrator, schema 28).
REDUCERS = {
    "avg": "mean",
    "current": "lastNotNull",
    "max": "max",
    "min": "min",
    "total": "sum",
    "first": "firstNotNull",
    "delta": "delta",
    "diff": "diff",
    "range": "range",
}

# The graph legend's value switches -> calculations of the timeseries legend.
LEGEND_CALCS = (("avg", "mean"), ("current", "lastNotNull"), ("max", "max"), ("min", "min"), ("total", "sum"))


@dataclass(frozen=True)
class Flag:
    """Something Grafana would have to migrate or that was not converted faithfully."""

    message: str
    panel: str | None = None  # the panel's title, to find it in the user's file


def upgrade(board: dict[str, Any], datasource_uid: str) -> tuple[dict[str, Any], list[Flag]]:
    """The upgraded dashboard and what could not be converted; `board` is not modified."""
    flags: list[Flag] = []
    source = _without_nulls(board)
    out: dict[str, Any] = {k: v for k, v in source.items() if k not in LEGACY_DASHBOARD_KEYS}
    if board.get("sharedCrosshair") and not out.get("graphTooltip"):
        out["graphTooltip"] = 1
    out["schemaVersion"] = p.SCHEMA_VERSION
    out["version"] = 1
    timepicker = {k: v for k, v in out.get("timepicker", {}).items() if k not in ("time_options", "nowDelay")}
    out["timepicker"] = timepicker
    if source.get("__inputs"):
        flags.append(Flag("import `__inputs` dropped: data sources are provisioned, not asked for on import"))
    legacy_panels = list(source.get("panels", []))
    if source.get("rows"):
        legacy_panels += _rows_to_grid(source["rows"], flags)
    out["panels"] = _number([_upgrade_panel(panel, flags) for panel in _place_unplaced(legacy_panels)])
    variables = [_variable(v, flags) for v in source.get("templating", {}).get("list", [])]
    if not any(v.get("type") == "datasource" and v.get("name") == p.DATASOURCE_VARIABLE for v in variables):
        variables.insert(0, p.datasource_variable(datasource_uid))
    out["templating"] = {"list": variables}
    return out, flags


def _without_nulls(value: Any) -> Any:
    """grafanalib writes every unset attribute as null; Grafana treats a missing key the same, and
    nulls where a string or object is expected break schema validation. The one meaningful null, a
    threshold's base step (`value: null`), lives in a list of dicts whose key we keep."""
    if isinstance(value, dict):
        return {
            k: _without_nulls(v)
            for k, v in value.items()
            if v is not None or (k == "value" and "color" in value)
        }
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _height_px(value: Any, default: int) -> int:
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().removesuffix("px").strip().isdigit():
        return int(value.strip().removesuffix("px").strip())
    return default


def _grid_height(pixels: int) -> int:
    return math.ceil(max(pixels, MIN_PANEL_HEIGHT_PX) / GRID_CELL_PX)


def _rows_to_grid(rows: list[dict[str, Any]], flags: list[Flag]) -> list[dict[str, Any]]:
    """Grafana 4 rows -> grid positions, as DashboardMigrator.upgradeToGridLayout does: row panels
    only when some row shows a title, collapses or repeats; otherwise the panels just stack."""
    show_rows = any(r.get("collapse") or r.get("showTitle") or r.get("repeat") for r in rows)
    placed: list[dict[str, Any]] = []
    y = 0
    for row in rows:
        row_height = _height_px(row.get("height"), DEFAULT_ROW_HEIGHT_PX)
        collapsed = bool(row.get("collapse"))
        row_panel: dict[str, Any] | None = None
        if show_rows:
            row_panel = {
                "type": "row",
                "title": row.get("title", ""),
                "collapsed": collapsed,
                "gridPos": {"x": 0, "y": y, "w": GRID_COLUMNS, "h": 1},
                "panels": [],
            }
            if row.get("repeat"):
                row_panel["repeat"] = row["repeat"]
            placed.append(row_panel)
            y += 1
        x = 0
        line_height = 0
        for panel in row.get("panels", []):
            span = panel.get("span") or DEFAULT_SPAN
            width = max(1, min(GRID_COLUMNS, math.floor(float(span) * SPAN_COLUMNS)))
            height = _grid_height(_height_px(panel.get("height"), row_height))
            if x + width > GRID_COLUMNS:
                x, y = 0, y + line_height
                line_height = 0
            positioned = {**panel, "gridPos": {"x": x, "y": y, "w": width, "h": height}}
            x += width
            line_height = max(line_height, height)
            if collapsed and row_panel is not None:
                row_panel["panels"].append(positioned)
            else:
                placed.append(positioned)
        y += line_height
        if collapsed and row_panel is not None:
            # A collapsed row takes no room: its panels are laid out again when it opens.
            y -= line_height
    return placed


def _place_unplaced(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Panels of a `panels:` list without a gridPos (grafanalib leaves it null) flow below the rest."""
    bottom = max((i["gridPos"]["y"] + i["gridPos"]["h"] for i in items if "gridPos" in i), default=0)
    x, line = 0, 0
    out = []
    for item in items:
        if "gridPos" in item:
            out.append(item)
            continue
        width = max(1, min(GRID_COLUMNS, math.floor(float(item.get("span") or DEFAULT_SPAN) * SPAN_COLUMNS)))
        height = _grid_height(_height_px(item.get("height"), DEFAULT_ROW_HEIGHT_PX))
        if x + width > GRID_COLUMNS:
            x, bottom, line = 0, bottom + line, 0
        out.append({**item, "gridPos": {"x": x, "y": bottom, "w": width, "h": height}})
        x += width
        line = max(line, height)
    return out


def _number(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stable panel ids in layout order (grafanalib leaves them null); links to panels use them."""
    counter = 0

    def walk(panels: list[dict[str, Any]]) -> None:
        nonlocal counter
        for panel in panels:
            counter += 1
            panel["id"] = counter
            walk(panel.get("panels", []))

    walk(items)
    return items


def _datasource(value: Any, where: str | None, flags: list[Flag]) -> dict[str, Any]:
    if value is None or (isinstance(value, str) and value.strip().lower() in OUR_DATASOURCE_NAMES):
        return dict(p.DATASOURCE)
    if isinstance(value, dict):
        uid = str(value.get("uid", ""))
        if uid.lower() in OUR_DATASOURCE_NAMES or (value.get("type") == "prometheus" and not uid):
            return dict(p.DATASOURCE)
        return value
    flags.append(
        Flag(
            f"data source {value!r} is not the provisioned Prometheus; kept as {{uid: {value!r}}}, "
            "which only works if Grafana has a data source with that uid",
            where,
        )
    )
    return {"uid": str(value)}


def _targets(panel: dict[str, Any], flags: list[Flag]) -> list[dict[str, Any]]:
    out = []
    for index, target in enumerate(panel.get("targets", [])):
        cleaned = {k: v for k, v in target.items() if k not in LEGACY_TARGET_KEYS and v != ""}
        if not cleaned.get("expr") and target.get("query"):
            cleaned["expr"] = target["query"]
        cleaned["refId"] = target.get("refId") or _ref_id(index)
        cleaned["datasource"] = _datasource(
            target.get("datasource", panel.get("datasource")), panel.get("title"), []
        )
        if not cleaned.get("hide"):
            cleaned.pop("hide", None)
        if not cleaned.get("instant"):
            cleaned.pop("instant", None)
            cleaned["range"] = True
        out.append(cleaned)
    return out


def _ref_id(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _upgrade_panel(panel: dict[str, Any], flags: list[Flag]) -> dict[str, Any]:
    title = panel.get("title")
    kind = panel.get("type", "")
    base = {k: v for k, v in panel.items() if k not in LEGACY_PANEL_KEYS}
    if kind == "row":
        base["panels"] = [_upgrade_panel(child, flags) for child in panel.get("panels", [])]
        return base
    if "datasource" in panel or panel.get("targets"):
        base["datasource"] = _datasource(panel.get("datasource"), title, flags)
    if panel.get("targets"):
        base["targets"] = _targets(panel, flags)
    if panel.get("alert"):
        flags.append(Flag("legacy panel alert not converted; declare the alert in rules/ instead", title))
        base.pop("alert")
    if kind == "graph":
        return _graph(base, panel, flags)
    if kind == "singlestat":
        return _singlestat(base, panel, flags)
    if kind in ANGULAR_TYPES:
        flags.append(Flag(f"panel type {kind!r} is an Angular panel: {ANGULAR_TYPES[kind]}", title))
        return base
    _clean_field_config(base)
    return base


def _clean_field_config(panel: dict[str, Any]) -> None:
    """grafanalib's modern panels write `steps: ""` or `"1,2"` strings and empty units."""
    defaults = panel.setdefault("fieldConfig", {}).setdefault("defaults", {})
    panel["fieldConfig"].setdefault("overrides", [])
    thresholds = defaults.get("thresholds")
    if isinstance(thresholds, dict) and not isinstance(thresholds.get("steps"), list):
        defaults["thresholds"] = p.thresholds(_steps(str(thresholds.get("steps") or ""), []))
    if defaults.get("unit") == "":
        del defaults["unit"]
    if defaults.get("color") is None:
        defaults.pop("color", None)


def _steps(text: str, colors: list[str]) -> list[tuple[float | None, str]]:
    """singlestat `thresholds: "0.01,0.05"` with `colors: [ok, warn, bad]` -> threshold steps."""
    values: list[float | None] = [None]
    for part in text.split(","):
        part = part.strip()
        try:
            values.append(float(part))
        except ValueError:
            continue
    palette = colors or ["green", "orange", "red"]
    return [(value, palette[min(i, len(palette) - 1)]) for i, value in enumerate(values)]


def _graph(base: dict[str, Any], panel: dict[str, Any], flags: list[Flag]) -> dict[str, Any]:
    """graph -> timeseries, following the graph panel's own migration (graphPanelChangedHandler)."""
    title = panel.get("title")
    axes = panel.get("yaxes") or [{}]
    axis = axes[0] if axes else {}
    fill = float(panel.get("fill", 1) or 0)
    custom: dict[str, Any] = {
        "drawStyle": "bars" if panel.get("bars") and not panel.get("lines", True) else "line",
        "lineInterpolation": "stepAfter" if panel.get("steppedLine") else "linear",
        "lineWidth": int(panel.get("linewidth", 1) or 0),
        "fillOpacity": min(100, int(fill * 10)),
        "showPoints": "always" if panel.get("points") else "never",
        "pointSize": int(panel.get("pointradius", 5) or 5),
        "spanNulls": panel.get("nullPointMode") == "connected",
        "axisPlacement": "auto",
    }
    if panel.get("stack"):
        custom["stacking"] = {"mode": "percent" if panel.get("percentage") else "normal", "group": "A"}
    if axis.get("logBase") and int(axis["logBase"]) > 1:
        custom["scaleDistribution"] = {"type": "log", "log": int(axis["logBase"])}
    if axis.get("label"):
        custom["axisLabel"] = axis["label"]
    defaults: dict[str, Any] = {"custom": custom, "color": {"mode": "palette-classic"}}
    unit = axis.get("format")
    if unit and unit != "short":
        defaults["unit"] = unit
    elif unit == "short":
        defaults["unit"] = "short"
    for key in ("decimals",):
        if axis.get(key) is not None:
            defaults[key] = axis[key]
    for key in ("min", "max"):
        if axis.get(key) not in (None, ""):
            try:
                defaults[key] = float(axis[key])
            except (TypeError, ValueError):
                flags.append(Flag(f"y-axis {key} {axis[key]!r} is not a number; dropped", title))
    defaults["thresholds"] = p.thresholds()
    overrides = [
        {
            "matcher": {"id": "byName", "options": alias},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}],
        }
        for alias, color in sorted((panel.get("aliasColors") or {}).items())
    ]
    if panel.get("seriesOverrides"):
        flags.append(
            Flag(
                f"{len(panel['seriesOverrides'])} graph series override(s) not converted; "
                "redo them as field overrides",
                title,
            )
        )
    if panel.get("thresholds"):
        flags.append(Flag("graph thresholds not converted; set them as thresholds of the timeseries", title))
    legend = panel.get("legend") or {}
    calcs = [calc for key, calc in LEGEND_CALCS if legend.get(key) and legend.get("values", True)]
    tooltip = panel.get("tooltip") or {}
    out = {k: base[k] for k in KEPT_PANEL_KEYS if k in base}
    out["type"] = "timeseries"
    out["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    out["options"] = {
        "legend": {
            "showLegend": bool(legend.get("show", True)),
            "displayMode": "table" if legend.get("alignAsTable") else "list",
            "placement": "right" if legend.get("rightSide") else "bottom",
            "calcs": calcs,
        },
        "tooltip": {"mode": "multi" if tooltip.get("shared", True) else "single", "sort": "none"},
    }
    return out


def _singlestat(base: dict[str, Any], panel: dict[str, Any], flags: list[Flag]) -> dict[str, Any]:
    """singlestat -> stat, or gauge when its gauge was shown (DashboardMigrator, schema 28)."""
    title = panel.get("title")
    gauge = panel.get("gauge") or {}
    as_gauge = bool(gauge.get("show"))
    defaults: dict[str, Any] = {
        "thresholds": p.thresholds(
            _steps(str(panel.get("thresholds") or ""), list(panel.get("colors") or []))
        ),
        "mappings": [],
    }
    unit = panel.get("format")
    if unit and unit != "none":
        defaults["unit"] = unit
    if panel.get("decimals") is not None:
        defaults["decimals"] = panel["decimals"]
    if as_gauge:
        defaults["min"] = gauge.get("minValue", 0)
        defaults["max"] = gauge.get("maxValue", 100)
    reducer = REDUCERS.get(str(panel.get("valueName", "avg")))
    if reducer is None:
        flags.append(
            Flag(f"singlestat valueName {panel.get('valueName')!r} has no reducer; using mean", title)
        )
        reducer = "mean"
    if panel.get("prefix") or panel.get("postfix"):
        flags.append(Flag("singlestat prefix/postfix not converted; use a unit or a value mapping", title))
    if panel.get("valueMaps") or panel.get("rangeMaps"):
        flags.append(Flag("singlestat value/range maps not converted; redo them as value mappings", title))
    out = {k: base[k] for k in KEPT_PANEL_KEYS if k in base}
    reduce_options = {"calcs": [reducer], "fields": "", "values": False}
    if as_gauge:
        out["type"] = "gauge"
        out["options"] = {
            "reduceOptions": reduce_options,
            "showThresholdLabels": bool(gauge.get("thresholdLabels")),
            "showThresholdMarkers": bool(gauge.get("thresholdMarkers", True)),
            "orientation": "auto",
        }
    else:
        sparkline = panel.get("sparkline") or {}
        color_mode = (
            "background" if panel.get("colorBackground") else "value" if panel.get("colorValue") else "none"
        )
        out["type"] = "stat"
        out["options"] = {
            "reduceOptions": reduce_options,
            "colorMode": color_mode,
            "graphMode": "area" if sparkline.get("show") else "none",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        }
    out["fieldConfig"] = {"defaults": defaults, "overrides": []}
    return out


def _variable(variable: dict[str, Any], flags: list[Flag]) -> dict[str, Any]:
    out = {k: v for k, v in variable.items() if k not in ("tags", "tagsQuery", "tagValuesQuery", "useTags")}
    if variable.get("useTags"):
        flags.append(
            Flag(f"variable {variable.get('name')!r}: value tags were removed in Grafana 8; dropped")
        )
    if variable.get("type") in ("query", "adhoc"):
        out["datasource"] = _datasource(variable.get("datasource"), None, flags)
    current = out.get("current")
    if isinstance(current, dict):
        out["current"] = {k: v for k, v in current.items() if k in ("text", "value", "selected")}
    if out.get("regex") is None:
        out.pop("regex", None)
    return out
