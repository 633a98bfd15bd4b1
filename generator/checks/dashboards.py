"""Checks on dashboards, generated and hand-written, in the spirit of Grafana's dashboard-linter:
a data source variable, units, `$__rate_interval`, queries that parse, metrics that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator import conventions as names
from generator.checks import Finding, check, iter_rules
from generator.compile.grafana_dashboards import compile_dashboards
from generator.compile.grafana_user_dashboards import compile_user_dashboards, grafanalib_dashboard
from generator.diagnostics import Location, Severity
from generator.model import Model
from generator.promql import PromQLError, metric_names_of, parse

# Grafana's built-in variables, replaced by a value of the right kind before parsing.
_BUILTINS = {
    "$__rate_interval": "5m",
    "${__rate_interval}": "5m",
    "$__interval": "1m",
    "${__interval}": "1m",
    "$__range": "1d",
    "${__range}": "1d",
}
_VARIABLE = re.compile(r"\$\{?(\w+)\}?|\[\[(\w+)\]\]")
_RANGE_FUNCTION = re.compile(r"\b(rate|irate)\s*\(")
# Metric families that exporters of the stack produce without being named in the definitions.
EXPORTER_PREFIXES = {"node": ("node_",), "probe": ("probe_",), "business-kpis": ("sql_query_",)}
STACK_PREFIXES = ("prometheus_", "alertmanager_", "go_", "process_", "scrape_")


@dataclass(frozen=True)
class Board:
    json: dict[str, Any]
    location: Location
    panel_locations: dict[str, Location]

    def where(self, panel: dict[str, Any] | None) -> Location:
        """A panel's own line when it was written by hand, else the dashboard's source."""
        return self.panel_locations.get(panel.get("title", ""), self.location) if panel else self.location


_CACHE: list[tuple[Model, tuple[Board, ...]]] = []


def _boards_cached(model: Model) -> tuple[Board, ...]:
    """The compiled dashboards, once per model for all the checks here."""
    if _CACHE and _CACHE[0][0] is model:
        return _CACHE[0][1]
    boards = _compile(model)
    _CACHE[:] = [(model, boards)]
    return boards


def _compile(model: Model) -> tuple[Board, ...]:
    user = {board.uid: board.location for board in model.dashboards}
    user |= {board.uid: board.source.location for board in model.grafanalib_dashboards}
    written = {board.uid: board for board in model.dashboards}
    from_grafanalib = {board.uid: board.source for board in model.grafanalib_dashboards}
    boards = []
    for artifact in [*compile_dashboards(model), *compile_user_dashboards(model)]:
        uid = artifact.content["uid"]
        location = user.get(uid) or Location(artifact.sources[0] if artifact.sources else artifact.path)
        # Two panels may share a title (the titles check says so); point at the first.
        board = written.get(uid)
        panels = dict(reversed(board.panel_locations())) if board is not None else {}
        grafanalib = from_grafanalib.get(uid)
        if grafanalib is not None:
            panels = {
                str(p.get("title", "")): grafanalib.line_of(str(p.get("title", "")))
                for p in _walk(artifact.content)
            }
        boards.append(Board(artifact.content, location, panels))
    return tuple(boards)


def _walk(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


@check("dashboards/legacy", Severity.WARNING)
def legacy(model: Model) -> Iterator[Finding]:
    """grafanalib dashboards: what the upgrade to current Grafana JSON could not convert (series
    overrides, graph thresholds, legacy panel alerts, singlestat prefixes and value maps, Angular
    panel types, data sources other than the provisioned one)."""
    for board in model.grafanalib_dashboards:
        _, flags = grafanalib_dashboard(model, board)
        for flag in flags:
            where = board.source.line_of(flag.panel) if flag.panel else board.source.location
            panel = f", panel {flag.panel!r}" if flag.panel else ""
            yield Finding(where, f"dashboard {board.uid!r}{panel}: {flag.message}")


def _user_uids(model: Model) -> set[str]:
    return {board.uid for board in model.dashboards}


def _panels(board: Board) -> Iterator[dict[str, Any]]:
    yield from _walk(board.json)


def _queries(board: Board) -> Iterator[tuple[dict[str, Any], str]]:
    for panel in _panels(board):
        for target in panel.get("targets", []):
            yield panel, target.get("expr", "")


def _concrete(expr: str) -> str:
    for builtin, value in _BUILTINS.items():
        expr = expr.replace(builtin, value)
    return _VARIABLE.sub("x", expr)


def _where(board: Board, panel: dict[str, Any] | None = None) -> str:
    return f"dashboard {board.json['uid']!r}" + (f", panel {panel.get('title')!r}" if panel else "")


@check("dashboards/datasource", Severity.WARNING)
def datasource(model: Model) -> Iterator[Finding]:
    """Panels query the `${datasource}` variable or the provisioned data source, never a name."""
    allowed = {"${datasource}", model.settings.grafana_datasource_uid}
    for board in _boards_cached(model):
        variables = {v["name"] for v in board.json["templating"]["list"]}
        if "datasource" not in variables:
            yield Finding(board.location, f"{_where(board)} has no data source variable")
        for panel in _panels(board):
            source = panel.get("datasource")
            if source is not None and source.get("uid") not in allowed:
                yield Finding(board.where(panel), f"{_where(board, panel)} uses data source {source!r}")


@check("dashboards/targets", Severity.ERROR)
def targets(model: Model) -> Iterator[Finding]:
    """Every panel but text and rows has at least one query, and every query parses as PromQL."""
    for board in _boards_cached(model):
        for panel in _panels(board):
            if panel["type"] not in ("row", "text") and not panel.get("targets"):
                yield Finding(board.where(panel), f"{_where(board, panel)} has no query")
        for panel, expr in _queries(board):
            try:
                parse(_concrete(expr))
            except PromQLError as error:
                yield Finding(
                    board.where(panel), f"{_where(board, panel)}: invalid PromQL: {error}", hint=f"in: {expr}"
                )


@check("dashboards/rate-interval", Severity.WARNING)
def rate_interval(model: Model) -> Iterator[Finding]:
    """`rate()` and `irate()` in panels use `$__rate_interval`, which adapts to the zoom
    and never drops below four scrape intervals. Generated alert panels are exempt: they show
    exactly the expression the alert evaluates."""
    for board in _boards_cached(model):
        for panel, expr in _queries(board):
            if panel.get("id", 0) >= names.ALERT_PANEL_BASE and board.json["uid"] not in _user_uids(model):
                continue
            if _RANGE_FUNCTION.search(expr) and "__rate_interval" not in expr and "[1d]" not in expr:
                yield Finding(
                    board.where(panel),
                    f"{_where(board, panel)}: a rate over a fixed window",
                    hint="write [$__rate_interval] as the window",
                )


@check("dashboards/units", Severity.WARNING)
def units(model: Model) -> Iterator[Finding]:
    """Time series, stat and gauge panels say their unit, so numbers read as what they are."""
    for board in _boards_cached(model):
        for panel in _panels(board):
            if panel["type"] in ("timeseries", "stat", "gauge", "bargauge") and not panel.get(
                "fieldConfig", {}
            ).get("defaults", {}).get("unit"):
                yield Finding(board.where(panel), f"{_where(board, panel)} has no unit")


@check("dashboards/titles", Severity.WARNING)
def titles(model: Model) -> Iterator[Finding]:
    """Dashboards and panels have titles, and no two panels of a dashboard share one."""
    for board in _boards_cached(model):
        if not board.json.get("title", "").strip():
            yield Finding(board.location, f"{_where(board)} has no title")
        seen: set[str] = set()
        for panel in _panels(board):
            title = panel.get("title", "").strip()
            if panel["type"] == "row":
                continue
            if not title:
                yield Finding(board.location, f"{_where(board)}: a {panel['type']} panel has no title")
            elif title in seen:
                yield Finding(board.location, f"{_where(board)}: two panels are titled {title!r}")
            seen.add(title)


def _known_metrics(model: Model) -> tuple[set[str], tuple[str, ...]]:
    known = {"up", "ALERTS", "ALERTS_FOR_STATE"}
    for _, rule in iter_rules(model):
        known |= metric_names_of(parse(rule.expr))
        if hasattr(rule, "record"):
            known.add(rule.record)
    for service in model.services:
        for shortcut in service.metrics:
            base = shortcut.selector.partition("{")[0]
            known |= {base, f"{base}_bucket", f"{base}_count", f"{base}_sum"}
    prefixes = list(STACK_PREFIXES)
    for job in model.scrape_jobs:
        prefixes += EXPORTER_PREFIXES.get(job.exporter or "", ())
    # What the SQL KPI exporter and the push bridge serve is declared in their definitions.
    if model.kpis is not None:
        known |= {metric.name for query in model.kpis.queries for metric in query.metrics}
    if model.push_bridge is not None:
        for name in model.push_bridge.metrics:
            known |= {name, f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    return known, tuple(prefixes)


@check("dashboards/unknown-metric", Severity.WARNING)
def unknown_metric(model: Model) -> Iterator[Finding]:
    """Every metric a panel queries is produced by a scrape job's exporter, a service's shortcut, or
    a recording rule of the definitions (a typo shows as an empty panel otherwise)."""
    known, prefixes = _known_metrics(model)
    for board in _boards_cached(model):
        for panel, expr in _queries(board):
            try:
                used = metric_names_of(parse(_concrete(expr)))
            except PromQLError:
                continue
            for metric in sorted(used - known):
                if not metric.startswith(prefixes) and metric != names.SLO_INFO:
                    yield Finding(
                        board.where(panel),
                        f"{_where(board, panel)} queries {metric!r}, which no scrape job, "
                        "shortcut or recording rule of the definitions produces",
                        hint="check the name, or declare it as a metric shortcut",
                    )
