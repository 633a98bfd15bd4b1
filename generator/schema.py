"""The JSON Schema of the definitions, for editors (`gen schema`, and a copy in `generated/`).

Point yaml-language-server at it with a first line such as
`# yaml-language-server: $schema=../generated/schema/definitions.schema.json`.
"""

from __future__ import annotations

from typing import Any

from generator import conventions as names
from generator.compile import Artifact
from generator.spec import DOCUMENT_ADAPTER

SCHEMA_ID = "https://monitoring-as-code.invalid/schema/definitions.schema.json"


def definitions_schema() -> dict[str, Any]:
    schema = DOCUMENT_ADAPTER.json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Monitoring definitions"
    schema["description"] = (
        "One YAML document of a definition file under rules/, prometheus/, alertmanager/ or dashboards/. "
        "The `kind` key says which definition it is."
    )
    return schema


def artifact() -> Artifact:
    return Artifact(names.SCHEMA_FILE, definitions_schema(), (), format="json")
