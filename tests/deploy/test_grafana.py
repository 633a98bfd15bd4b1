"""Dashboards to Grafana: the plan, applying it, auth and errors, against the fake Grafana."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.deploy.changes import Action, DeployError
from generator.deploy.grafana import (
    FOLDERS_PAGE,
    GrafanaClient,
    apply_dashboards,
    folder_uid,
    load_dashboards,
    plan_dashboards,
)
from generator.deploy.http import request
from tests.deploy.conftest import GENERATED
from tests.deploy.fake_grafana import FakeGrafana, running_grafana

DASHBOARDS = sorted((GENERATED / "grafana" / "dashboards").glob("*/*.json"))


def generated_items() -> list[str]:
    boards = [(p.parent.name, json.loads(p.read_text())["uid"]) for p in DASHBOARDS]
    out: list[str] = []
    for folder in sorted({f for f, _ in boards}):
        out.append(f"folder {folder}")
        out.extend(f"dashboard {folder}/{uid}" for uid in sorted(u for f, u in boards if f == folder))
    return out


def deployed(fake: FakeGrafana) -> GrafanaClient:
    client = GrafanaClient(fake.url)
    apply_dashboards(GENERATED, client, plan_dashboards(GENERATED, client))
    return client


def test_the_first_plan_creates_every_folder_and_dashboard_folder_first(grafana: FakeGrafana) -> None:
    plan = plan_dashboards(GENERATED, GrafanaClient(grafana.url))

    assert len(DASHBOARDS) >= 10
    assert [c.item for c in plan] == generated_items()
    assert {c.action for c in plan} == {Action.CREATE}
    assert {c.target for c in plan} == {"grafana"}
    assert grafana.dashboards == {} and grafana.folders == {}, "planning changed the server"


def test_after_apply_the_plan_is_all_unchanged(grafana: FakeGrafana) -> None:
    client = GrafanaClient(grafana.url)
    plan = plan_dashboards(GENERATED, client)

    done = apply_dashboards(GENERATED, client, plan)
    again = plan_dashboards(GENERATED, client)

    assert done == plan
    assert len(grafana.dashboards) == len(DASHBOARDS)
    assert [c.item for c in again] == [i for i in generated_items() if i.startswith("dashboard ")]
    assert {c.action for c in again} == {Action.UNCHANGED}
    assert apply_dashboards(GENERATED, client, again) == []


def test_dashboards_land_in_the_folder_named_after_their_directory(grafana: FakeGrafana) -> None:
    deployed(grafana)

    for path in DASHBOARDS:
        uid = json.loads(path.read_text())["uid"]
        assert grafana.folder_of(uid) == path.parent.name
        assert grafana.dashboards[uid]["folder_uid"] == folder_uid(path.parent.name)
    saves = [r.body for r in grafana.requests if r.path == "/api/dashboards/db"]
    assert {(s["overwrite"], s["message"], s["dashboard"]["id"]) for s in saves} == {
        (True, "gen deploy", None)
    }


def test_a_folder_the_file_provisioner_made_is_found_by_title_and_reused(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    grafana.add_folder("Xk93hQ", "payments")  # a provisioner-made folder has a random uid
    generated = write_dashboard("payments", "svc-checkout")
    client = GrafanaClient(grafana.url)

    plan = plan_dashboards(generated, client)
    apply_dashboards(generated, client, plan)

    assert [(c.item, c.action) for c in plan] == [("dashboard payments/svc-checkout", Action.CREATE)]
    assert grafana.dashboards["svc-checkout"]["folder_uid"] == "Xk93hQ"
    assert list(grafana.folders) == ["Xk93hQ"]


def test_a_folder_we_made_and_someone_retitled_is_found_by_uid(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    grafana.add_folder("mac-payments", "Payments (renamed)")
    generated = write_dashboard("payments", "svc-checkout")
    client = GrafanaClient(grafana.url)

    apply_dashboards(generated, client, plan_dashboards(generated, client))

    assert grafana.dashboards["svc-checkout"]["folder_uid"] == "mac-payments"
    assert len(grafana.folders) == 1


def test_a_dashboard_edited_in_the_ui_is_an_update_whose_diff_names_the_key(grafana: FakeGrafana) -> None:
    client = deployed(grafana)
    edited = dict(grafana.dashboards["svc-checkout"]["dashboard"], description="edited in the UI")
    reply = request(
        "POST",
        f"{grafana.url}/api/dashboards/db",
        json.dumps({"dashboard": edited, "folderUid": "mac-payments", "overwrite": False}).encode(),
        {"Content-Type": "application/json"},
    )
    assert reply.status == 200 and json.loads(reply.body)["version"] == 2

    plan = plan_dashboards(GENERATED, client)

    updates = [c for c in plan if c.action is not Action.UNCHANGED]
    assert [(c.item, c.action) for c in updates] == [("dashboard payments/svc-checkout", Action.UPDATE)]
    diff = updates[0].diff
    assert '-  "description": "edited in the UI",' in diff
    assert '+  "description": "Takes the customer\'s basket to a paid order.",' in diff
    assert diff.startswith("--- running/grafana/dashboards/payments/svc-checkout.json\n")
    assert '"version"' not in diff and '"id"' not in diff


def test_applying_overwrites_a_newer_server_version_which_a_plain_save_may_not(grafana: FakeGrafana) -> None:
    client = deployed(grafana)
    board = grafana.dashboards["team-payments"]["dashboard"]
    grafana.dashboards["team-payments"]["dashboard"] = dict(board, title="Renamed", version=7)
    stale = dict(board, version=1)
    refused = request(
        "POST",
        f"{grafana.url}/api/dashboards/db",
        json.dumps({"dashboard": stale, "folderUid": "mac-payments", "overwrite": False}).encode(),
    )
    assert refused.status == 412
    assert json.loads(refused.body) == {
        "message": "The dashboard has been changed by someone else",
        "status": "version-mismatch",
    }

    done = apply_dashboards(GENERATED, client, plan_dashboards(GENERATED, client))

    assert [c.item for c in done] == ["dashboard payments/team-payments"]
    assert grafana.dashboards["team-payments"]["dashboard"]["title"] == "Team: payments"
    assert grafana.dashboards["team-payments"]["dashboard"]["version"] == 8


def test_a_dashboard_moved_to_another_folder_is_an_update_naming_both_folders(grafana: FakeGrafana) -> None:
    client = deployed(grafana)
    grafana.dashboards["hosts-node"]["folder_uid"] = "mac-payments"

    plan = plan_dashboards(GENERATED, client)
    (moved,) = [c for c in plan if c.changes_anything]
    apply_dashboards(GENERATED, client, plan)

    assert moved.item == "dashboard platform/hosts-node" and moved.action is Action.UPDATE
    assert "-folder: payments\n+folder: platform\n" in moved.diff
    assert grafana.folder_of("hosts-node") == "platform"


def test_a_dashboard_in_another_folder_of_the_same_title_is_moved(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    generated = write_dashboard("payments", "svc-checkout")
    board = json.loads((generated / "grafana/dashboards/payments/svc-checkout.json").read_text())
    grafana.add_folder("mac-payments", "payments")
    grafana.add_folder("nested", "payments")  # nested folders may repeat a title
    grafana.dashboards["svc-checkout"] = {"dashboard": {**board, "id": 9}, "folder_uid": "nested"}

    (change,) = plan_dashboards(generated, GrafanaClient(grafana.url))

    assert change.action is Action.UPDATE
    assert "-folder: payments (uid nested)\n+folder: payments\n" in change.diff


def test_key_order_server_keys_and_integral_floats_are_not_changes(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    generated = write_dashboard(
        "team", "b", refresh="1m", graphTooltip=1.0, time={"from": "now-6h", "to": "now"}
    )
    grafana.add_folder("mac-team", "team")
    grafana.dashboards["b"] = {
        "dashboard": {
            "time": {"to": "now", "from": "now-6h"},
            "graphTooltip": 1,
            "refresh": "1m",
            "panels": [],
            "title": "Board b",
            "uid": "b",
            "id": 41,
            "version": 17,
        },
        "folder_uid": "mac-team",
    }

    (change,) = plan_dashboards(generated, GrafanaClient(grafana.url))

    assert change.action is Action.UNCHANGED and change.diff == ""


def test_dashboards_we_did_not_generate_are_left_alone(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    generated = write_dashboard("team", "ours")
    grafana.dashboards["theirs"] = {
        "dashboard": {"uid": "theirs", "title": "T", "id": 1, "version": 3},
        "folder_uid": "",
    }
    client = GrafanaClient(grafana.url)

    plan = plan_dashboards(generated, client)
    apply_dashboards(generated, client, plan)

    assert [c.item for c in plan] == ["folder team", "dashboard team/ours"]
    assert grafana.dashboards["theirs"]["dashboard"]["version"] == 3
    assert not [r for r in grafana.requests if r.method == "DELETE"]


def test_folders_are_read_page_by_page(grafana: FakeGrafana, write_dashboard: Callable[..., Path]) -> None:
    for n in range(FOLDERS_PAGE):
        grafana.add_folder(f"f{n}", f"a-folder-{n:04}")
    grafana.add_folder("mac-zz", "zz")  # sorts last: on page 2
    generated = write_dashboard("zz", "b")

    plan = plan_dashboards(generated, GrafanaClient(grafana.url))

    assert [c.item for c in plan] == ["dashboard zz/b"]
    pages = [r for r in grafana.requests if r.path == "/api/folders"]
    assert len(pages) == 2


def test_the_token_is_read_from_a_file_and_sent_as_a_bearer_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("glsa_s3cret\n")
    with running_grafana(FakeGrafana(token="glsa_s3cret")) as fake:
        client = GrafanaClient(fake.url, token_file=token_file)
        apply_dashboards(GENERATED, client, plan_dashboards(GENERATED, client))

        assert len(fake.dashboards) == len(DASHBOARDS)
        assert {r.headers["authorization"] for r in fake.requests} == {"Bearer glsa_s3cret"}
        assert "s3cret" not in repr(client) and "bearer" in repr(client)


def test_without_credentials_grafana_answers_401_and_the_error_names_the_url() -> None:
    with running_grafana(FakeGrafana(token="glsa_s3cret")) as fake, pytest.raises(DeployError) as caught:
        plan_dashboards(GENERATED, GrafanaClient(fake.url))

    message = str(caught.value)
    assert message.startswith(f"GET {fake.url}/api/folders?limit=1000&page=1: HTTP 401 (check the token")
    assert '"message": "Unauthorized"' in message


def test_basic_auth_is_read_from_a_file(tmp_path: Path, write_dashboard: Callable[..., Path]) -> None:
    secret = tmp_path / "basic"
    secret.write_text("deployer:pa:ss\n")
    generated = write_dashboard("team", "b")
    with running_grafana(FakeGrafana(basic=("deployer", "pa:ss"))) as fake:
        client = GrafanaClient(fake.url, basic_auth_file=secret)
        apply_dashboards(generated, client, plan_dashboards(generated, client))

        assert fake.folder_of("b") == "team"
        assert repr(client) == f"GrafanaClient({fake.url!r}, auth=basic)"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"token": "t", "basic": "u:p"}, "give a token file or a basic-auth file, not both", id="both"
        ),
        pytest.param({"basic": "no-colon"}, "expected one line `user:password`", id="basic without colon"),
        pytest.param({"token": "\n"}, "the Grafana token file is empty", id="empty token"),
        pytest.param(
            {"token": None}, "cannot read the Grafana token (No such file or directory)", id="missing"
        ),
    ],
)
def test_bad_credential_files_are_refused_without_showing_them(
    tmp_path: Path, files: dict[str, str | None], expected: str
) -> None:
    paths: dict[str, Path] = {}
    for kind, text in files.items():
        paths[kind] = tmp_path / kind
        if text is not None:
            paths[kind].write_text(text)

    with pytest.raises(DeployError) as caught:
        GrafanaClient("http://grafana", token_file=paths.get("token"), basic_auth_file=paths.get("basic"))

    assert expected in str(caught.value)
    assert "no-colon" not in str(caught.value)


def test_a_500_on_save_stops_at_that_dashboard_and_names_its_file_and_the_url(grafana: FakeGrafana) -> None:
    client = GrafanaClient(grafana.url)
    plan = plan_dashboards(GENERATED, client)
    first = next(c for c in plan if c.item.startswith("dashboard "))
    grafana.fail("POST", "/api/dashboards/db", 500)

    with pytest.raises(DeployError) as caught:
        apply_dashboards(GENERATED, client, plan)

    folder, uid = first.item.removeprefix("dashboard ").split("/")
    assert str(caught.value) == (
        f"{GENERATED}/grafana/dashboards/{folder}/{uid}.json: POST {grafana.url}/api/dashboards/db: "
        'HTTP 500: {"message":"Internal Server Error"}'
    )
    assert grafana.dashboards == {}, "apply went on after the first error"


def test_a_refused_folder_names_the_folder(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    generated = write_dashboard("team", "b")
    client = GrafanaClient(grafana.url)
    plan = plan_dashboards(generated, client)
    grafana.fail("POST", "/api/folders", 403, b'{"message":"Access denied"}')

    with pytest.raises(DeployError) as caught:
        apply_dashboards(generated, client, plan)

    assert str(caught.value).startswith(f"folder team: POST {grafana.url}/api/folders: HTTP 403 (the account")


def test_a_login_page_instead_of_json_is_an_error(grafana: FakeGrafana) -> None:
    grafana.fail("GET", "/api/folders", 200, b"<html>Sign in</html>")

    with pytest.raises(DeployError, match=r"HTTP 200 but not JSON: <html>Sign in</html>"):
        plan_dashboards(GENERATED, GrafanaClient(grafana.url))


def test_a_grafana_that_does_not_answer_is_an_error_naming_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused

        with pytest.raises(DeployError, match=rf"GET http://127.0.0.1:{port}/api/folders\?.*: no answer"):
            plan_dashboards(GENERATED, GrafanaClient(f"http://127.0.0.1:{port}/"))


def test_a_folder_created_since_the_plan_is_not_created_twice(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    generated = write_dashboard("team", "b")
    client = GrafanaClient(grafana.url)
    plan = plan_dashboards(generated, client)
    grafana.add_folder("someone", "team")

    done = apply_dashboards(generated, client, plan)

    assert [c.item for c in done] == ["dashboard team/b"]
    assert grafana.dashboards["b"]["folder_uid"] == "someone"


def test_a_folder_removed_since_the_plan_is_created_again(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path]
) -> None:
    generated = write_dashboard("team", "b")
    grafana.add_folder("mac-team", "team")
    client = GrafanaClient(grafana.url)
    plan = plan_dashboards(generated, client)
    grafana.folders.clear()

    apply_dashboards(generated, client, plan)

    assert grafana.folder_of("b") == "team"


def test_a_plan_naming_a_dashboard_no_longer_generated_is_refused(
    grafana: FakeGrafana, write_dashboard: Callable[..., Path], tmp_path: Path
) -> None:
    generated = write_dashboard("team", "b")
    client = GrafanaClient(grafana.url)
    plan = plan_dashboards(generated, client)
    (tmp_path / "grafana/dashboards/team/b.json").unlink()
    write_dashboard("team", "c")

    with pytest.raises(
        DeployError, match=r"^dashboard team/b: in the plan but no longer generated; plan again$"
    ):
        apply_dashboards(generated, client, plan)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('{"uid": "b",', r"b\.json:1:13: not JSON \(Expecting property name", id="not JSON"),
        pytest.param("[1]", r"b\.json: a dashboard is a JSON object", id="not an object"),
        pytest.param('{"title": "B"}', r"b\.json: a dashboard needs a string `uid` and `title`", id="no uid"),
    ],
)
def test_broken_generated_dashboards_are_reported_with_their_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "grafana/dashboards/team/b.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)

    with pytest.raises(DeployError, match=expected):
        load_dashboards(tmp_path)


def test_two_dashboards_with_one_uid_are_refused(
    write_dashboard: Callable[..., Path], tmp_path: Path
) -> None:
    write_dashboard("a", "one")
    generated = write_dashboard("b", "two", uid="one")

    with pytest.raises(DeployError, match=r"b/two\.json: uid 'one' is also the uid of .*a/one\.json"):
        load_dashboards(generated)


def test_no_generated_dashboards_folder_asks_for_a_build(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"grafana/dashboards: no such folder; run `gen build` first"):
        load_dashboards(tmp_path)


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        pytest.param("payments", "mac-payments", id="a team name stays readable"),
        pytest.param("overview", "mac-overview", id="the overview folder"),
        pytest.param("Team A/ops", "mac-Team-A-ops-", id="unsafe characters are replaced and hashed"),
        pytest.param("x" * 40, "mac-" + "x" * 27 + "-", id="a long name is cut and hashed"),
    ],
)
def test_folder_uids_are_stable_short_and_safe(folder: str, expected: str) -> None:
    uid = folder_uid(folder)

    assert uid.startswith(expected) and uid == folder_uid(folder)
    assert len(uid) <= 40 and all(c.isalnum() or c in "-_" for c in uid)


def test_long_folder_names_sharing_a_prefix_get_different_uids() -> None:
    assert folder_uid("x" * 40 + "a") != folder_uid("x" * 40 + "b")
