"""`gen deploy`: apply generated/ to running Prometheus, Alertmanagers, Grafana and a ruler.

Exit status: 0 applied (or, in a dry run, planned), 1 a server refused or could not be reached,
2 usage errors. In CI (the CI environment variable set) a dry run is the default.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from generator.deploy.run import Outcome, Target

# docker-compose.yml publishes the two Alertmanagers at 9093 and 9193.
DEFAULT_PROMETHEUS = ("http://localhost:9090",)
DEFAULT_ALERTMANAGERS = ("http://localhost:9093", "http://localhost:9193")


def _print(outcome: Outcome, dry_run: bool, show_diff: bool, verbose: bool) -> None:
    for name, plan in outcome.plans.items():
        changed = [change for change in plan if change.changes_anything]
        click.echo(f"{name}: {len(changed)} to change, {len(plan) - len(changed)} unchanged")
        for change in plan if verbose else changed:
            click.echo(f"  {change.line()}")
            if show_diff and change.diff:
                click.echo("".join(f"    {line}" for line in change.diff.splitlines(keepends=True)), nl=False)
    if dry_run:
        click.echo(f"dry run: {len(outcome.changes)} changes planned, nothing applied (--apply applies)")
    else:
        for name in outcome.applied:
            click.echo(f"applied: {name}")


def _urls(given: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
    return [url.rstrip("/") for url in (given or default)]


@click.command("deploy")
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("generated"),
    show_default=True,
    help="The files the servers read (generated/, or the copies `gen dev` prints).",
)
@click.option("--prometheus-url", "prometheus_urls", multiple=True, metavar="URL", help="Repeatable.")
@click.option("--alertmanager-url", "alertmanager_urls", multiple=True, metavar="URL", help="Repeatable.")
@click.option("--skip", multiple=True, type=click.Choice(["prometheus", "alertmanager"]), help="Repeatable.")
@click.option("--grafana-url", metavar="URL", help="Push dashboards to this Grafana's HTTP API.")
@click.option(
    "--grafana-token-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="File holding a Grafana service account token.",
)
@click.option(
    "--grafana-basic-auth-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="File holding user:password for Grafana (instead of a token).",
)
@click.option("--ruler-url", metavar="URL", help="Sync rule groups to this Mimir/Cortex ruler.")
@click.option("--ruler-tenant", metavar="ID", help="X-Scope-OrgID for a multi-tenant ruler.")
@click.option(
    "--ruler-prefix",
    default="/prometheus/config/v1/rules",
    show_default=True,
    help="The ruler's rules API path (Cortex: /api/v1/rules).",
)
@click.option(
    "--generated",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("generated"),
    show_default=True,
    help="Where dashboards and rule groups for Grafana and the ruler come from.",
)
@click.option(
    "--dry-run/--apply",
    "dry_run",
    default=None,
    help="Only show what would change. Default: --dry-run when $CI is set, else --apply.",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff of every change.")
@click.option("-v", "--verbose", is_flag=True, help="List unchanged items too.")
def deploy_command(
    config_dir: Path,
    prometheus_urls: tuple[str, ...],
    alertmanager_urls: tuple[str, ...],
    skip: tuple[str, ...],
    grafana_url: str | None,
    grafana_token_file: Path | None,
    grafana_basic_auth_file: Path | None,
    ruler_url: str | None,
    ruler_tenant: str | None,
    ruler_prefix: str,
    generated: Path,
    dry_run: bool | None,
    show_diff: bool,
    verbose: bool,
) -> None:
    """Reload Prometheus and the Alertmanagers on generated/, push dashboards, sync a ruler."""
    from generator.deploy.changes import DeployError
    from generator.deploy.run import ALERTMANAGER, PROMETHEUS, ReloadedServer, deploy
    from generator.stack.localize import ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG

    if dry_run is None:
        dry_run = bool(os.environ.get("CI"))
    # In the order of run.py: a ruler's groups, Prometheus, the Alertmanagers, Grafana last (its
    # panels query what the rules record).
    targets: list[Target] = []
    try:
        if ruler_url:
            targets.append(_ruler_target(generated, ruler_url, ruler_tenant, ruler_prefix))
        if "prometheus" not in skip:
            config = config_dir / PROMETHEUS_CONFIG
            if not config.is_file():
                raise click.UsageError(f"{config} is missing: run `gen build` first")
            urls = _urls(prometheus_urls, DEFAULT_PROMETHEUS)
            targets += [ReloadedServer(PROMETHEUS, url, config) for url in urls]
        if "alertmanager" not in skip and (config_dir / ALERTMANAGER_CONFIG).is_file():
            config = config_dir / ALERTMANAGER_CONFIG
            urls = _urls(alertmanager_urls, DEFAULT_ALERTMANAGERS)
            targets += [ReloadedServer(ALERTMANAGER, url, config) for url in urls]
        if grafana_url:
            targets.append(
                _grafana_target(generated, grafana_url, grafana_token_file, grafana_basic_auth_file)
            )
    except DeployError as error:  # unreadable credentials
        raise click.UsageError(str(error)) from None
    outcome = deploy(targets, dry_run=dry_run, announce=lambda text: click.echo(text, err=True))
    _print(outcome, dry_run, show_diff, verbose)
    if outcome.error is not None:
        click.echo(f"deploy failed: {outcome.error}", err=True)
        sys.exit(1)


def _ruler_target(generated: Path, url: str, tenant: str | None, prefix: str) -> Target:
    from generator.deploy import ruler
    from generator.deploy.run import FunctionTarget

    client = ruler.RulerClient(url.rstrip("/"), prefix=prefix, tenant=tenant)
    return FunctionTarget(
        f"ruler {url}",
        lambda: ruler.plan_rules(generated, client),
        lambda plan: ruler.apply_rules(generated, client, plan),
    )


def _grafana_target(
    generated: Path, url: str, token_file: Path | None, basic_auth_file: Path | None
) -> Target:
    from generator.deploy import grafana
    from generator.deploy.run import FunctionTarget

    client = grafana.GrafanaClient(url.rstrip("/"), token_file=token_file, basic_auth_file=basic_auth_file)
    return FunctionTarget(
        f"Grafana {url}",
        lambda: grafana.plan_dashboards(generated, client),
        lambda plan: grafana.apply_dashboards(generated, client, plan),
    )
