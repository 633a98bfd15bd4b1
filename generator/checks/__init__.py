"""Stage 6, check: offline checks with stable ids, registered by a decorator.

A check is a small function from the model to findings; its docstring is its documentation
(`gen checks` prints the first line). Ids look like `alerts/summary`: the family, then what is
checked. Checks can be switched off for the repository (Settings `checks.disabled`), for one run
(`gen check --disable ID`) or for one rule (its `disable_checks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from generator.diagnostics import Diagnostic, Location, Severity
from generator.model import AlertRule, Model, RecordingRule, Rule, RuleGroup


@dataclass(frozen=True)
class Finding:
    location: Location
    message: str
    hint: str = ""
    rule: Rule | None = None
    severity: Severity | None = None  # None: the check's default


CheckFunction = Callable[[Model], Iterable[Finding]]


@dataclass(frozen=True)
class CheckInfo:
    id: str
    severity: Severity
    function: CheckFunction | None
    doc: str
    needs: str = ""  # a real tool the check runs, when it is not offline

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


REGISTRY: dict[str, CheckInfo] = {}


def check(check_id: str, severity: Severity = Severity.WARNING) -> Callable[[CheckFunction], CheckFunction]:
    """Register an offline check under a stable id."""

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise ValueError(f"check id {check_id} registered twice")
        REGISTRY[check_id] = CheckInfo(check_id, severity, function, function.__doc__ or "")
        return function

    return register


def tool_check(check_id: str, tool: str, doc: str) -> None:
    """Register a check that runs a real tool (listed by `gen checks`, run by `gen check`)."""
    REGISTRY[check_id] = CheckInfo(check_id, Severity.ERROR, None, doc, needs=tool)


def iter_rules(model: Model) -> Iterator[tuple[RuleGroup, RecordingRule | AlertRule]]:
    for group in model.rule_groups:
        for rule in group.rules:
            yield group, rule


def iter_alerts(model: Model) -> Iterator[tuple[RuleGroup, AlertRule]]:
    for group, rule in iter_rules(model):
        if isinstance(rule, AlertRule):
            yield group, rule


def run(model: Model, disabled: Iterable[str] = ()) -> list[Diagnostic]:
    """Run every registered offline check not switched off."""
    _load_all()
    off = set(disabled) | set(model.settings.disabled_checks)
    out: list[Diagnostic] = []
    for info in sorted(REGISTRY.values(), key=lambda i: i.id):
        if info.function is None or info.id in off:
            continue
        for finding in info.function(model):
            if finding.rule is not None and info.id in finding.rule.disabled_checks:
                continue
            out.append(
                Diagnostic(
                    finding.location,
                    finding.message,
                    code=info.id,
                    severity=finding.severity or info.severity,
                    hint=finding.hint,
                )
            )
    return out


def unknown_ids(ids: Iterable[str]) -> list[str]:
    _load_all()
    return sorted(i for i in ids if i not in REGISTRY)


def _load_all() -> None:
    # Importing the modules registers their checks.
    from generator.checks import alerts as _alerts  # noqa: F401
    from generator.checks import dashboards as _dashboards  # noqa: F401
    from generator.checks import promql as _promql  # noqa: F401
    from generator.checks import routing as _routing  # noqa: F401
    from generator.checks import rules as _rules  # noqa: F401
    from generator.checks import scrape as _scrape  # noqa: F401
    from generator.checks import secrets as _secrets  # noqa: F401
    from generator.checks import templates as _templates  # noqa: F401
    from generator.checks import tools as _tools  # noqa: F401


def all_checks() -> list[CheckInfo]:
    _load_all()
    return sorted(REGISTRY.values(), key=lambda i: i.id)
