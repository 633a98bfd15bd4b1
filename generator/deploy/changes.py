"""What `gen deploy` would change, or changed: one line per item, with a diff where it helps."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum


class Action(Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


class DeployError(Exception):
    """A server refused or could not be reached; the message names the URL and its reply."""


@dataclass(frozen=True)
class Change:
    target: str  # "prometheus", "alertmanager", "grafana", "ruler"
    item: str  # what changes, as users know it: "config", "dashboard payments/svc-checkout"
    action: Action
    diff: str = ""  # a unified diff of the item, empty when there is nothing to show

    @property
    def changes_anything(self) -> bool:
        return self.action is not Action.UNCHANGED

    def line(self) -> str:
        return f"{self.target:<12} {self.action.value:<9} {self.item}"


def unified_diff(running: str, wanted: str, name: str) -> str:
    """The diff from what the server runs to what generated/ holds, as `diff -u` prints it."""
    lines = difflib.unified_diff(
        running.splitlines(keepends=True),
        wanted.splitlines(keepends=True),
        fromfile=f"running/{name}",
        tofile=f"generated/{name}",
        n=2,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
