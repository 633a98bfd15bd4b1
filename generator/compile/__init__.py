"""Stage 4, compile: one pure function per target, model in, plain dicts out (no I/O, no clock)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Artifact:
    """One file to write: its path under the output folder, its content and where it came from."""

    path: str
    content: Any
    sources: tuple[str, ...]
    format: str = "yaml"  # yaml, json, text (with a header) or verbatim (without)
