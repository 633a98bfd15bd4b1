"""`gen report sla` and `gen report capacity`: the click commands, thin over the report modules.

Exit status: 0 with a report written, 1 when Prometheus (or the receiver) is unreachable or holds
none of the series the report needs, 2 for usage errors, as everywhere in `gen`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

PROMETHEUS_OPTION = click.option(
    "--prometheus",
    "prometheus_url",
    envvar="PROMETHEUS_URL",
    default="http://127.0.0.1:9090",
    show_default=True,
    help="Prometheus to read the recorded series from (env PROMETHEUS_URL).",
)
FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["md", "html", "json", "csv"]), default="md", show_default=True
)
OUT_OPTION = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file instead of standard output.",
)
ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Repository holding the definitions (which SLOs and forecasts to report on).",
)


def _progress(quiet: bool) -> Callable[[str], None]:
    def show(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    return show


def _model(root: Path):  # type: ignore[no-untyped-def]
    from generator.diagnostics import SourceCache, render_all
    from generator.pipeline import build

    result = build(root)
    if not result.ok or result.model is None:
        click.echo(render_all(result.diagnostics, SourceCache(root)), err=True)
        click.echo("the definitions do not build; fix them first (gen check)", err=True)
        sys.exit(1)
    return result.model


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@click.group("report")
def report_group() -> None:
    """Reports from what the generated rules record in Prometheus."""


@report_group.command("sla")
@ROOT_OPTION
@PROMETHEUS_OPTION
@click.option(
    "--period", default=None, help="The last PERIOD up to now (or --end), such as 30d. Default 30d."
)
@click.option("--month", default=None, metavar="YYYY-MM", help="A calendar month in UTC, such as 2026-10.")
@click.option("--end", default=None, help="End of --period (ISO time, UTC by default). Default: now.")
@click.option("--service", "services", multiple=True, help="Only these services (repeatable).")
@click.option(
    "--receiver", "receiver_url", default=None, help="The receiver, for acknowledgement and resolve times."
)
@FORMAT_OPTION
@OUT_OPTION
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def sla_command(
    root: Path,
    prometheus_url: str,
    period: str | None,
    month: str | None,
    end: str | None,
    services: tuple[str, ...],
    receiver_url: str | None,
    fmt: str,
    out: Path | None,
    quiet: bool,
) -> None:
    """SLO compliance, error budget and alerts per service over a period or a month."""
    from generator.report.periods import PeriodError, window
    from generator.report.prometheus import Prometheus, PrometheusError
    from generator.report.receiver_history import ReceiverHistory
    from generator.report.render import SLA_RENDERERS
    from generator.report.sla import sla_report

    now = time.time()
    try:
        span = window(period, month, end, now)
    except PeriodError as error:
        raise click.UsageError(str(error)) from None
    model = _model(root)
    progress = _progress(quiet)
    progress(f"SLA report for {span.label} from {prometheus_url}")
    prometheus = Prometheus(prometheus_url, progress=progress)
    receiver = ReceiverHistory(receiver_url) if receiver_url else None
    try:
        report = sla_report(model, prometheus, span, now, receiver, progress, services)
    except PrometheusError as error:
        click.echo(f"gen report sla: {error}", err=True)
        sys.exit(1)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    _emit(SLA_RENDERERS[fmt](report), out)


@report_group.command("capacity")
@ROOT_OPTION
@PROMETHEUS_OPTION
@FORMAT_OPTION
@OUT_OPTION
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
def capacity_command(root: Path, prometheus_url: str, fmt: str, out: Path | None, quiet: bool) -> None:
    """Resources with a forecast: use, growth per day, days until exhausted, what to do."""
    from generator.report.capacity import capacity_report
    from generator.report.prometheus import Prometheus, PrometheusError
    from generator.report.render import CAPACITY_RENDERERS

    model = _model(root)
    progress = _progress(quiet)
    prometheus = Prometheus(prometheus_url, progress=progress)
    try:
        report = capacity_report(model, prometheus, time.time(), progress)
    except PrometheusError as error:
        click.echo(f"gen report capacity: {error}", err=True)
        sys.exit(1)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    _emit(CAPACITY_RENDERERS[fmt](report), out)
