"""PromQL in Python: parse users' expressions before anything is written, and read their AST.

Parsing uses the `promql-parser` package (Rust, follows Prometheus 3.x). Its errors carry no
position, so callers attach the definition's `file:line`. Helpers here answer the questions the
resolver and the checks ask: is this a plain selector, which metrics and functions does an
expression use, which labels does its result keep.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import promql_parser as pp

LABEL_VALUE_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


class PromQLError(ValueError):
    """An expression promql-parser rejects, with its message cleaned up for users."""


@lru_cache(maxsize=65536)
def parse(expr: str) -> Any:
    """Parse `expr` or raise `PromQLError`. Cached: the same selector is often parsed many times."""
    try:
        return pp.parse(expr)
    except (ValueError, TypeError) as error:
        message = str(error).strip() or "invalid PromQL"
        if message == "invalid promql query":
            message = (
                "invalid PromQL (the parser gives no detail; look for a missing operator, quote or bracket)"
            )
        raise PromQLError(message) from None


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # one of = != =~ !~
    value: str

    def render(self) -> str:
        return f'{self.name}{self.op}"{self.value.translate(LABEL_VALUE_ESCAPES)}"'


_MATCH_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


@dataclass(frozen=True)
class Selector:
    """A vector selector: metric name and label matchers, renderable back to PromQL."""

    metric: str
    matchers: tuple[Matcher, ...] = field(default_factory=tuple)

    def with_matchers(self, extra: dict[str, str]) -> Selector:
        """Add equality matchers for labels the selector does not already constrain."""
        present = {m.name for m in self.matchers}
        added = tuple(Matcher(k, "=", v) for k, v in sorted(extra.items()) if k not in present)
        return Selector(self.metric, self.matchers + added)

    def renamed(self, metric: str) -> Selector:
        return Selector(metric, self.matchers)

    def render(self) -> str:
        if not self.matchers:
            return self.metric
        return self.metric + "{" + ", ".join(m.render() for m in self.matchers) + "}"

    def equality_labels(self) -> dict[str, str]:
        return {m.name: m.value for m in self.matchers if m.op == "="}


_CLOSERS = {")": "(", "]": "[", "}": "{"}


def unbalanced_bracket(text: str) -> int | None:
    """The offset of the first bracket that is never closed (or closes nothing), ignoring quoted
    strings; None when brackets balance. promql-parser's errors carry no position, so this is how a
    diagnostic can point at the `{` the user forgot to close."""
    stack: list[int] = []
    quote = ""
    escaped = False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            stack.append(index)
        elif char in _CLOSERS:
            if not stack:
                return index
            if text[stack[-1]] != _CLOSERS[char]:
                return stack[-1]  # `x{a="b")`: the `{` is the one left open
            stack.pop()
    return stack[0] if stack else None


def parse_selector(text: str) -> Selector:
    """Parse a plain vector selector (`name{label="v"}`), refusing anything more."""
    node = parse(text)
    if not isinstance(node, pp.VectorSelector):
        raise PromQLError(
            'expected a metric selector such as http_requests_total{code=~"5.."}, not an expression'
        )
    if node.offset is not None or node.at is not None:
        raise PromQLError("a metric selector here cannot use offset or @")
    matchers = []
    for matcher in node.matchers.matchers:
        if matcher.name == "__name__":
            continue
        matchers.append(Matcher(matcher.name, _MATCH_OPS[str(matcher.op)], matcher.value))
    if not node.name:
        raise PromQLError("a metric selector here needs a metric name")
    return Selector(node.name, tuple(matchers))


def aggregate(operator: str, by: Sequence[str], inner: str, extra: Sequence[str] = ()) -> str:
    """`sum(x)` or `sum by (le, route) (x)`, the way Prometheus' own docs write them."""
    labels = [*extra, *by]
    return f"{operator} by ({', '.join(labels)}) ({inner})" if labels else f"{operator}({inner})"


def walk(node: Any) -> Iterator[Any]:
    """Every node of an AST, depth first."""
    found: list[Any] = []

    def visit(n: Any) -> None:
        found.append(n)

    pp.walk(node, visit)
    return iter(found)


def metric_names_of(node: Any) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, pp.VectorSelector) and n.name}


def calls(node: Any) -> list[Any]:
    return [n for n in walk(node) if isinstance(n, pp.Call)]


def range_selectors(node: Any) -> list[Any]:
    return [n for n in walk(node) if isinstance(n, pp.MatrixSelector)]


def value_kind(node: Any) -> str:
    """What an expression returns: `vector`, `scalar`, `matrix` or `string`."""
    if isinstance(node, pp.MatrixSelector):
        return "matrix"
    if isinstance(node, pp.SubqueryExpr):
        return "matrix"
    if isinstance(node, pp.StringLiteral):
        return "string"
    if isinstance(node, pp.NumberLiteral):
        return "scalar"
    if isinstance(node, pp.ParenExpr):
        return value_kind(node.expr)
    if isinstance(node, pp.UnaryExpr):
        return value_kind(node.expr)
    if isinstance(node, pp.Call):
        return str(node.func.return_type).rsplit(".", 1)[-1].lower()
    if isinstance(node, pp.BinaryExpr):
        kinds = {value_kind(node.lhs), value_kind(node.rhs)}
        return "vector" if "vector" in kinds else "scalar"
    return "vector"


@dataclass(frozen=True)
class OutputLabels:
    """Which labels an expression's result can carry: exactly `names`, or anything (`open`)."""

    names: frozenset[str] = frozenset()
    open: bool = True
    dropped: frozenset[str] = frozenset()

    def has(self, label: str) -> bool:
        return label in self.names if not self.open else label not in self.dropped


def output_labels(node: Any) -> OutputLabels:
    """Best-effort static analysis of the labels that survive an expression.

    Aggregations with `by` keep only their labels, `without` drops some; binary operators with
    `on(...)` keep the matching labels plus `group_left/right` extras. Anything else is open.
    """
    if isinstance(node, pp.ParenExpr | pp.UnaryExpr):
        return output_labels(node.expr)
    if isinstance(node, pp.AggregateExpr):
        modifier = node.modifier
        if node.op is not None and str(node.op).split(".")[-1].lower() in ("count_values",):
            return OutputLabels()
        if modifier is None:
            return OutputLabels(frozenset(), open=False)
        labels = frozenset(modifier.labels)
        if str(modifier.type).endswith("By"):
            return OutputLabels(labels, open=False)
        inner = output_labels(node.expr)
        return OutputLabels(inner.names - labels, inner.open, inner.dropped | labels)
    if isinstance(node, pp.Call):
        name = node.func.name
        if name in ("absent", "absent_over_time"):
            return OutputLabels(open=True)
        if name in ("label_replace", "label_join"):
            return OutputLabels(open=True)
        if name in ("vector", "time", "scalar"):
            return OutputLabels(frozenset(), open=False)
        vectors = [a for a in node.args if value_kind(a) in ("vector", "matrix")]
        inner = output_labels(vectors[0]) if vectors else OutputLabels(frozenset(), open=False)
        if name == "histogram_quantile":
            return OutputLabels(inner.names - {"le"}, inner.open, inner.dropped | {"le"})
        return inner
    if isinstance(node, pp.MatrixSelector):
        return OutputLabels(open=True)
    if isinstance(node, pp.SubqueryExpr):
        return output_labels(node.expr)
    if isinstance(node, pp.BinaryExpr):
        lhs, rhs = output_labels(node.lhs), output_labels(node.rhs)
        binary_modifier = node.modifier
        if value_kind(node.lhs) != "vector":
            return rhs
        if value_kind(node.rhs) != "vector":
            return lhs
        matching = getattr(binary_modifier, "matching", None) if binary_modifier is not None else None
        card = str(getattr(binary_modifier, "card", "")) if binary_modifier is not None else ""
        if (
            matching is not None
            and str(matching.type).endswith("Include")
            and "OneToOne" in card
            and str(node.op) not in ("and", "or", "unless")
        ):
            return OutputLabels(frozenset(matching.labels), open=False)
        if "ManyToOne" in card:
            extra = frozenset(getattr(binary_modifier, "group_labels", None) or ())
            return OutputLabels(lhs.names | extra, lhs.open, lhs.dropped - extra)
        return lhs
    return OutputLabels(open=True)


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def format_number(value: float) -> str:
    """A threshold as PromQL and people want it: `0.05`, `500`, never `0.05000000000000001`."""
    if value != value or value in (float("inf"), float("-inf")):  # NaN / Inf
        return {"inf": "+Inf", "-inf": "-Inf"}.get(str(value), "NaN")
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(float(value))
    if "e" in text:
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    # Round away binary noise such as 0.1 + 0.2.
    shortest = f"{value:.12g}"
    if _NUMBER.match(shortest) and float(shortest) != float(text) and abs(float(shortest) - value) < 1e-12:
        return shortest
    return text
