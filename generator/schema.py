"""The JSON Schema of the definitions, for editors (`gen schema`, and a copy in `generated/`).

Point yaml-language-server at it with a first line such as
`# yaml-language-server: $schema=../generated/schema/definitions.schema.json`.

The schema is a function of the spec models alone, so it ships with the generator, generated:
`generator/spec/definitions.schema.json`. Builds copy it instead of asking pydantic for it, which
needs every model built and their attribute docstrings read (120 ms of a cold `gen build`,
bench/RESULTS.md). `tests/unit/test_schema.py` fails when the shipped file differs from what the
models say; `python -m generator.schema` writes it again.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any

import orjson

from generator import conventions as names
from generator.compile import Artifact

SCHEMA_ID = "https://monitoring-as-code.invalid/schema/definitions.schema.json"
SHIPPED = Path(__file__).parent / "spec" / "definitions.schema.json"


def attribute_docstrings(model: type) -> dict[str, str]:
    """`{field: docstring}` for the fields of `model`'s own class body that have a string literal
    right below them (PEP 257's attribute docstrings), cleaned as `inspect.cleandoc` does."""
    body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    for statement, following in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def _describe_fields(schema: dict[str, Any]) -> None:
    """Give every property of every model in `$defs` its field's docstring as `description`
    (unless the field sets one), where pydantic's `use_attribute_docstrings` would put it."""
    from generator.spec.common import SpecModel

    # pydantic names a definition after its class, or module and class (`generator__spec__
    # dashboard__TimeRange`) where two classes share a name.
    models: dict[str, type[SpecModel]] = {}
    pending: list[type[SpecModel]] = [SpecModel]
    while pending:
        found = pending.pop()
        models.setdefault(found.__name__, found)
        models[f"{found.__module__}.{found.__qualname__}".replace(".", "__")] = found
        pending.extend(found.__subclasses__())
    for key, definition in schema.get("$defs", {}).items():
        model = models.get(key)
        if model is None:
            continue
        documented: dict[str, str] = {}
        for klass in reversed(model.__mro__):
            if isinstance(klass, type) and issubclass(klass, SpecModel) and klass is not SpecModel:
                documented.update(attribute_docstrings(klass))
        properties = definition.get("properties", {})
        for name, info in model.model_fields.items():
            prop = properties.get(info.alias or name)
            if prop is not None and name in documented and "description" not in prop:
                prop["description"] = documented[name]


def definitions_schema() -> dict[str, Any]:
    """The schema as the spec models say it is now (slow: builds every model)."""
    from generator.spec import document_adapter

    schema = document_adapter().json_schema(by_alias=True, mode="validation")
    _describe_fields(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Monitoring definitions"
    schema["description"] = (
        "One YAML document of a definition file under rules/, prometheus/, alertmanager/ or dashboards/. "
        "The `kind` key says which definition it is."
    )
    return schema


def render(schema: dict[str, Any]) -> bytes:
    """The file's bytes: two-space indented, sorted keys, as every JSON file we write."""
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def shipped() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def artifact() -> Artifact:
    return Artifact(names.SCHEMA_FILE, shipped(), (), format="verbatim")


def main() -> None:
    """Write the shipped schema again, from the models (after changing a spec model)."""
    SHIPPED.write_bytes(render(definitions_schema()))
    print(f"wrote {SHIPPED}", file=sys.stderr)


if __name__ == "__main__":
    main()
