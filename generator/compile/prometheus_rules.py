"""Prometheus rule files (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/).

One file per service or alert group under a folder per team; recording rules precede the alerts
that read them in the same group, so an evaluation sees fresh values.
"""

from __future__ import annotations

from typing import Any

from generator.compile import Artifact
from generator.model import AlertRule, Model, RecordingRule, RuleGroup

# Readers scan summary first; the rest follow in a fixed order.
ANNOTATION_ORDER = ("summary", "description", "runbook_url", "dashboard")


def _rule(rule: RecordingRule | AlertRule) -> dict[str, Any]:
    if isinstance(rule, AlertRule):
        out: dict[str, Any] = {"alert": rule.alert, "expr": rule.expr}
        if rule.for_.milliseconds:
            out["for"] = str(rule.for_)
        out["labels"] = dict(rule.labels)
        annotations = dict(rule.annotations)
        first = [key for key in ANNOTATION_ORDER if key in annotations]
        out["annotations"] = {
            key: annotations[key] for key in [*first, *sorted(set(annotations) - set(first))]
        }
        return out
    out = {"record": rule.record, "expr": rule.expr}
    if rule.labels:
        out["labels"] = dict(rule.labels)
    return out


def compile_group(group: RuleGroup, default_interval_ms: int) -> dict[str, Any]:
    out: dict[str, Any] = {"name": group.name}
    if group.interval.milliseconds != default_interval_ms:
        out["interval"] = str(group.interval)
    out["rules"] = [_rule(rule) for rule in group.rules]
    return out


def compile_rules(model: Model) -> list[Artifact]:
    default = model.prometheus.evaluation_interval.milliseconds
    by_file: dict[str, list[RuleGroup]] = {}
    for group in model.rule_groups:
        by_file.setdefault(group.file, []).append(group)
    return [
        Artifact(
            file,
            {"groups": [compile_group(g, default) for g in groups]},
            tuple(sorted({source for g in groups for source in g.sources})),
        )
        for file, groups in by_file.items()
    ]
