"""Reports as Markdown, self-contained HTML (inline SVG charts), JSON and CSV."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import UTC, datetime
from typing import Any

from generator.report.capacity import CapacityReport, Resource
from generator.report.sla import SLAReport, SLOResult, when
from generator.report.svg import Line, Rule, chart

FORMATS = ("md", "html", "json", "csv")
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:60rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.met{color:#1a7f37;font-weight:600}.missed{color:#cf222e;font-weight:600}.nodata{color:#777}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}svg{width:100%;height:auto}
.axis{font-size:11px;fill:#555}.legend{font-size:12px}.warning{color:#9a6700}
.act-now{color:#cf222e;font-weight:600}.this-week{color:#bc4c00;font-weight:600}
"""


def percent(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def status(result: SLOResult) -> str:
    return "no data" if result.met is None else ("met" if result.met else "missed")


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- SLA ---------------------------------------------------------------------------------------------


def sla_data(report: SLAReport) -> dict[str, Any]:
    return {
        "window": {"start": report.window.start, "end": report.window.end, "label": report.window.label},
        "prometheus": report.prometheus,
        "generated_at": report.generated_at,
        "warnings": report.warnings,
        "slos": [
            {
                "service": r.service,
                "slo": r.slo,
                "team": r.team,
                "sli_kind": r.sli_kind,
                "objective": r.objective,
                "error_ratio": r.error_ratio,
                "compliance": r.compliance,
                "budget_consumed": r.budget_consumed,
                "budget_remaining": r.budget_remaining,
                "status": status(r),
                "worst_days": [{"end": d.end, "error_ratio": d.error_ratio} for d in r.worst_days()],
                "days": [
                    {"end": d.end, "error_ratio": d.error_ratio, "budget_burned": d.burned} for d in r.days
                ],
                "alerts": [vars(a) for a in r.alerts],
                "response": None if r.response is None else vars(r.response),
                "missing": r.missing,
            }
            for r in report.slos
        ],
    }


def sla_json(report: SLAReport) -> str:
    return json.dumps(sla_data(report), indent=2, sort_keys=True) + "\n"


def sla_csv(report: SLAReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "service",
            "slo",
            "team",
            "objective",
            "compliance",
            "budget_consumed",
            "budget_remaining",
            "status",
            "alerts_fired",
            "incidents",
            "ack_median_s",
            "resolve_median_s",
        ]
    )
    for r in report.slos:
        writer.writerow(
            [
                r.service,
                r.slo,
                r.team,
                f"{r.objective:.6g}",
                "" if r.compliance is None else f"{r.compliance:.8f}",
                "" if r.budget_consumed is None else f"{r.budget_consumed:.6f}",
                "" if r.budget_remaining is None else f"{r.budget_remaining:.6f}",
                status(r),
                sum(a.firings for a in r.alerts),
                "" if r.response is None else r.response.incidents,
                ""
                if r.response is None or r.response.ack_median_s is None
                else f"{r.response.ack_median_s:.0f}",
                ""
                if r.response is None or r.response.resolve_median_s is None
                else f"{r.response.resolve_median_s:.0f}",
            ]
        )
    return out.getvalue()


def _summary_rows(report: SLAReport) -> list[list[str]]:
    return [
        [
            r.service,
            r.slo,
            percent(r.objective, 2),
            percent(r.compliance),
            percent(r.budget_consumed, 1),
            percent(r.budget_remaining, 1),
            status(r),
            str(sum(a.firings for a in r.alerts)),
        ]
        for r in report.slos
    ]


SUMMARY_HEAD = ["Service", "SLO", "Objective", "Achieved", "Budget used", "Budget left", "Status", "Alerts"]


def sla_markdown(report: SLAReport) -> str:
    met = sum(1 for r in report.slos if r.met)
    lines = [
        f"# SLA report: {report.window.label}",
        "",
        f"{met} of {len(report.slos)} SLOs met their objective. Source: Prometheus at {report.prometheus}, "
        f"generated {_stamp(report.generated_at)}.",
        "",
        "| " + " | ".join(SUMMARY_HEAD) + " |",
        "|" + "---|" * len(SUMMARY_HEAD),
        *("| " + " | ".join(row) + " |" for row in _summary_rows(report)),
    ]
    for r in report.slos:
        lines += ["", f"## {r.service} / {r.slo}", ""]
        if r.description:
            lines += [r.description, ""]
        if r.missing:
            lines += [f"No data: {r.missing}", ""]
            continue
        worst = r.worst_days()
        lines.append(
            "Worst days: "
            + (
                ", ".join(f"{when(d.end - 86400)[:10]} ({percent(d.error_ratio)} errors)" for d in worst)
                or "none"
            )
            + "."
        )
        if r.alerts:
            lines += [
                "",
                "| Alert | Severity | Windows | Firings | Firing for | First |",
                "|---|---|---|---:|---:|---|",
            ]
            lines += [
                f"| {a.alertname} | {a.severity} | {a.windows} | {a.firings} "
                f"| {duration(a.firing_seconds)} | {when(a.first)} |"
                for a in r.alerts
            ]
        else:
            lines += ["", "No alert fired."]
        if r.response is not None:
            p = r.response
            lines += [
                "",
                f"Incidents in the receiver: {p.incidents}, {p.acknowledged} acknowledged; "
                "time to acknowledge "
                f"median {duration(p.ack_median_s)} (max {duration(p.ack_max_s)}), time to resolve median "
                f"{duration(p.resolve_median_s)} (max {duration(p.resolve_max_s)}).",
            ]
    if report.warnings:
        lines += ["", "## Warnings", "", *(f"- {w}" for w in report.warnings)]
    return "\n".join(lines) + "\n"


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i in numeric else ""} {_css(value)}">{html.escape(value)}</td>'
            for i, value in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _css(value: str) -> str:
    return {
        "met": "met",
        "missed": "missed",
        "no data": "nodata",
        "act now": "act-now",
        "this week": "this-week",
    }.get(value, "")


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def _day_labels(r: SLOResult) -> list[tuple[float, str]]:
    if not r.days:
        return []
    step = max(1, len(r.days) // 6)
    return [(d.end, when(d.end - 86400)[5:10]) for d in r.days[::step]]


def sla_html(report: SLAReport) -> str:
    met = sum(1 for r in report.slos if r.met)
    body = [
        f"<h1>SLA report: {html.escape(report.window.label)}</h1>",
        f"<p>{met} of {len(report.slos)} SLOs met their objective. Source: Prometheus at "
        f"{html.escape(report.prometheus)}, generated {_stamp(report.generated_at)}.</p>",
        _table(SUMMARY_HEAD, _summary_rows(report), {2, 3, 4, 5, 7}),
    ]
    for r in report.slos:
        body.append(f"<h2>{html.escape(r.service)} / {html.escape(r.slo)}</h2>")
        if r.missing:
            body.append(f'<p class="warning">No data: {html.escape(r.missing)}</p>')
            continue
        burn = [(d.end, 1 - d.burned) for d in r.days]
        ideal = [(r.days[0].end - 86400, 1.0), (r.days[-1].end, 0.0)] if r.days else []
        body.append(
            chart(
                f"Error budget left over the period ({percent(r.budget_remaining, 1)} at the end)",
                lines=[Line(burn, "#cf222e", "budget left"), Line(ideal, "#999", "even spend", dashed=True)],
                rules=[Rule(0.0, "#555", "budget exhausted")],
                y_format="{:.0%}",
                x_labels=_day_labels(r),
                y_range=(min(0.0, *(y for _, y in burn)) if burn else 0.0, 1.0),
            )
        )
        daily = [(d.end, 1 - d.error_ratio) for d in r.days if d.error_ratio is not None]
        lowest = min([r.objective - r.budget, *(y for _, y in daily)])
        low = lowest - 0.1 * (1 - lowest)  # room under the worst day, so its bar shows
        body.append(
            chart(
                "Compliance per day",
                bars=daily,
                rules=[Rule(r.objective, "#1a7f37", f"objective {percent(r.objective, 2)}")],
                y_format="{:.2%}",
                x_labels=_day_labels(r),
                y_range=(low, 1.0),
            )
        )
        if r.alerts:
            body.append(
                _table(
                    ["Alert", "Severity", "Windows", "Firings", "Firing for", "First"],
                    [
                        [
                            a.alertname,
                            a.severity,
                            a.windows,
                            str(a.firings),
                            duration(a.firing_seconds),
                            when(a.first),
                        ]
                        for a in r.alerts
                    ],
                    {3, 4},
                )
            )
        if r.response is not None:
            p = r.response
            body.append(
                f"<p>Incidents: {p.incidents}, {p.acknowledged} acknowledged; time to acknowledge median "
                f"{duration(p.ack_median_s)}, time to resolve median {duration(p.resolve_median_s)}.</p>"
            )
    if report.warnings:
        body.append(
            "<h2>Warnings</h2><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in report.warnings) + "</ul>"
        )
    return _page(f"SLA report: {report.window.label}", body)


# --- Capacity ----------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    magnitude = abs(value)
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= size:
            return f"{value / size:.2f}{suffix}"
    return f"{value:.3g}"


def _days(value: float | None) -> str:
    return "not running out" if value is None else f"{value:.1f}"


def capacity_rows(report: CapacityReport) -> list[list[str]]:
    return [
        [
            r.recommendation,
            r.owner,
            r.name,
            _number(r.current),
            _number(r.capacity),
            percent(r.used, 1),
            ("+" if r.growth_per_day > 0 else "") + _number(r.growth_per_day) + "/d",
            _days(r.days_left),
        ]
        for r in report.resources
    ]


CAPACITY_HEAD = ["Recommendation", "Owner", "Resource", "Now", "Capacity", "Used", "Growth", "Days left"]


def capacity_data(report: CapacityReport) -> dict[str, Any]:
    return {
        "prometheus": report.prometheus,
        "at": report.at,
        "warnings": report.warnings,
        "resources": [
            {
                "owner": r.owner,
                "team": r.team,
                "alert": r.alert,
                "resource": r.name,
                "labels": r.labels,
                "measures": r.measures,
                "current": r.current,
                "capacity": r.capacity,
                "used": r.used,
                "growth_per_day": r.growth_per_day,
                "days_left": r.days_left,
                "recommendation": r.recommendation,
            }
            for r in report.resources
        ],
    }


def capacity_json(report: CapacityReport) -> str:
    return json.dumps(capacity_data(report), indent=2, sort_keys=True) + "\n"


def capacity_csv(report: CapacityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "recommendation",
            "owner",
            "team",
            "alert",
            "resource",
            "current",
            "capacity",
            "used",
            "growth_per_day",
            "days_left",
        ]
    )
    for r in report.resources:
        writer.writerow(
            [
                r.recommendation,
                r.owner,
                r.team,
                r.alert,
                r.name,
                f"{r.current:g}",
                "" if r.capacity is None else f"{r.capacity:g}",
                "" if r.used is None else f"{r.used:.4f}",
                f"{r.growth_per_day:g}",
                "" if r.days_left is None else f"{r.days_left:.2f}",
            ]
        )
    return out.getvalue()


def capacity_markdown(report: CapacityReport) -> str:
    urgent = sum(1 for r in report.resources if r.recommendation == "act now")
    lines = [
        f"# Capacity report, {_stamp(report.at)}",
        "",
        f"{len(report.resources)} resources with a forecast, {urgent} to act on now. "
        "Growth is the trend over "
        "each forecast's lookback; days left at that trend. Source: Prometheus at " + report.prometheus + ".",
        "",
        "| " + " | ".join(CAPACITY_HEAD) + " |",
        "|" + "---|" * len(CAPACITY_HEAD),
        *("| " + " | ".join(row) + " |" for row in capacity_rows(report)),
    ]
    if report.warnings:
        lines += ["", "## Warnings", "", *(f"- {w}" for w in report.warnings)]
    return "\n".join(lines) + "\n"


def _forecast_line(r: Resource) -> list[tuple[float, float]]:
    if not r.trend:
        return []
    last_t, last_v = r.trend[-1]
    sign = -1 if r.measures == "remaining" else 1
    horizon = r.days_left if r.days_left is not None else 7.0
    end = last_t + min(horizon, 30.0) * 86400
    return [(last_t, last_v), (end, last_v + sign * r.growth_per_day * (end - last_t) / 86400)]


def capacity_html(report: CapacityReport) -> str:
    body = [
        f"<h1>Capacity report, {_stamp(report.at)}</h1>",
        _table(CAPACITY_HEAD, capacity_rows(report), {3, 4, 5, 6, 7}),
    ]
    for r in report.resources:
        if r.recommendation == "no action" or not r.trend:
            continue
        limit = 0.0 if r.measures == "remaining" else (r.capacity or 0.0)
        body.append(
            chart(
                f"{r.owner}: {r.name}, {_days(r.days_left)} days left",
                lines=[
                    Line(r.trend, "#5b8def", "last 7 days"),
                    Line(_forecast_line(r), "#cf222e", "forecast", dashed=True),
                ],
                rules=[Rule(limit, "#555", "exhausted")],
                y_format="{:.3g}",
            )
        )
    if report.warnings:
        body.append(
            "<h2>Warnings</h2><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in report.warnings) + "</ul>"
        )
    return _page("Capacity report", body)


SLA_RENDERERS = {"md": sla_markdown, "html": sla_html, "json": sla_json, "csv": sla_csv}
CAPACITY_RENDERERS = {
    "md": capacity_markdown,
    "html": capacity_html,
    "json": capacity_json,
    "csv": capacity_csv,
}
