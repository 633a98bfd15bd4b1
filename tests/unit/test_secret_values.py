"""Secret-looking values anywhere in the definitions are caught by their shapes, and only those."""

from __future__ import annotations

import pytest

from generator.pipeline import build
from generator.secret_values import may_hold_secrets
from tests.conftest import WriteFiles, messages

LEAKS = {
    "Slack webhook URL": "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx",
    "Slack token": "xoxb-123456789012-abcdefghijkl",
    "GitHub token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "private key": "-----BEGIN RSA PRIVATE KEY-----",
    "JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc",
    "bearer token": "Bearer abcdefghijklmnopqrstuvwxyz",
    "password inside a URL": "postgres://monitor:hunter2@db:5432/shop",
}


@pytest.mark.parametrize(("what", "value"), LEAKS.items(), ids=list(LEAKS))
def test_a_pasted_secret_is_reported_where_it_was_written(
    make_repo: WriteFiles, what: str, value: str
) -> None:
    root = make_repo({"rules/t.yaml": f"kind: Team\nname: payments\ndescription: '{value}'\n"})
    assert messages(build(root).diagnostics) == [
        f"rules/t.yaml:3:14: this value looks like a {what}: secrets never go into definitions"
    ]


@pytest.mark.parametrize(
    "value",
    [
        "https://hooks.example.com/services/x",
        "Bearer",
        "see https://grafana.example.com/d/abc?orgId=1",
        "/etc/alertmanager/secrets/slack-webhook-url",
        "AKIA-not-a-key",
        "{{ $labels.instance }} is down",
    ],
)
def test_ordinary_values_are_not_secrets(make_repo: WriteFiles, value: str) -> None:
    root = make_repo({"rules/t.yaml": f"kind: Team\nname: payments\ndescription: '{value}'\n"})
    assert build(root).ok


@pytest.mark.parametrize(("what", "value"), LEAKS.items(), ids=list(LEAKS))
def test_every_shape_passes_the_per_file_prefilter_also_when_folded(what: str, value: str) -> None:
    assert may_hold_secrets(f"description: '{value}'\n")
    # A plain scalar may be folded over lines; the prefilter's literals hold no whitespace.
    folded = value.replace(" ", "\n  ")
    assert may_hold_secrets(f"description: {folded}\n")


def test_a_secret_hidden_behind_escapes_is_still_found(make_repo: WriteFiles) -> None:
    # `\x41` is `A`: the file's text has no `AKIA`, only a backslash, which sends it to the scan.
    root = make_repo(
        {"rules/t.yaml": 'kind: Team\nname: payments\ndescription: "\\x41KIAIOSFODNN7EXAMPLE"\n'}
    )
    assert messages(build(root).diagnostics) == [
        "rules/t.yaml:3:14: this value looks like a AWS access key id: secrets never go into definitions"
    ]


def test_secrets_in_lists_in_included_files_are_found_where_they_are_written(make_repo: WriteFiles) -> None:
    root = make_repo(
        {
            "dashboards/d.yaml": "kind: Dashboard\ntitle: Board\ntags: !include _tags.yaml\n",
            "dashboards/_tags.yaml": "- shop\n- ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
        }
    )
    assert messages(build(root).diagnostics) == [
        "dashboards/_tags.yaml:2:3: this value looks like a GitHub token: secrets never go into definitions"
    ]


def test_files_without_any_literal_of_a_shape_are_not_scanned_value_by_value() -> None:
    assert not may_hold_secrets(b"kind: Dashboard\ntitle: Board\nrows: [{title: r, panels: []}]\n")
