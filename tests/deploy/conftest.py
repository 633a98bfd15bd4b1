"""Fixtures of the deploy tests: fake Grafana and ruler servers, and small generated/ folders."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.deploy.fake_grafana import FakeGrafana, running_grafana
from tests.deploy.fake_ruler import FakeRuler, running_ruler

GENERATED = REPO / "generated"  # the repository's own build output, read only


@pytest.fixture
def grafana() -> Iterator[FakeGrafana]:
    with running_grafana() as fake:
        yield fake


@pytest.fixture
def ruler() -> Iterator[FakeRuler]:
    with running_ruler() as fake:
        yield fake


@pytest.fixture
def write_dashboard(tmp_path: Path) -> Callable[..., Path]:
    """Write `generated/grafana/dashboards/<folder>/<name>.json` (uid `name` unless `fields` say
    otherwise) under tmp_path; returns that generated/ folder."""

    def write(folder: str, name: str, **fields: Any) -> Path:
        path = tmp_path / "grafana" / "dashboards" / folder / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        board = {"uid": name, "title": f"Board {name}", "version": 1, "panels": [], **fields}
        path.write_text(json.dumps(board, indent=2), encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Write `generated/prometheus/rules/<team>/<name>.yml` under tmp_path; returns generated/."""

    def write(team: str, name: str, text: str) -> Path:
        path = tmp_path / "prometheus" / "rules" / team / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return tmp_path

    return write
