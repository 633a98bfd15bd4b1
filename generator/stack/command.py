"""`gen dev`: the stack from installed binaries on 127.0.0.1, on generated/, until Ctrl-C.

When generated/ changes (`gen build` in another terminal), the copies are translated again and
Prometheus and the Alertmanagers reload through the same code as `gen deploy`, so a reload that
fails is shown and the old config keeps running.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from generator.deploy.run import Target
    from generator.stack.local import LocalStack

POLL_S = 1.0


def _stamp(generated: Path) -> tuple[tuple[str, int, int], ...]:
    """What generated/ holds, cheaply: `gen build` leaves unchanged files untouched and replaces
    changed ones, so names, sizes and modification times change exactly when content does."""
    files = []
    for path in sorted(generated.rglob("*")):
        try:
            status = path.stat()
        except FileNotFoundError:  # replaced while we looked; the next poll sees it
            continue
        files.append((str(path), status.st_mtime_ns, status.st_size))
    return tuple(files)


def reload_targets(stack: LocalStack) -> list[Target]:
    from generator.deploy.run import ALERTMANAGER, PROMETHEUS, ReloadedServer
    from generator.stack.localize import ALERTMANAGER_CONFIG, PROMETHEUS_CONFIG

    files = stack.localized.files
    targets: list[Target] = [ReloadedServer(PROMETHEUS, stack.url("prometheus"), files[PROMETHEUS_CONFIG])]
    if ALERTMANAGER_CONFIG in files:
        targets += [
            ReloadedServer(ALERTMANAGER, stack.url(member), files[ALERTMANAGER_CONFIG])
            for member in sorted(stack.options.ports.cluster)
            if stack.running(member)
        ]
    return targets


def apply_changes(stack: LocalStack) -> str:
    """Translate generated/ again and reload what changed; one line saying what happened."""
    from generator.deploy.run import deploy

    stack.relocalize()
    outcome = deploy(reload_targets(stack), dry_run=False)
    if outcome.error is not None:
        return f"reload failed, the old config keeps running: {outcome.error}"
    if not outcome.applied:
        return "generated/ changed; nothing the servers read did"
    return "reloaded: " + ", ".join(outcome.applied)


def _describe(stack: LocalStack) -> list[str]:
    lines = [f"  {process.name:<15} {stack.url(process.name)}" for process in stack.processes]
    lines += [f"  {name:<15} not started: {why}" for name, why in sorted(stack.skipped.items())]
    if stack.localized.placeholders:
        lines.append(
            "  placeholder secrets (put the real ones in the secrets folder): "
            + ", ".join(stack.localized.placeholders)
        )
    lines.append(f"  state, logs and translated config: {stack.options.state}")
    return lines


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@click.command("dev")
@click.option(
    "--generated",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("generated"),
    show_default=True,
    help="The generated folder to run.",
)
@click.option(
    "--state",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".gen-dev"),
    show_default=True,
    help="Where data, logs and the translated config live (kept between runs).",
)
@click.option(
    "--secrets",
    "secrets_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("secrets"),
    show_default=True,
    help="Secret files as docker-compose.yml mounts them: <component>/<name>.",
)
@click.option("--no-node-exporter", is_flag=True, help="Do not start node_exporter.")
@click.option(
    "--port-offset",
    type=click.IntRange(0, 50000),
    default=0,
    help="Add this to every port (9090, 9093, ...) to run beside another stack.",
)
def dev_command(
    generated: Path, state: Path, secrets_dir: Path, no_node_exporter: bool, port_offset: int
) -> None:
    """Run Prometheus, two clustered Alertmanagers, node_exporter, the exporters and the receiver
    on 127.0.0.1 with the generated config, until Ctrl-C."""
    # Imported here: `gen build` answering from its cache should not pay for them.
    from generator.stack.layout import Ports
    from generator.stack.local import StackOptions, running_stack
    from generator.stack.processes import StackError

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    options = StackOptions(
        generated=generated,
        state=state.resolve(),
        ports=Ports.defaults().shifted(port_offset),
        secrets=secrets_dir if secrets_dir.is_dir() else None,
        node_exporter=not no_node_exporter,
    )
    try:
        with running_stack(options) as stack:
            # Taken before telling anyone, so that a build right after counts.
            applied = previous = _stamp(generated)
            click.echo("the stack is up:")
            click.echo("\n".join(_describe(stack)))
            click.echo("Ctrl-C stops it; `gen build` in another terminal reloads it.", err=True)
            while True:
                time.sleep(POLL_S)
                dead = stack.exited()
                if dead:
                    for process in dead:
                        click.echo(f"{process.name} exited:\n{process.tail()}", err=True)
                    sys.exit(1)
                stamp = _stamp(generated)
                # Applied once it held still for a poll: a build replaces its files one by one.
                if stamp == previous and stamp != applied:
                    applied = stamp
                    click.echo(apply_changes(stack), err=True)
                previous = stamp
    except StackError as error:
        click.echo(f"gen dev: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
