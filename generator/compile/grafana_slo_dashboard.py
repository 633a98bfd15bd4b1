"""The dashboard of one SLO: objective, compliance, error budget left, burn rate per window, the
budget's burn-down and compliance per day over the SLO's period (the SRE workbook's views,
https://sre.google/workbook/alerting-on-slos/), on the recording rules `resolve_slos` generates.
"""

from __future__ import annotations

from typing import Any

from generator import conventions as names
from generator import panels as p
from generator.durations import format_duration
from generator.model import SLO, Model
from generator.resolve_slos import decimal_text


def slo_dashboard(model: Model, slo: SLO) -> dict[str, Any]:
    sli = f'service="{slo.service}", sli="{slo.sli}"'
    labels = f'service="{slo.service}", slo="{slo.name}"'
    budget = decimal_text(slo.error_budget)
    period = format_duration(slo.period.milliseconds)
    fast = float(slo.windows[0].burn_rate)
    stats = [
        p.stat(
            "Objective",
            [p.Query(f"{names.SLO_OBJECTIVE}{{{labels}}}")],
            unit="ratio",
            decimals=3,
            graph=False,
        ),
        p.stat(
            f"Compliance over {period}",
            [p.Query(f"{names.SLO_COMPLIANCE}{{{labels}}}")],
            unit="ratio",
            decimals=3,
            steps=[(None, "red"), (float(slo.objective), "green")],
            graph=False,
        ),
        p.stat(
            "Error budget left",
            [p.Query(f"{names.SLO_BUDGET_REMAINING}{{{labels}}}")],
            unit="ratio",
            decimals=1,
            steps=[(None, "red"), (0.25, "orange"), (0.5, "green")],
            graph=False,
        ),
        p.stat(
            "Burn rate now",
            [p.Query(f"{names.SLO_CURRENT_BURN_RATE}{{{labels}}}")],
            decimals=2,
            steps=[(None, "green"), (1, "orange"), (fast, "red")],
            graph=False,
        ),
    ]
    windows = sorted({w.long.milliseconds for w in slo.windows} | {w.short.milliseconds for w in slo.windows})
    burn = p.timeseries(
        "Burn rate by window",
        [
            p.Query(f"{names.slo_error_ratio(format_duration(ms))}{{{sli}}} / {budget}", format_duration(ms))
            for ms in windows
        ],
        steps=[(None, "green"), (1, "orange"), (fast, "red")],
        threshold_line=True,
        width=12,
        description="How many times faster than sustainable the error budget burns, per window; the lines "
        "are the ticket (1x) and fast page thresholds.",
        panel_id=names.SLO_BURN_PANEL_ID,
    )
    burndown = p.timeseries(
        f"Error budget left over the {period}",
        [p.Query(f"{names.SLO_BUDGET_REMAINING}{{{labels}}}", "budget left")],
        unit="ratio",
        maximum=1,
        width=12,
        steps=[(None, "red"), (0, "orange"), (0.5, "green")],
        threshold_line=True,
    )
    ratio = p.timeseries(
        "Error ratio",
        [
            p.Query(f"{names.slo_error_ratio('5m')}{{{sli}}}", "5m"),
            p.Query(f"{names.slo_error_ratio('1h')}{{{sli}}}", "1h"),
        ],
        unit="ratio",
        steps=[(None, "green"), (float(slo.error_budget), "red")],
        threshold_line=True,
        width=12,
    )
    daily = p.timeseries(
        "Compliance per day",
        [p.Query(f"1 - avg_over_time({names.slo_error_ratio('5m')}{{{sli}}}[1d])", "compliance")],
        unit="ratio",
        steps=[(None, "red"), (float(slo.objective), "green")],
        threshold_line=True,
        width=12,
    )
    return p.dashboard(
        names.slo_dashboard_uid(slo.service, slo.name),
        f"SLO: {slo.service} {slo.name}",
        [*stats, burn, burndown, ratio, daily],
        tags=[slo.team, "slo", slo.service],
        description=slo.description,
        time_from=f"now-{period}",
        refresh="5m",
        links=[
            p.dashboard_link(
                f"Service {slo.service}",
                model.settings.dashboard_url(names.service_dashboard_uid(slo.service)),
            )
        ],
        datasource_uid=model.settings.grafana_datasource_uid,
    )
