"""Environment overlays: per-environment changes to the same definitions."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from generator.spec.common import SpecModel


class Patch(SpecModel):
    """A change to one definition, merged into it key by key."""

    target: str = Field(pattern=r"^[A-Za-z]+(/[a-zA-Z0-9_.-]+)?$")
    """The definition to change: `Kind/name` (`Service/checkout`), or just `Kind` for the single
    `Prometheus` and `Settings` documents."""
    patch: dict[str, Any]
    """Keys to change. Mappings merge recursively; lists of named items (alerts, rules) merge by
    `name` (or `record`); other lists are replaced; `null` removes a key."""


class Overlay(SpecModel):
    """Changes applied when building with `gen build --env <environment>`."""

    kind: Literal["Overlay"]
    environment: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    """The environment this overlay belongs to, for example `prod`."""
    patches: list[Patch] = Field(min_length=1)
    """The changes, applied in order."""
