"""PromQL helpers: selectors, output labels, value kinds, numbers."""

from __future__ import annotations

import pytest

from generator.promql import (
    PromQLError,
    format_number,
    output_labels,
    parse,
    parse_selector,
    unbalanced_bracket,
    value_kind,
)


def test_a_selector_renders_back_with_the_services_matchers_added() -> None:
    selector = parse_selector('http_requests_total{code=~"5.."}')
    assert (
        selector.with_matchers({"job": "checkout", "code": "ignored"}).render()
        == 'http_requests_total{code=~"5..", job="checkout"}'
    )
    assert parse_selector("up").render() == "up"
    assert parse_selector('x{a="q\\"uote"}').render() == 'x{a="q\\"uote"}'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rate(x[5m])", "expected a metric selector"),
        ('{job="a"}', "needs a metric name"),
        ("x offset 5m", "cannot use offset"),
        ("x{", "unexpected end of input"),
    ],
    ids=["an-expression-is-not-a-selector", "a-selector-needs-a-name", "offset-is-refused", "syntax-error"],
)
def test_what_is_not_a_plain_selector_is_refused(text: str, message: str) -> None:
    with pytest.raises(PromQLError) as error:
        parse_selector(text)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("expr", "names", "is_open"),
    [
        ("sum by (job) (rate(x[5m]))", {"job"}, False),
        ("sum(x)", set(), False),
        ("x / on(job) y", {"job"}, False),
        ("histogram_quantile(0.9, sum by (le, route) (rate(b[5m])))", {"route"}, False),
        ("rate(x[5m]) > 3", set(), True),
        ("sum without (instance) (x)", set(), True),
        ("absent(up)", set(), True),
    ],
    ids=[
        "by-keeps-its-labels",
        "plain-sum-keeps-none",
        "on-keeps-its-labels",
        "histogram-quantile-drops-le",
        "selectors-are-open",
        "without-is-open",
        "absent-is-open",
    ],
)
def test_output_labels_of_common_shapes(expr: str, names: set[str], is_open: bool) -> None:
    labels = output_labels(parse(expr))
    assert labels.names == frozenset(names)
    assert labels.open is is_open


def test_without_drops_the_named_label_from_an_open_set() -> None:
    labels = output_labels(parse("sum without (instance) (x)"))
    assert not labels.has("instance")
    assert labels.has("job")


@pytest.mark.parametrize(
    ("expr", "kind"),
    [
        ("x", "vector"),
        ("x[5m]", "matrix"),
        ("1", "scalar"),
        ('"s"', "string"),
        ("rate(x[5m])", "vector"),
        ("x[5m:1m]", "matrix"),
        ("(x[5m])", "matrix"),
        ("scalar(x) * 2", "scalar"),
        ("-x", "vector"),
    ],
    ids=lambda v: str(v),
)
def test_value_kinds(expr: str, kind: str) -> None:
    assert value_kind(parse(expr)) == kind


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.05, "0.05"),
        (500.0, "500"),
        (0.1 + 0.2, "0.3"),
        (0.999, "0.999"),
        (1e-7, "0.0000001"),
        (-2.5, "-2.5"),
        (float("inf"), "+Inf"),
    ],
    ids=lambda v: str(v),
)
def test_numbers_print_as_people_write_them(value: float, text: str) -> None:
    assert format_number(value) == text


def test_parse_errors_without_detail_get_a_readable_message() -> None:
    with pytest.raises(PromQLError) as error:
        parse("foo bar")
    assert "invalid PromQL" in str(error.value)


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("sum(rate(x[5m]))", None),
        ("sum(x", 3),
        ('x{a="("}', None),
        ('x{a="\\"("}', None),
        ("x)", 1),
        ('sum(x{a="b")', 5),
        ('\n  a{b="x"\n  / y\n', 4),
    ],
    ids=[
        "balanced",
        "unclosed-paren",
        "bracket-inside-quotes",
        "escaped-quote-inside-quotes",
        "stray-closer",
        "closer-of-the-wrong-kind",
        "multi-line",
    ],
)
def test_the_bracket_that_breaks_an_expression_is_found(text: str, offset: int | None) -> None:
    assert unbalanced_bracket(text) == offset
