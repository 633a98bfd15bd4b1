"""Every generated dashboard is well-formed for Grafana: validated against the draft-07 schemas Grafana
Labs publishes with grafana-foundation-sdk (../shared/grafana-schemas), in the relaxed mode their
README describes (required fields ignored: Grafana fills them in; catch-all `any` fields, which the
conversion typed as empty objects, accept any value; types, enums and unknown keys kept): the
dashboard, every panel's options and field config, and every query."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator.pipeline import build
from tests.conftest import GOLDEN, REPO

SCHEMAS = REPO.parent / "shared" / "grafana-schemas"


def _relaxed(node: Any) -> Any:
    if isinstance(node, dict):
        if _catch_all(node):
            # CUE's `_` (any value) comes out as an empty object type: a byName matcher's options
            # are a string in every dashboard Grafana writes.
            return {k: v for k, v in node.items() if k == "description"}
        return {k: _relaxed(v) for k, v in node.items() if k != "required"}
    if isinstance(node, list):
        return [_relaxed(v) for v in node]
    return node


def _catch_all(node: dict[str, Any]) -> bool:
    return node.get("type") == "object" and node.get("additionalProperties") == {} and "properties" not in node


@cache
def _schema(file: str) -> dict[str, Any]:
    return _relaxed(json.loads((SCHEMAS / file).read_text()))  # type: ignore[no-any-return]


def _validator(file: str, definition: str | None = None) -> jsonschema.Draft7Validator:
    schema = copy.deepcopy(_schema(file))
    if definition:
        schema["$ref"] = f"#/definitions/{definition}"
    return jsonschema.Draft7Validator(schema)


def problems(board: dict[str, Any]) -> list[str]:
    found = [
        f"dashboard {list(e.absolute_path)}: {e.message}"
        for e in _validator("dashboard.jsonschema.json").iter_errors(board)
    ]
    query = _validator("prometheus.jsonschema.json", "Dataquery")
    for panel in [x for top in board["panels"] for x in (top, *top.get("panels", []))]:
        if panel["type"] == "row":
            continue
        definitions = _schema(f"{panel['type']}.jsonschema.json")["definitions"]
        parts = (
            ("Options", panel.get("options")),
            ("FieldConfig", panel.get("fieldConfig", {}).get("defaults", {}).get("custom")),
        )
        for name, value in parts:
            if name in definitions and value is not None:
                found += [
                    f"{panel['title']} {name} {list(e.absolute_path)}: {e.message}"
                    for e in _validator(f"{panel['type']}.jsonschema.json", name).iter_errors(value)
                ]
        for target in panel.get("targets", []):
            found += [f"{panel['title']} query: {e.message}" for e in query.iter_errors(target)]
    return found


def _generated(root: Path) -> dict[str, dict[str, Any]]:
    result = build(root)
    assert result.ok
    return {
        path: json.loads(content)
        for path, content in result.files.items()
        if path.startswith("grafana/dashboards/")
    }


ROOTS = [REPO, *sorted(p for p in (GOLDEN / "valid").iterdir() if p.is_dir())]


@pytest.mark.parametrize("root", ROOTS, ids=["repository", *(p.name for p in ROOTS[1:])])
def test_every_generated_dashboard_validates_against_grafanas_schemas(root: Path) -> None:
    boards = _generated(root)
    assert all(problems(board) == [] for board in boards.values()), {
        path: problems(board) for path, board in boards.items() if problems(board)
    }


def test_the_validation_catches_a_broken_dashboard() -> None:
    board = _generated(REPO)["grafana/dashboards/payments/svc-checkout.json"]
    broken = copy.deepcopy(board)
    broken["panels"][1]["options"]["legend"]["placement"] = "middle"
    broken["panels"][1]["targets"][0]["exemplarz"] = True
    broken["graphTooltip"] = "shared"
    found = problems(broken)
    assert any("placement" in p or "'middle'" in p for p in found)
    assert any("exemplarz" in p for p in found)
    assert any("graphTooltip" in p for p in found)
