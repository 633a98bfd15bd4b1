"""The `gen` command: a thin client of the library.

Exit status: 0 clean, 1 problems in the definitions or generated files, 2 usage errors. This is
the only place that turns outcomes into exit codes and prints.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from generator import cache, version
from generator.diagnostics import Diagnostic, Severity, SourceCache, has_errors, render_all, summary

if TYPE_CHECKING:
    from generator.pipeline import BuildResult

# Routing tests run in amtool when it is there; the Python evaluation is their offline stand-in.
ROUTING_TESTS = "routing/tests"

# The pipeline, pydantic and the parsers are imported inside the commands that need them, so that
# `gen build` with nothing changed answers from the cache without paying for their import.

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Repository holding rules/, prometheus/, alertmanager/.",
)
ENV_OPTION = click.option(
    "--env",
    "environment",
    metavar="NAME",
    default=None,
    help="Apply the overlay of this environment (for example prod).",
)


def _report(diagnostics: list[Diagnostic], root: Path, *, quiet: bool = False) -> None:
    shown = [d for d in diagnostics if not quiet or d.severity is not Severity.INFO]
    if shown:
        click.echo(render_all(shown, SourceCache(root)), err=True)
        click.echo(summary(shown), err=True)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """A build allocates hundreds of thousands of small objects and frees them all at exit; the
    cyclic collector would spend a third of a large build rescanning them (measured in bench/)."""
    gc.disable()
    try:
        yield
    finally:
        # What the build made lives until exit; keep the collector from rescanning it.
        gc.freeze()
        gc.enable()


def _build(root: Path, environment: str | None) -> BuildResult:
    from generator.pipeline import UnknownEnvironment, build

    try:
        with _no_cyclic_gc():
            result = build(root, environment)
    except UnknownEnvironment as error:
        raise click.UsageError(str(error)) from None
    if _quick_exit:
        _kept_until_exit.append(result)
    return result


# Set by `entry`, the `gen` program: the process ends when the command does. A build's result (its
# trees, parser nodes and model: hundreds of thousands of objects) is then kept instead of freed
# one by one, and the interpreter exits without tearing down (as mypy does): 0.05-0.09 s of a cold
# build of 500 dashboards (bench/RESULTS.md). Library callers and tests (CliRunner) free as usual.
_quick_exit = False
_kept_until_exit: list[object] = []


def entry() -> None:
    """The `gen` program (`[project.scripts]`, `python -m generator`): `main`, then a quick exit.

    Exit handlers still run (coverage, temporary files); only the freeing of every object is
    skipped. An unexpected exception leaves the usual way, with its traceback.
    """
    global _quick_exit
    _quick_exit = True
    try:
        main(prog_name="gen")
        code = 0
    except SystemExit as stop:
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def default_out(root: Path, environment: str | None) -> Path:
    """`generated/` for the default build, `generated-<env>/` for an environment's build."""
    return root / ("generated" if environment is None else f"generated-{environment}")


def _print_version(context: click.Context, _parameter: click.Parameter, value: bool) -> None:
    """`--version`, looked up only when asked (see `generator.version`)."""
    if value and not context.resilient_parsing:
        click.echo(f"gen, version {version()}")
        context.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main() -> None:
    """Monitoring as code: compile definitions into Prometheus configuration, and check it."""


@main.command("build")
@ROOT_OPTION
@ENV_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder. Default: generated/ (generated-<env>/ with --env).",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; fail with a diff when the output folder is out of date.",
)
@click.option("--diff", "show_diff", is_flag=True, help="Also print the unified diff of what changed.")
@click.option("--no-cache", is_flag=True, help="Build fully even when nothing changed since the last build.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build_command(
    root: Path,
    environment: str | None,
    out: Path | None,
    check_only: bool,
    show_diff: bool,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Compile the definitions into the output folder (atomically, unchanged files untouched)."""
    target = out if out is not None else default_out(root, environment)
    before = cache.Inputs(root, environment, target)
    if not no_cache and cache.up_to_date(root, environment, target, before):
        if not quiet:
            click.echo(f"{target}: up to date (no input changed since the last build)")
        return
    from generator.write import diff, diffstat, plan, write

    result = _build(root, environment)
    _report(result.diagnostics, root, quiet=quiet)
    if not result.ok:
        click.echo("build failed: nothing was written", err=True)
        sys.exit(1)
    changes = plan(target, result.files)
    if check_only:
        if changes.clean:
            cache.record(root, environment, target, result.inputs, result.files, before)
            if not quiet:
                click.echo(f"{target}: up to date ({changes.unchanged} files)")
            return
        click.echo(diff(target, result.files, changes), nl=False)
        click.echo(
            f"{target} is out of date: {len(changes.created)} new, {len(changes.changed)} changed, "
            f"{len(changes.removed)} stale; run `gen build`",
            err=True,
        )
        sys.exit(1)
    changed_lines = diffstat(target, result.files, changes) if not quiet else []
    text = diff(target, result.files, changes) if show_diff else ""
    write(target, result.files, changes)
    cache.record(root, environment, target, result.inputs, result.files, before)
    if not quiet:
        click.echo(
            f"{target}: {len(changes.created)} new, {len(changes.changed)} changed, "
            f"{len(changes.removed)} removed, {changes.unchanged} unchanged"
        )
        for path, status, added, removed in changed_lines:
            click.echo(f"  {status} {path} (+{added} -{removed})")
    if text:
        click.echo(text, nl=False)


@main.command("check")
@ROOT_OPTION
@ENV_OPTION
@click.option("--disable", "disabled", multiple=True, metavar="ID", help="Skip a check (repeatable).")
@click.option("--offline", is_flag=True, help="Skip the real tools (promtool); run offline checks only.")
@click.option("-q", "--quiet", is_flag=True, help="Do not print informational findings.")
def check_command(
    root: Path, environment: str | None, disabled: tuple[str, ...], offline: bool, quiet: bool
) -> None:
    """Run the offline checks and promtool on what the definitions generate."""
    from generator import checks
    from generator.checks.tools import run_tools
    from generator.write import plan, write

    unknown = checks.unknown_ids(disabled)
    if unknown:
        raise click.UsageError(f"unknown check id(s): {', '.join(unknown)}; see `gen checks`")
    result = _build(root, environment)
    diagnostics = list(result.diagnostics)
    if result.ok and result.model is not None:
        offline_only = () if offline or shutil.which("amtool") is None else (ROUTING_TESTS,)
        diagnostics += checks.run(result.model, (*disabled, *offline_only))
        if not offline:
            with tempfile.TemporaryDirectory(prefix="gen-check-") as scratch:
                out = Path(scratch)
                write(out, result.files, plan(out, result.files))
                off = set(disabled) | set(result.model.settings.disabled_checks)
                diagnostics += run_tools(out, result.model, off)
    _report(diagnostics, root, quiet=quiet)
    if has_errors(diagnostics) or not result.ok:
        sys.exit(1)
    if not quiet:
        click.echo("checks passed" + ("" if offline else " (offline checks, promtool and amtool)"))


@main.command("checks")
def checks_command() -> None:
    """List the checks with their ids, default severity and what they verify."""
    from generator import checks

    for info in checks.all_checks():
        tag = f" (runs {info.needs})" if info.needs else ""
        click.echo(f"{info.id:<28} {info.severity!s:<8} {info.summary}{tag}")


@main.command("schema")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
def schema_command(out: Path | None) -> None:
    """Print the JSON Schema of the definitions (for editor completion and validation)."""
    from generator.schema import shipped

    text = shipped()
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


def _register_reports() -> None:
    from generator.deploy.command import deploy_command
    from generator.report.command import report_group
    from generator.stack.command import dev_command

    main.add_command(report_group)
    main.add_command(dev_command)
    main.add_command(deploy_command)


_register_reports()
