"""Shared fixtures: the golden-file flag, real-tool discovery, and small repository builders."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

from generator.diagnostics import Diagnostic

# The same examples on every run, so CI is reproducible; `HYPOTHESIS_PROFILE=explore` searches anew.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the expected files of golden tests from the current output.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def require_tool(name: str) -> str:
    """The path of a real tool; the test is skipped only when the tool is not installed at all
    (CI installs it, so nothing skips there)."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package prometheus / prometheus-alertmanager)")
    return path


@pytest.fixture
def promtool() -> str:
    return require_tool("promtool")


WriteFiles = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_repo(tmp_path: Path) -> WriteFiles:
    """Write a small definitions repository: {relative path: YAML text (dedented)}."""

    def write(files: dict[str, str]) -> Path:
        for relative, text in files.items():
            path = tmp_path / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


TEAM = """
kind: Team
name: payments
"""


def generated_yaml(files: dict[str, bytes], path: str) -> Any:
    """A generated file read back as data."""
    return yaml.safe_load(files[path])


def rules_by_name(files: dict[str, bytes], path: str) -> dict[str, dict[str, Any]]:
    """The rules of a generated rule file keyed by alert or record name."""
    groups = generated_yaml(files, path)["groups"]
    return {rule.get("alert") or rule["record"]: rule for group in groups for rule in group["rules"]}


def plain(tree: Any) -> Any:
    """A positioned tree as plain dicts and lists, for comparing values without locations."""
    if isinstance(tree, dict):
        return {key: plain(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [plain(value) for value in tree]
    return tree


def messages(diagnostics: list[Diagnostic]) -> list[str]:
    return [f"{d.location}: {d.path + ': ' if d.path else ''}{d.message}" for d in diagnostics]
