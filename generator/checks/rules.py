"""Checks on recording rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.checks import Finding, check, iter_rules
from generator.diagnostics import Severity
from generator.model import Model, RecordingRule

# level:metric:operations (https://prometheus.io/docs/practices/rules/#naming-and-aggregation)
RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")


@check("rules/record-name", Severity.WARNING)
def record_name(model: Model) -> Iterator[Finding]:
    """Recording rule names follow `level:metric:operations`, so readers know what a series is."""
    for _, rule in iter_rules(model):
        if isinstance(rule, RecordingRule) and not RECORD_NAME.match(rule.record):
            yield Finding(
                rule.location,
                f"recording rule {rule.record!r} does not follow level:metric:operations",
                hint="for example job:http_requests:rate5m",
                rule=rule,
            )
