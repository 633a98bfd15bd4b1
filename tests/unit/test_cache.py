"""The build cache: `gen build` with nothing changed answers without building, and any change to
an input, an included file, an output or the generator itself makes it build again."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import cache
from generator.cli import main
from tests.conftest import TEAM, WriteFiles

SERVICE = """
kind: Service
name: checkout
team: payments
metrics: !include ../shared/metrics.yaml
alerts:
  - {name: HighErrors, severity: critical, metric: errors, per: requests, op: ">", value: 0.05}
"""
METRICS = (
    "requests: {counter: http_requests_total}\nerrors: {counter: 'http_requests_total{code=~\"5..\"}'}\n"
)
UP_TO_DATE = "up to date (no input changed since the last build)"


@pytest.fixture
def repo(make_repo: WriteFiles) -> Path:
    return make_repo(
        {"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": SERVICE, "shared/metrics.yaml": METRICS}
    )


def _build(repo: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["build", "--root", str(repo), *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_a_second_build_with_nothing_changed_is_answered_from_the_cache(repo: Path) -> None:
    assert "new" in _build(repo)
    assert UP_TO_DATE in _build(repo)
    assert UP_TO_DATE in _build(repo, "--check")
    assert "unchanged" in _build(repo, "--no-cache")


@pytest.mark.parametrize(
    "change",
    [
        "definition",
        "included-file-outside-the-input-folders",
        "new-file",
        "hand-edited-output",
        "deleted-output",
    ],
)
def test_any_change_makes_the_build_run_again(repo: Path, change: str) -> None:
    _build(repo)
    rules = repo / "generated/prometheus/rules/payments/checkout.yml"
    if change == "definition":
        (repo / "rules/checkout.yaml").write_text(SERVICE.replace("0.05", "0.01"))
    elif change == "included-file-outside-the-input-folders":
        (repo / "shared/metrics.yaml").write_text(METRICS.replace('"5.."', '"5.*"'))
    elif change == "new-file":
        (repo / "rules/_notes.yaml").write_text("# a fragment nobody includes yet\n")
    elif change == "hand-edited-output":
        rules.write_text(rules.read_text().replace("0.05", "0.5"))
    else:
        rules.unlink()
    out = _build(repo)
    assert UP_TO_DATE not in out
    assert b"> 0.5\n" not in rules.read_bytes()
    assert UP_TO_DATE in _build(repo)


def test_a_change_to_the_generator_code_invalidates_the_record(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "compile.py").write_text("VERSION = 1\n")
    monkeypatch.setattr(cache, "_GENERATOR", code)
    out = repo / "generated"
    before = cache.Inputs(repo, None, out).finish([])
    (code / "compile.py").write_text("VERSION = 2\n")
    assert cache.Inputs(repo, None, out).finish([]) != before
    assert cache.Inputs(repo, "prod", out).finish([]) != cache.Inputs(repo, None, out).finish([])


def test_a_damaged_record_means_a_full_build(repo: Path) -> None:
    _build(repo)
    for record in (repo / cache.CACHE_DIR).glob("build-*.json"):
        record.write_text("{not json")
    assert UP_TO_DATE not in _build(repo)
    assert UP_TO_DATE in _build(repo)


def test_an_edit_made_while_the_build_runs_is_built_by_the_next_build(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import pipeline

    real_build = pipeline.build
    service = repo / "rules" / "checkout.yaml"

    def build_while_someone_edits(*args: object, **kwargs: object) -> pipeline.BuildResult:
        result = real_build(*args, **kwargs)  # type: ignore[arg-type]
        service.write_text(SERVICE.replace("0.05", "0.07"))  # saved after the build read it
        return result

    monkeypatch.setattr(pipeline, "build", build_while_someone_edits)
    _build(repo)
    monkeypatch.setattr(pipeline, "build", real_build)
    assert UP_TO_DATE not in (second := _build(repo))
    assert "M prometheus/rules/payments/checkout.yml" in second
    rules = next((repo / "generated" / "prometheus" / "rules").rglob("*.yml")).read_text()
    assert "> 0.07" in rules
