"""Stage 1, load: positions of every value, includes, and what is reported instead of parsed."""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import Location
from generator.load import discover, load
from generator.source import PosDict, PosList, locate
from tests.conftest import WriteFiles, plain


def test_every_value_remembers_its_file_line_and_column(make_repo: WriteFiles) -> None:
    root = make_repo(
        {
            "rules/a.yaml": """
        kind: Service
        name: checkout
        alerts:
          - name: A
            for: 5m
        """
        }
    )
    result = load(root)
    assert result.diagnostics == []
    data = result.documents[0].data
    assert isinstance(data, PosDict)
    assert data.value_locations["name"] == Location("rules/a.yaml", 2, 7, 8)
    assert locate(data, ["alerts", 0, "for"]) == Location("rules/a.yaml", 5, 10, 2)
    assert locate(data, ["alerts", 0, "for"], key=True) == Location("rules/a.yaml", 5, 5, 3)
    # A path that goes further than the tree stops at the deepest part that exists.
    assert locate(data, ["alerts", 0, "missing"]).line == 4


def test_several_documents_per_file_are_loaded_in_order_and_empty_ones_skipped(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "kind: Team\nname: a\n---\n---\nkind: Team\nname: b\n"})
    result = load(root)
    assert [d.data["name"] for d in result.documents] == ["a", "b"]
    assert [d.index for d in result.documents] == [0, 2]


def test_duplicate_keys_are_reported_instead_of_silently_keeping_the_last(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "kind: Team\nname: a\nname: b\n"})
    (problem,) = load(root).diagnostics
    assert problem.location == Location("rules/a.yaml", 3, 1, 4)
    assert problem.message == "duplicate key 'name' (first written at line 2)"


def test_yaml_syntax_errors_name_the_place_and_what_was_open(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "kind: Team\nname: [oops\n", "rules/b.yaml": "kind: Team\nname: ok\n"})
    result = load(root)
    (problem,) = result.diagnostics
    # Reported where the bracket opens, which is where the fix goes.
    assert problem.location == Location("rules/a.yaml", 2, 7, 1)
    assert problem.message == (
        "YAML syntax error: this `[ ]` list is not closed: did not find expected ',' or ']' "
        "(noticed at line 3, column 1)"
    )
    # The other file still loads, so its problems are reported in the same run.
    assert [d.data["name"] for d in result.documents] == ["ok"]


def test_include_splices_a_file_relative_to_the_including_one_with_its_own_positions(
    make_repo: WriteFiles,
) -> None:
    root = make_repo(
        {
            "rules/a.yaml": "kind: Service\nname: x\nalerts: !include _shared/alerts.yaml\n",
            "rules/_shared/alerts.yaml": "- name: A\n  expr: up == 0\n",
        }
    )
    result = load(root)
    assert result.diagnostics == []
    assert [d.file for d in result.documents] == ["rules/a.yaml"]  # fragments are not loaded alone
    alerts = result.documents[0].data["alerts"]
    assert isinstance(alerts, PosList)
    assert alerts[0]["expr"] == "up == 0"
    assert locate(result.documents[0].data, ["alerts", 0, "expr"]) == Location(
        "rules/_shared/alerts.yaml", 2, 9, 7
    )


def test_glob_include_gives_one_item_per_file_in_name_order(make_repo: WriteFiles) -> None:
    root = make_repo(
        {
            "rules/a.yaml": "kind: X\nparts: !include _p/*.yaml\n",
            "rules/_p/2.yaml": "name: two\n",
            "rules/_p/1.yaml": "name: one\n",
        }
    )
    (document,) = load(root).documents
    assert [p["name"] for p in document.data["parts"]] == ["one", "two"]


def test_include_problems_are_reported_at_the_include_tag(make_repo: WriteFiles) -> None:
    root = make_repo(
        {
            "rules/a.yaml": "kind: X\nmissing: !include nothere.yaml\nescape: !include ../../../etc/passwd\n"
            "url: !include http://example.com/x.yaml\nloop: !include _self.yaml\n",
            "rules/_self.yaml": "again: !include _self.yaml\n",
        }
    )
    problems = {(d.location.file, d.location.line): d.message for d in load(root).diagnostics}
    assert problems == {
        ("rules/a.yaml", 2): "included file not found: 'nothere.yaml' (looked for rules/nothere.yaml)",
        ("rules/a.yaml", 3): "!include '../../../etc/passwd': the path leaves the repository",
        ("rules/a.yaml", 4): "!include 'http://example.com/x.yaml': only files inside the repository can be "
        "included, not URLs",
        # The cycle is reported where it closes: the include inside the included file.
        (
            "rules/_self.yaml",
            1,
        ): "!include '_self.yaml' closes an include cycle: rules/a.yaml -> rules/_self.yaml -> rules/_self.yaml",
    }


def test_documents_that_are_not_mappings_are_reported(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "- kind: Team\n  name: a\n"})
    (problem,) = load(root).diagnostics
    assert (
        problem.message == "document 1 is a PosList, expected a mapping with a `kind` key"
        or "expected a mapping with a `kind` key" in problem.message
    )


def test_discovery_reads_only_the_input_folders_and_skips_fragments(tmp_path: Path) -> None:
    for name in (
        "rules/b.yaml",
        "rules/a.yml",
        "rules/_x.yaml",
        "rules/_frag/y.yaml",
        "rules/.hidden.yaml",
        "prometheus/p.yaml",
        "generated/prometheus/prometheus.yml",
        "rules/readme.md",
        "other/z.yaml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("kind: Team\nname: t\n")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["prometheus/p.yaml", "rules/a.yml", "rules/b.yaml"]


def test_text_that_is_not_utf8_is_reported(make_repo: WriteFiles) -> None:
    root = make_repo({})
    (root / "rules").mkdir()
    (root / "rules" / "a.yaml").write_bytes(b"kind: Team\nname: \xff\xfe\n")
    (problem,) = load(root).diagnostics
    assert problem.location.file == "rules/a.yaml"


def _many_files(make_repo: WriteFiles) -> Path:
    files = {
        f"rules/t{i:03}.yaml": f"kind: Team\nname: team-{i}\ndescription: number {i}\n" for i in range(80)
    }
    files["rules/t070.yaml"] = (
        "kind: Team\nname: team-70\nname: again\n"  # a duplicate key, reported by a child
        "members: !include _members.yaml\n"
    )
    files["rules/_members.yaml"] = "- name: alice\n  email: alice@example.com\n"
    files["rules/t075.yaml"] = "kind: Team\nname: [open\n"  # a syntax error, reported by a child
    return make_repo(files)


def test_loading_on_several_cores_gives_what_one_core_gives(make_repo: WriteFiles) -> None:
    root = _many_files(make_repo)
    alone, spread = load(root, workers=1), load(root, workers=2)
    assert [(d.file, d.index, plain(d.data)) for d in spread.documents] == [
        (d.file, d.index, plain(d.data)) for d in alone.documents
    ]
    assert spread.diagnostics == alone.diagnostics and len(alone.diagnostics) == 2
    assert spread.files == alone.files and spread.included == alone.included == {"rules/_members.yaml"}
    # Trees that came from a child are located by parsing their file again, exactly as at home.
    for one, other in zip(alone.documents, spread.documents, strict=True):
        assert one.data.location == other.data.location
        for path in (["name"], ["description"], ["members", 0, "email"]):
            assert locate(other.data, path) == locate(one.data, path)
            assert locate(other.data, path, key=True) == locate(one.data, path, key=True)
        assert other.data.value_locations == one.data.value_locations


def test_a_file_changed_after_loading_is_located_at_the_file(make_repo: WriteFiles) -> None:
    root = _many_files(make_repo)
    loaded = load(root, workers=2)
    last = loaded.documents[-1]
    assert last.file == "rules/t079.yaml"
    (root / last.file).write_text("kind: Team\n")  # its `name` and `description` are gone now
    # What is still there is located; what is gone is located at its mapping, without failing.
    here = Location("rules/t079.yaml", 1, 1, 1)
    assert locate(last.data, ["description"]) == here
    assert last.data.value_locations == {
        "kind": Location("rules/t079.yaml", 1, 7, 4),
        "name": here,
        "description": here,
    }


def test_a_duplicate_key_before_keys_that_are_not_text_is_reported(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "kind: Team\nname: a\nname: b\n200: ok\ntrue: yes\n"})
    result = load(root)
    (problem,) = result.diagnostics
    assert problem.message == "duplicate key 'name' (first written at line 2)"
    data = result.documents[0].data
    assert list(data) == ["kind", "name", "200", "true"]
    assert data.key_locations["200"] == Location("rules/a.yaml", 4, 1, 3)
    assert locate(data, ["true"]) == Location("rules/a.yaml", 5, 7, 3)


def test_trees_handed_over_by_a_worker_find_their_places_again_or_fall_back_to_the_file(
    make_repo: WriteFiles,
) -> None:
    # What a worker does to a file's trees before pickling them, done here, where it is measured.
    import pickle

    from generator import load_workers
    from generator.load import load_file

    root = make_repo(
        {"rules/a.yaml": "kind: Team\nname: a\n---\nkind: Team\nname: b\nmembers:\n  - name: c\n"}
    ).resolve()
    at_home = load(root, workers=1).documents
    documents = load_file(root / "rules/a.yaml", root)[0]
    load_workers.detach(documents, root)
    documents = pickle.loads(pickle.dumps(documents))
    (source, node) = documents[1].data.origin
    assert source is not None and source.stale and node is None
    assert [d.data.location for d in documents] == [d.data.location for d in at_home]  # kept
    assert locate(documents[1].data, ["members", 0, "name"]) == locate(
        at_home[1].data, ["members", 0, "name"]
    )
    assert documents[0].data.value_locations == at_home[0].data.value_locations
    assert not documents[1].data.origin[0].stale  # parsed again once, for both documents

    # A file gone since: what is asked is located at its document (kept), or at the file.
    again = load_file(root / "rules/a.yaml", root)[0]
    load_workers.detach(again, root)
    again = pickle.loads(pickle.dumps(again))
    (root / "rules/a.yaml").unlink()
    document = again[1].data
    assert document.location == Location("rules/a.yaml", 4, 1, 1)
    assert locate(document, ["name"]) == document.location
    assert document.key_locations == dict.fromkeys(("kind", "name", "members"), document.location)
    assert document["members"].location == Location("rules/a.yaml")
    assert document["members"].item_locations == [Location("rules/a.yaml")]
