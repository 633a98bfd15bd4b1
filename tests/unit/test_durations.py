"""Prometheus durations: strict parsing, the user's spelling kept, canonical printing."""

from __future__ import annotations

import pytest

from generator.durations import Duration, DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "milliseconds"),
    [
        ("30s", 30_000),
        ("5m", 300_000),
        ("1h30m", 5_400_000),
        ("7d", 604_800_000),
        ("2w", 1_209_600_000),
        ("1y", 31_536_000_000),
        ("1500ms", 1500),
        ("0s", 0),
        ("1d2h3m4s5ms", 93_784_005),
    ],
    ids=lambda v: str(v),
)
def test_valid_durations_parse_to_milliseconds(text: str, milliseconds: int) -> None:
    parsed = parse_duration(text)
    assert parsed.milliseconds == milliseconds
    assert str(parsed) == text  # the user's spelling is kept for messages and output


@pytest.mark.parametrize(
    "text",
    ["10 minutes", "5", "m5", "5M", "1.5h", "-5m", "", "5m1h", "1h1h", "5 m"],
    ids=[
        "words",
        "no-unit",
        "unit-first",
        "upper-case-unit",
        "fraction",
        "negative",
        "empty",
        "units-out-of-order",
        "unit-repeated",
        "space-inside",
    ],
)
def test_invalid_durations_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(DurationError) as error:
        parse_duration(text)
    assert repr(text) in str(error.value)


def test_canonical_spelling_uses_largest_units_first() -> None:
    assert format_duration(90_000) == "1m30s"
    assert format_duration(0) == "0s"
    assert format_duration(86_400_000 + 1) == "1d1ms"


def test_durations_compare_by_length_not_spelling() -> None:
    assert parse_duration("60s") == parse_duration("1m")
    assert parse_duration("59s") < parse_duration("1m")
    assert Duration(1000, "1s") == Duration(1000)
