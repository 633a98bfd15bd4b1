"""The library entry point: `build()` runs load, overlay, spec, resolve and compile.

The CLI, the tests and the benchmarks all call this. It never writes: the caller decides whether
to write (`write.write`) or compare (`write.plan`/`write.diff`). It never raises for a user's
mistake: problems come back as diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generator import grafanalib_dashboards, schema
from generator.compile import Artifact
from generator.compile.alertmanager import compile_alertmanager
from generator.compile.exporters import compile_probe_config, compile_push_config, compile_sql_config
from generator.compile.grafana_dashboards import compile_dashboards
from generator.compile.grafana_provisioning import compile_provisioning
from generator.compile.grafana_user_dashboards import compile_user_dashboards
from generator.compile.prometheus_config import compile_config
from generator.compile.prometheus_rules import compile_rules
from generator.compile.receiver_config import compile_receiver_config
from generator.diagnostics import Diagnostic, has_errors
from generator.imports import translate
from generator.load import load, load_templates
from generator.model import Model
from generator.overlay import apply, patches_for
from generator.resolve import resolve
from generator.spec.validate import ParsedDocument, validate
from generator.write import render


class UnknownEnvironment(Exception):
    """`--env NAME` names an environment no overlay declares (a usage error)."""

    def __init__(self, environment: str, known: list[str]) -> None:
        self.environment = environment
        self.known = known
        listing = ", ".join(known) if known else "none are declared (kind: Overlay)"
        super().__init__(f"unknown environment {environment!r}; known environments: {listing}")


@dataclass
class BuildResult:
    model: Model | None
    files: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.model is not None and not has_errors(self.diagnostics)


def compile_all(model: Model) -> list[Artifact]:
    """Every artifact of every target, in a stable order."""
    artifacts = [compile_config(model), *compile_rules(model), schema.artifact()]
    if model.alertmanager is not None:
        artifacts += compile_alertmanager(model.alertmanager)
    artifacts += compile_receiver_config(model)
    artifacts += compile_probe_config(list(model.health_checks))
    sources = dict(model.exporter_sources)
    artifacts += compile_sql_config(model.kpis, sources.get("BusinessKPIs", ""))
    artifacts += compile_push_config(model.push_bridge, sources.get("PushBridge", ""))
    artifacts += [*compile_dashboards(model), *compile_user_dashboards(model), *compile_provisioning(model)]
    return sorted(artifacts, key=lambda a: a.path)


def parse(
    root: Path, environment: str | None = None
) -> tuple[list[ParsedDocument], list[Diagnostic], list[str]]:
    """Load and validate the definitions, with the environment's overlay applied."""
    loaded = load(root)
    # Sloth and OpenSLO files become native documents here, before anything validates them.
    translated, imported = translate(loaded.documents)
    # The loader reported secret-looking values already, as it built the trees.
    diagnostics = [*loaded.diagnostics, *imported]
    overlays: list[ParsedDocument] = []
    others = []
    for raw in translated:
        if raw.data.get("kind") == "Overlay":
            parsed, problems = validate(raw)
            diagnostics.extend(problems)
            if parsed is not None:
                overlays.append(parsed)
        else:
            others.append(raw)
    if environment is not None:
        known = sorted({str(getattr(o.spec, "environment", "")) for o in overlays})
        if environment not in known and not has_errors(diagnostics):
            raise UnknownEnvironment(environment, known)
        others, problems = apply(others, patches_for(overlays, environment))
        diagnostics.extend(problems)
    documents: list[ParsedDocument] = []
    for raw in others:
        parsed, problems = validate(raw)
        diagnostics.extend(problems)
        if parsed is not None:
            documents.append(parsed)
    return documents, diagnostics, sorted({*loaded.files, *loaded.included})


def _one_per_line(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The secret scan is a safety net: where a field's own validation already reported the line
    (an inline `api_url:`, a URL with a password), it does not repeat it."""
    others = {(d.location.file, d.location.line) for d in diagnostics if d.code != "secret"}
    return [d for d in diagnostics if d.code != "secret" or (d.location.file, d.location.line) not in others]


def build(root: Path, environment: str | None = None) -> BuildResult:
    """Compile the definitions under `root` into output files (in memory)."""
    documents, diagnostics, files = parse(root, environment)
    grafanalib = grafanalib_dashboards.load(root)
    diagnostics.extend(grafanalib.diagnostics)
    files = sorted({*files, *grafanalib.inputs})
    # Resolve what did validate, so one run reports everything; but a reference to a definition
    # that failed validation is not a second mistake, so those findings are dropped then.
    parse_failed = has_errors(diagnostics)
    model, problems = resolve(documents, environment, files, load_templates(root), grafanalib.dashboards)
    diagnostics.extend(p for p in problems if not (parse_failed and p.code == "reference"))
    if model is None or has_errors(diagnostics):
        return BuildResult(None, diagnostics=_one_per_line(diagnostics), inputs=files)
    return BuildResult(model, render(compile_all(model), environment), diagnostics, files)
