"""Rule groups to a Mimir/Cortex ruler: the plan, applying it, tenants and errors, against the fake."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from generator.deploy.changes import Action, DeployError
from generator.deploy.ruler import (
    CORTEX_PREFIX,
    RulerClient,
    apply_rules,
    load_groups,
    normalise_group,
    plan_rules,
)
from tests.deploy.conftest import GENERATED
from tests.deploy.fake_ruler import FakeRuler, go_duration, running_ruler

RULE_FILES = sorted((GENERATED / "prometheus" / "rules").glob("*/*.yml"))

CHECKOUT = """\
groups:
  - name: checkout
    rules:
      - record: service:requests:rate5m
        expr: |
          sum(rate(http_requests_total{job="checkout"}[5m]))
        labels:
          service: checkout
      - alert: CheckoutDown
        expr: up{job="checkout"} == 0
        for: 300s
        labels:
          severity: 2
        annotations: {}
"""


def generated_groups() -> list[str]:
    items = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            items.append(f"group {path.parent.name}/{group['name']}")
    return sorted(items)


def test_the_first_plan_creates_every_generated_group(ruler: FakeRuler) -> None:
    plan = plan_rules(GENERATED, RulerClient(ruler.url, tenant="team"))

    assert len(generated_groups()) >= 8
    assert [c.item for c in plan] == generated_groups()
    assert {(c.target, c.action) for c in plan} == {("ruler", Action.CREATE)}
    assert ruler.namespaces("team") == {}


def test_after_apply_the_plan_is_all_unchanged(ruler: FakeRuler) -> None:
    client = RulerClient(ruler.url, tenant="team")
    plan = plan_rules(GENERATED, client)

    done = apply_rules(GENERATED, client, plan)
    again = plan_rules(GENERATED, client)

    assert done == plan
    assert sorted(f"group {ns}/{g['name']}" for ns, gs in ruler.namespaces("team").items() for g in gs) == (
        generated_groups()
    )
    assert [c.item for c in again] == generated_groups()
    assert {c.action for c in again} == {Action.UNCHANGED}
    assert apply_rules(GENERATED, client, again) == []


def test_the_ruler_stores_what_the_files_say(ruler: FakeRuler) -> None:
    client = RulerClient(ruler.url, tenant="team")
    apply_rules(GENERATED, client, plan_rules(GENERATED, client))

    stored = {g["name"]: g for g in client.namespace_groups("platform")}
    ours = yaml.safe_load((GENERATED / "prometheus/rules/platform/stack.yml").read_text())["groups"][0]
    assert normalise_group(stored["stack"]) == normalise_group(ours)
    assert stored["stack"]["rules"][0]["alert"] == "Watchdog"
    posts = [r for r in ruler.requests if r[0] == "POST"]
    assert {r[2]["content-type"] for r in posts} == {"application/yaml"}


def test_equal_meaning_is_unchanged_whatever_the_spelling(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    client = RulerClient(ruler.url, tenant="t")
    apply_rules(generated, client, plan_rules(generated, client))
    stored = ruler.namespaces("t")["payments"][0]["rules"]

    (change,) = plan_rules(generated, client)

    assert stored[1]["for"] == "5m" and stored[1]["labels"] == {"severity": "2"}, "the fake prints like Mimir"
    assert "annotations" not in stored[1]
    assert change.action is Action.UNCHANGED


def test_a_changed_group_is_an_update_whose_diff_shows_the_rule(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    client = RulerClient(ruler.url, tenant="t")
    apply_rules(generated, client, plan_rules(generated, client))
    write_rules("payments", "checkout", CHECKOUT.replace("for: 300s", "for: 10m"))

    plan = plan_rules(generated, client)
    done = apply_rules(generated, client, plan)

    assert [(c.item, c.action) for c in plan] == [("group payments/checkout", Action.UPDATE)]
    assert "-    for: 5m\n+    for: 10m\n" in plan[0].diff
    assert plan[0].diff.startswith("--- running/payments/checkout\n+++ generated/payments/checkout\n")
    assert done == plan
    assert ruler.namespaces("t")["payments"][0]["rules"][1]["for"] == "10m"


def test_a_removed_group_is_deleted_only_in_namespaces_we_own(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    client = RulerClient(ruler.url, tenant="t")
    other = RulerClient(ruler.url, tenant="t")
    for namespace, name in [("payments", "old-checkout"), ("someone-else", "theirs")]:
        other.set_group(namespace, {"name": name, "rules": [{"record": "x:y", "expr": "vector(1)"}]})

    plan = plan_rules(generated, client)
    done = apply_rules(generated, client, plan)

    assert [(c.item, c.action) for c in plan] == [
        ("group payments/checkout", Action.CREATE),
        ("group payments/old-checkout", Action.DELETE),
    ]
    assert "-name: old-checkout\n" in plan[1].diff
    assert done == plan
    assert [g["name"] for g in ruler.namespaces("t")["payments"]] == ["checkout"]
    assert [g["name"] for g in ruler.namespaces("t")["someone-else"]] == ["theirs"]
    methods = [r[0] for r in ruler.requests if r[0] != "GET"]
    assert methods[-2:] == ["POST", "DELETE"], "creates and updates go before deletions"


def test_an_empty_team_folder_is_still_our_namespace(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    (generated / "prometheus/rules/payments/checkout.yml").unlink()
    client = RulerClient(ruler.url, tenant="t")
    client.set_group("payments", {"name": "checkout", "rules": [{"record": "x:y", "expr": "vector(1)"}]})

    plan = plan_rules(generated, client)
    apply_rules(generated, client, plan)

    assert [(c.item, c.action) for c in plan] == [("group payments/checkout", Action.DELETE)]
    assert client.list_groups() == {}


def test_the_tenant_header_is_sent_and_tenants_do_not_see_each_other(ruler: FakeRuler) -> None:
    client = RulerClient(ruler.url, tenant="tenant-a")
    apply_rules(GENERATED, client, plan_rules(GENERATED, client))

    assert {r[2].get("x-scope-orgid") for r in ruler.requests} == {"tenant-a"}
    assert set(client.list_groups()) == {p.name for p in (GENERATED / "prometheus/rules").iterdir()}
    assert RulerClient(ruler.url, tenant="tenant-b").list_groups() == {}
    assert {c.action for c in plan_rules(GENERATED, RulerClient(ruler.url, tenant="tenant-b"))} == {
        Action.CREATE
    }


def test_without_a_tenant_a_multi_tenant_ruler_answers_401_naming_the_url(ruler: FakeRuler) -> None:
    with pytest.raises(DeployError) as caught:
        plan_rules(GENERATED, RulerClient(ruler.url))

    assert str(caught.value) == f"GET {ruler.url}/prometheus/config/v1/rules/payments: HTTP 401: no org id"


def test_a_cortex_ruler_under_its_own_prefix_without_tenants() -> None:
    with running_ruler(FakeRuler(prefix="/api/v1/rules", multitenant=False)) as fake:
        client = RulerClient(fake.url + "/", prefix=CORTEX_PREFIX)
        apply_rules(GENERATED, client, plan_rules(GENERATED, client))

        assert {c.action for c in plan_rules(GENERATED, client)} == {Action.UNCHANGED}
        assert {r[1].split("/")[4] for r in fake.requests} == {"payments", "platform"}
        assert "x-scope-orgid" not in fake.requests[0][2]
        assert repr(client) == f"RulerClient({fake.url!r}, prefix='/api/v1/rules', tenant=None)"


def test_a_500_stops_at_that_group_and_names_its_file_and_the_url(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    client = RulerClient(ruler.url, tenant="t")
    plan = plan_rules(generated, client)
    ruler.fail("POST", "/prometheus/config/v1/rules/payments", 500)

    with pytest.raises(DeployError) as caught:
        apply_rules(generated, client, plan)

    assert str(caught.value) == (
        f"{generated}/prometheus/rules/payments/checkout.yml: group checkout: "
        f'POST {ruler.url}/prometheus/config/v1/rules/payments: HTTP 500: {{"status":"error","error":"boom"}}'
    )


def test_a_group_the_ruler_refuses_reports_its_reason(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules(
        "payments", "checkout", CHECKOUT.replace('expr: up{job="checkout"} == 0', 'expr: ""')
    )
    client = RulerClient(ruler.url, tenant="t")

    with pytest.raises(
        DeployError, match=r"HTTP 400: group 'checkout', rule 1: field 'expr' must be set in rule$"
    ):
        apply_rules(generated, client, plan_rules(generated, client))


def test_a_failed_delete_names_the_group(ruler: FakeRuler, write_rules: Callable[..., Path]) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    client = RulerClient(ruler.url, tenant="t")
    client.set_group("payments", {"name": "gone", "rules": [{"record": "x:y", "expr": "vector(1)"}]})
    plan = [c for c in plan_rules(generated, client) if c.action is Action.DELETE]
    client.delete_group("payments", "gone")  # someone else was quicker

    with pytest.raises(
        DeployError, match=r"^group payments/gone: DELETE .*/payments/gone: HTTP 404: group does not exist"
    ):
        apply_rules(generated, client, plan)


def test_a_plan_naming_a_group_no_longer_generated_is_refused(
    ruler: FakeRuler, write_rules: Callable[..., Path]
) -> None:
    generated = write_rules("payments", "checkout", CHECKOUT)
    client = RulerClient(ruler.url, tenant="t")
    plan = plan_rules(generated, client)
    write_rules("payments", "checkout", CHECKOUT.replace("name: checkout", "name: renamed"))

    with pytest.raises(DeployError, match=r"^group payments/checkout: in the plan but no longer generated"):
        apply_rules(generated, client, plan)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"status":"error","error":"boom"}', id="a JSON error body"),
        pytest.param(b"<html><body>Sign in: [</body></html>", id="a login page that is not YAML"),
    ],
)
def test_a_reply_that_is_not_a_namespace_map_is_an_error(ruler: FakeRuler, body: bytes) -> None:
    ruler.fail("GET", "/prometheus/config/v1/rules", 200, body)

    with pytest.raises(DeployError, match=r"^GET .*/rules: expected YAML `namespace: \[groups\]`, got: "):
        RulerClient(ruler.url, tenant="t").list_groups()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("groups: [\n", r"checkout\.yml:2:1: not YAML", id="not YAML"),
        pytest.param(
            "groups:\n  - rules: []\n", r"checkout\.yml: expected a Prometheus rule file", id="no name"
        ),
        pytest.param(
            "groups: {}\n", r"checkout\.yml: expected a Prometheus rule file", id="groups not a list"
        ),
    ],
)
def test_broken_rule_files_are_reported_with_their_file(
    write_rules: Callable[..., Path], text: str, expected: str
) -> None:
    with pytest.raises(DeployError, match=expected):
        load_groups(write_rules("payments", "checkout", text))


def test_a_group_name_twice_in_one_namespace_is_refused(write_rules: Callable[..., Path]) -> None:
    write_rules("payments", "a", CHECKOUT)
    generated = write_rules("payments", "b", CHECKOUT)

    with pytest.raises(
        DeployError, match=r"payments/b\.yml: group 'checkout' is also defined in .*payments/a\.yml"
    ):
        load_groups(generated)


def test_a_file_without_groups_and_an_empty_file_hold_no_groups(write_rules: Callable[..., Path]) -> None:
    write_rules("payments", "empty", "")
    generated = write_rules("platform", "none", "groups:\n")

    assert load_groups(generated) == (["payments", "platform"], [])


def test_no_generated_rules_folder_asks_for_a_build(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"prometheus/rules: no such folder; run `gen build` first"):
        load_groups(tmp_path)


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        pytest.param(
            {
                "name": "g",
                "interval": "60s",
                "limit": 0,
                "rules": [{"alert": "A", "expr": "x\n", "for": "0s"}],
            },
            {"interval": "1m", "name": "g", "rules": [{"alert": "A", "expr": "x"}]},
            id="zero values go and durations are canonical",
        ),
        pytest.param(
            {
                "name": "g",
                "rules": [{"alert": "A", "expr": "x", "keep_firing_for": "2w", "labels": {"n": 1}}],
            },
            {
                "name": "g",
                "rules": [{"alert": "A", "expr": "x", "keep_firing_for": "14d", "labels": {"n": "1"}}],
            },
            id="weeks are days and label values strings",
        ),
        pytest.param(
            {"name": "g", "interval": "0s", "rules": [{"alert": "A", "expr": "x", "for": "soon"}]},
            {"name": "g", "rules": [{"alert": "A", "expr": "x", "for": "soon"}]},
            id="a duration that does not parse is left for the ruler to refuse",
        ),
    ],
)
def test_normalise_group(group: dict[str, object], expected: dict[str, object]) -> None:
    assert normalise_group(group) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("300s", "5m"), ("14d", "2w"), ("90m", "1h30m"), ("0s", "0s"), ("1500ms", "1s500ms")],
)
def test_the_fake_prints_durations_as_prometheus_does(text: str, expected: str) -> None:
    assert go_duration(text) == expected


def test_normalised_keys_read_in_rule_file_order() -> None:
    group = {"rules": [{"labels": {"b": "1", "a": "2"}, "expr": "x", "zz": "y", "alert": "A"}], "name": "g"}

    normal = normalise_group(group)

    assert list(normal) == ["name", "rules"]
    assert list(normal["rules"][0]) == ["alert", "expr", "zz", "labels"]
    assert list(normal["rules"][0]["labels"]) == ["a", "b"]
