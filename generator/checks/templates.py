"""Checks on the Go templates in alert annotations and labels.

promtool parses templates too, but points into generated files; this check points at the
definition and also finds `$labels.x` for a label the expression's result cannot have (it renders
as an empty string in the notification, the most common template mistake).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.checks import Finding, check, iter_alerts
from generator.diagnostics import Severity
from generator.model import AlertRule, Model
from generator.promql import output_labels, parse

# Functions of Prometheus' template engine (template/template.go) plus Go's text/template
# builtins; each was checked against promtool 2.42 (`safeUrl` came later and is absent there).
TEMPLATE_FUNCTIONS = frozenset(
    [
        "first",
        "label",
        "value",
        "strvalue",
        "args",
        "reReplaceAll",
        "safeHtml",
        "match",
        "title",
        "toUpper",
        "toLower",
        "graphLink",
        "tableLink",
        "sortByLabel",
        "humanize",
        "humanize1024",
        "humanizeDuration",
        "humanizePercentage",
        "humanizeTimestamp",
        "pathPrefix",
        "externalURL",
        "parseDuration",
        "stripPort",
        "stripDomain",
        "query",
        "toTime",
        "and",
        "call",
        "html",
        "index",
        "slice",
        "js",
        "len",
        "not",
        "or",
        "print",
        "printf",
        "println",
        "urlquery",
        "eq",
        "ge",
        "gt",
        "le",
        "lt",
        "ne",
    ]
)
KEYWORDS = frozenset(
    {
        "if",
        "else",
        "end",
        "range",
        "with",
        "define",
        "template",
        "block",
        "break",
        "continue",
        "nil",
        "true",
        "false",
    }
)
OPENERS = frozenset({"if", "range", "with", "define", "block"})

_ACTION = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|`[^`]*`|\'(?:\\.|[^\'\\])*\'')
_WORD = re.compile(r"(?<![$.\w])([A-Za-z_][A-Za-z0-9_]*)")
_LABEL_REF = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)")


def template_problems(text: str) -> list[str]:
    """Syntax problems of one template: unbalanced braces and blocks, unknown functions."""
    problems: list[str] = []
    stripped = _ACTION.sub("", text)
    if "{{" in stripped:
        problems.append("an opening `{{` has no closing `}}`")
    elif "}}" in stripped:
        problems.append("a closing `}}` has no opening `{{`")
    depth = 0
    for match in _ACTION.finditer(text):
        action = _STRING.sub('""', match.group(1)).strip()
        if action.startswith("/*"):
            continue
        if action.count('"') % 2:
            problems.append(f"unterminated string in {{{{{match.group(1)}}}}}")
            continue
        words = _WORD.findall(action)
        if words and words[0] in OPENERS:
            depth += 1
        elif words and words[0] == "end":
            depth -= 1
            if depth < 0:
                problems.append("`{{ end }}` without an opening if, range or with")
                depth = 0
        for word in words:
            if word not in KEYWORDS and word not in TEMPLATE_FUNCTIONS:
                problems.append(f"function {word!r} is not defined in Prometheus templates")
    if depth > 0:
        problems.append("an if, range or with block has no `{{ end }}`")
    return problems


def _templates(rule: AlertRule) -> Iterator[tuple[str, str]]:
    for key, value in rule.annotations:
        yield f"annotation {key}", value
    for key, value in rule.labels:
        yield f"label {key}", value


@check("alerts/template", Severity.ERROR)
def template_syntax(model: Model) -> Iterator[Finding]:
    """Alert annotations and labels are valid Prometheus templates (balanced `{{ }}`, known functions)."""
    for _, rule in iter_alerts(model):
        for where, text in _templates(rule):
            if "{{" not in text and "}}" not in text:
                continue
            for problem in template_problems(text):
                yield Finding(
                    rule.location,
                    f"alert {rule.alert}, {where}: {problem}",
                    hint="see https://prometheus.io/docs/prometheus/latest/configuration/template_reference/",
                    rule=rule,
                )


@check("alerts/template-labels", Severity.WARNING)
def template_labels(model: Model) -> Iterator[Finding]:
    """Templates refer only to labels the alert's expression keeps (`$labels.x` would render empty)."""
    for _, rule in iter_alerts(model):
        available = output_labels(parse(rule.expr))
        for where, text in _templates(rule):
            for label in sorted(set(_LABEL_REF.findall(text))):
                if not available.has(label):
                    kept = ", ".join(sorted(available.names)) or "none"
                    yield Finding(
                        rule.location,
                        f"alert {rule.alert}, {where}: $labels.{label} is always empty, "
                        f"the expression keeps only: {kept}",
                        hint=f"add {label!r} to the aggregation's `by`, or drop it from the text",
                        rule=rule,
                    )
