"""The YAML emitter: what it writes must read back identically in PyYAML, and look as promised."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.yamlout import dump, scalar

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
keys = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_any_plain_data_round_trips_through_pyyaml(document: Any) -> None:
    assert yaml.safe_load(dump(document)) == document


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_expression_text_round_trips_under_expr(text: str) -> None:
    document = {"rules": [{"expr": text}]}
    assert yaml.safe_load(dump(document)) == document


def test_promql_is_written_as_a_literal_block() -> None:
    text = dump({"expr": 'sum(rate(x{code=~"5.."}[5m]))\n/\nsum(rate(x[5m]))'})
    assert text == 'expr: |-\n  sum(rate(x{code=~"5.."}[5m]))\n  /\n  sum(rate(x[5m]))\n'


def test_words_yaml_would_read_as_booleans_or_numbers_are_quoted() -> None:
    for word in (
        "yes",
        "no",
        "on",
        "off",
        "true",
        "null",
        "~",
        "1.0",
        "10",
        "1e3",
        "0x1f",
        "1:20",
        "2026-11-23",
    ):
        assert scalar(word).startswith('"'), word
    for word in ("5m", "checkout", "localhost:9090", "http://grafana:3000/d/x", "a b"):
        assert scalar(word) == word


def test_keys_keep_the_compilers_order_and_lists_are_indented() -> None:
    text = dump({"b": 1, "a": [{"name": "x", "rules": []}]})
    assert text == "b: 1\na:\n  - name: x\n    rules: []\n"


def test_control_characters_are_escaped() -> None:
    assert scalar("a\x07b") == '"a\\u0007b"'
    assert yaml.safe_load(dump({"k": "a\x85b\x7f"})) == {"k": "a\x85b\x7f"}


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="aeflnorstuyYNO019_ ./:+()=-~#x", min_size=1, max_size=12))
def test_every_plain_scalar_decision_reads_back_as_the_same_string(text: str) -> None:
    # Texts built from the characters plain scalars may use, plus the spellings of booleans, nulls,
    # numbers and times, so the plain/quoted decision itself is exercised.
    assert yaml.safe_load(dump({"k": text})) == {"k": text}
