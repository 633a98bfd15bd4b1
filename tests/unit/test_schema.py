"""The definitions' JSON Schema ships generated; these tests keep it equal to what the models say."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generator import conventions as names
from generator.pipeline import build
from generator.schema import SHIPPED, attribute_docstrings, definitions_schema, render
from generator.spec.common import SpecModel

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_schema_is_what_the_models_say() -> None:
    # In a fresh interpreter, as `python -m generator.schema` writes it, and in this one, where
    # other tests have built and used the models already: both must give the shipped bytes.
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from generator.schema import *; "
            "sys.stdout.buffer.write(render(definitions_schema()))",
        ],
        capture_output=True,
        check=True,
        cwd=REPO,
    ).stdout
    here = render(definitions_schema())
    assert fresh == here
    assert here == SHIPPED.read_bytes(), (
        "generator/spec/definitions.schema.json is stale: run `python -m generator.schema` "
        "after changing a spec model"
    )


def test_field_docstrings_become_descriptions_also_for_inherited_and_same_named_models() -> None:
    schema = json.loads(SHIPPED.read_text())
    definitions = schema["$defs"]
    # Two classes are called TimeRange; pydantic names both after their module.
    dashboard_range = definitions["generator__spec__dashboard__TimeRange"]["properties"]
    assert dashboard_range["from"]["description"].startswith("Start")
    # Alert kinds inherit fields from AlertBase; the inherited ones are documented too.
    threshold = definitions["ThresholdAlert"]["properties"]
    assert threshold["for"]["description"] and threshold["severity"]["description"]


def test_attribute_docstrings_reads_the_string_below_each_field() -> None:
    class Example(SpecModel):
        documented: str = ""
        """First line.

            Indented continuation."""
        undocumented: int = 0
        after: str = ""
        "Single quotes work too."

    assert attribute_docstrings(Example) == {
        "documented": "First line.\n\nIndented continuation.",
        "after": "Single quotes work too.",
    }


def test_a_build_writes_the_shipped_schema() -> None:
    result = build(REPO)
    assert result.ok
    assert result.files[names.SCHEMA_FILE] == SHIPPED.read_bytes()
