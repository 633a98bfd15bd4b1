"""The writer: atomic, deterministic, untouched when unchanged, stale files removed via the manifest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import conventions as names
from generator import write as write_module
from generator.compile import Artifact
from generator.write import diff, diffstat, plan, render, serialize, write


def _files(**contents: str) -> dict[str, bytes]:
    return render(
        [Artifact(f"prometheus/{k}.yml", {"key": v}, ("rules/x.yaml",)) for k, v in contents.items()], None
    )


def test_a_header_names_the_sources_and_environment_and_nothing_varies() -> None:
    artifact = Artifact("prometheus/a.yml", {"k": "v"}, ("rules/a.yaml", "rules/b.yaml"))
    assert serialize(artifact, "prod").decode() == (
        f"# {names.GENERATED_HEADER}\n# Source: rules/a.yaml, rules/b.yaml\n# Environment: prod\nk: v\n"
    )
    assert serialize(artifact, "prod") == serialize(artifact, "prod")


def test_json_artifacts_are_sorted_and_have_no_header() -> None:
    artifact = Artifact("x.json", {"b": 1, "a": [1, 2]}, ("s",), format="json")
    assert serialize(artifact, None) == b'{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def test_the_first_write_creates_everything_and_a_manifest(tmp_path: Path) -> None:
    files = _files(a="1", b="2")
    changes = plan(tmp_path, files)
    assert changes.created == [names.MANIFEST_FILE, "prometheus/a.yml", "prometheus/b.yml"]
    write(tmp_path, files, changes)
    assert (tmp_path / "prometheus/a.yml").read_bytes() == files["prometheus/a.yml"]
    manifest = (tmp_path / names.MANIFEST_FILE).read_text().splitlines()
    assert manifest[-2:] == ["prometheus/a.yml", "prometheus/b.yml"]
    assert plan(tmp_path, files).clean


def test_unchanged_files_are_not_touched_and_changed_ones_are_replaced(tmp_path: Path) -> None:
    files = _files(a="1", b="2")
    write(tmp_path, files, plan(tmp_path, files))
    before = {p: (tmp_path / p).stat() for p in files}
    os.utime(tmp_path / "prometheus/a.yml", (1_000_000, 1_000_000))
    changed = _files(a="1", b="3")
    changes = plan(tmp_path, changed)
    assert changes.changed == ["prometheus/b.yml"] and changes.unchanged == 2
    write(tmp_path, changed, changes)
    after_a = (tmp_path / "prometheus/a.yml").stat()
    assert after_a.st_mtime == 1_000_000 and after_a.st_ino == before["prometheus/a.yml"].st_ino
    # A replaced file is a new inode: readers never see it half written.
    assert (tmp_path / "prometheus/b.yml").stat().st_ino != before["prometheus/b.yml"].st_ino
    assert not list(tmp_path.rglob("*.tmp"))


def test_files_the_build_no_longer_produces_are_removed_but_foreign_files_stay(tmp_path: Path) -> None:
    write(tmp_path, _files(a="1", b="2"), plan(tmp_path, _files(a="1", b="2")))
    (tmp_path / "prometheus" / "notes.txt").write_text("mine")
    fewer = _files(a="1")
    changes = plan(tmp_path, fewer)
    assert changes.removed == ["prometheus/b.yml"]
    write(tmp_path, fewer, changes)
    assert not (tmp_path / "prometheus/b.yml").exists()
    assert (tmp_path / "prometheus/notes.txt").read_text() == "mine"


def test_empty_folders_left_by_removed_files_are_pruned(tmp_path: Path) -> None:
    deep = render([Artifact("prometheus/rules/team/a.yml", {}, ())], None)
    write(tmp_path, deep, plan(tmp_path, deep))
    none = render([], None)
    write(tmp_path, none, plan(tmp_path, none))
    assert not (tmp_path / "prometheus").exists()
    assert (tmp_path / names.MANIFEST_FILE).exists()


def test_check_mode_reports_a_unified_diff(tmp_path: Path) -> None:
    write(tmp_path, _files(a="1"), plan(tmp_path, _files(a="1")))
    newer = _files(a="2", c="3")
    changes = plan(tmp_path, newer)
    text = diff(tmp_path, newer, changes)
    assert "--- a/prometheus/a.yml\n+++ b/prometheus/a.yml\n" in text
    assert '-key: "1"\n+key: "2"\n' in text
    assert "+++ b/prometheus/c.yml\n" in text


def test_a_failure_while_staging_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, _files(a="1", b="2"), plan(tmp_path, _files(a="1", b="2")))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    newer = _files(a="9", b="8")
    real_stage = write_module._stage
    calls = []

    def failing_stage(path: Path, content: bytes) -> Path:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_stage(path, content)

    monkeypatch.setattr(write_module, "_stage", failing_stage)
    with pytest.raises(OSError):
        write(tmp_path, newer, plan(tmp_path, newer))
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # no temporaries left


def test_the_changed_line_counts_of_a_plan(tmp_path: Path) -> None:
    write(tmp_path, _files(a="1", b="2"), plan(tmp_path, _files(a="1", b="2")))
    newer = _files(a="1", b="3", c="4")
    rows = diffstat(tmp_path, newer, plan(tmp_path, newer))
    assert ("prometheus/b.yml", "M", 1, 1) in rows
    assert ("prometheus/c.yml", "A", 3, 0) in rows


def test_a_first_build_appears_as_a_whole_folder_with_plain_permissions(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    files = render([Artifact("grafana/dashboards/team/a.json", {"a": 1}, (), format="json")], None) | _files(
        b="2"
    )
    old_umask = os.umask(0o077)  # the files are 0644 whatever the user's umask, as replaced files are
    try:
        write(out, files, plan(out, files))
    finally:
        os.umask(old_umask)
    written = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    assert sorted(written) == sorted(files)
    assert all(written[name].read_bytes() == content for name, content in files.items())
    assert {p.stat().st_mode & 0o777 for p in written.values()} == {0o644}
    assert out.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]  # no staging folder left
    assert plan(out, files).clean


def test_a_failed_first_build_leaves_no_folder_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    # `x` is a file, so `x/y` cannot be created under it.
    files = {"x": b"1", "x/y": b"2"}
    with pytest.raises(OSError):
        write(out, files, plan(out, files))
    assert list(tmp_path.iterdir()) == []


def test_a_folder_created_meanwhile_gets_the_files_replaced_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "generated"
    files = _files(a="1")
    real_rename = os.rename

    def someone_else_first(source: str | Path, target: str | Path) -> None:
        out.mkdir()
        (out / "theirs.txt").write_text("kept")
        real_rename(source, target)  # fails: the target is a folder that is not empty

    monkeypatch.setattr(write_module.os, "rename", someone_else_first)
    write(out, files, plan(out, files))
    assert (out / "prometheus/a.yml").read_bytes() == files["prometheus/a.yml"]
    assert (out / "theirs.txt").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]
