"""Secret-looking values anywhere in the definitions are caught by their shapes, and only those."""

from __future__ import annotations

import pytest

from generator.pipeline import build
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
