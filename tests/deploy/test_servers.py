"""The plan for Prometheus and Alertmanager, on the pure parts: what counts as a difference
between the config a server renders and the file we wrote, and between two printings of a rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.deploy.changes import Action
from generator.deploy.servers import _expression, config_change, project, rule_changes


@pytest.mark.parametrize(
    ("ours", "running", "same"),
    [
        ('sum by (job) (rate(x{b="1", a="2"}[5m]))', 'sum by (job) (rate(x{a="2",b="1"}[5m]))', True),
        ('up{job="a"}  ==  0', 'up{job="a"} == 0', True),
        ('x{a="}{,"}', 'x{a="}{,"}', True),  # braces and commas inside a quoted value
        ("rate(x[5m])", "rate(x[1m])", False),
        ('x{a="1"}', 'x{a="2"}', False),
    ],
    ids=["matcher order", "spacing", "braces in values", "another range", "another value"],
)
def test_expressions_compare_as_prometheus_means_them(ours: str, running: str, same: bool) -> None:
    assert (_expression(ours) == _expression(running)) is same


def test_defaults_absolute_paths_secrets_and_duration_spellings_are_not_differences() -> None:
    ours = {"global": {"scrape_interval": "60s"}, "rule_files": ["rules/a/*.yml"], "password_file": "x"}
    running = {
        "global": {"scrape_interval": "1m", "scrape_timeout": "10s", "evaluation_interval": "1m"},
        "rule_files": ["/etc/prometheus/config/rules/a/*.yml"],
        "password_file": "<secret>",
        "storage": {"tsdb": {}},
    }
    assert project(ours, running) == ours
    running["global"]["scrape_interval"] = "30s"
    assert project(ours, running)["global"]["scrape_interval"] == "30s"


def test_a_config_change_comes_with_a_diff_of_our_keys_only() -> None:
    ours = "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: a\n"
    running = "global:\n  scrape_interval: 30s\n  scrape_timeout: 10s\nscrape_configs:\n  - job_name: a\n    honor_labels: false\n"
    change = config_change("prometheus", "prometheus.yml", ours, running)
    assert change.action is Action.UPDATE
    assert "-  scrape_interval: 30s" in change.diff and "+  scrape_interval: 15s" in change.diff
    assert "scrape_timeout" not in change.diff and "honor_labels" not in change.diff
    assert (
        config_change("prometheus", "prometheus.yml", ours, running.replace("30s", "15s")).action
        is Action.UNCHANGED
    )


def test_rule_groups_are_created_updated_deleted_or_unchanged(tmp_path: Path) -> None:
    (tmp_path / "rules" / "t").mkdir(parents=True)
    (tmp_path / "prometheus.yml").write_text("rule_files: ['rules/t/*.yml']\n")
    (tmp_path / "rules" / "t" / "a.yml").write_text(
        "groups:\n"
        "  - name: same\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        labels: {severity: page}\n"
        "  - name: changed\n    rules:\n      - record: r\n        expr: sum(x)\n"
        "  - name: new\n    rules:\n      - record: n\n        expr: sum(y)\n"
    )
    file = "/etc/prometheus/config/rules/t/a.yml"
    api = {
        "data": {
            "groups": [
                {"name": "same", "file": file, "rules": [
                    {"type": "alerting", "name": "A", "query": "up == 0", "duration": 300, "labels": {"severity": "page"}, "annotations": {}}
                ]},
                {"name": "changed", "file": file, "rules": [{"type": "recording", "name": "r", "query": "sum(z)", "labels": {}}]},
                {"name": "gone", "file": file, "rules": [{"type": "recording", "name": "g", "query": "1", "labels": {}}]},
            ]
        }
    }  # fmt: skip
    changes = {change.item: change for change in rule_changes(tmp_path / "prometheus.yml", api)}
    assert {item: change.action for item, change in changes.items()} == {
        "rule group rules/t/a.yml:same": Action.UNCHANGED,
        "rule group rules/t/a.yml:changed": Action.UPDATE,
        "rule group rules/t/a.yml:new": Action.CREATE,
        "rule group rules/t/a.yml:gone": Action.DELETE,
    }
    assert "-- expr: sum(z)\n+- expr: sum(x)" in changes["rule group rules/t/a.yml:changed"].diff
