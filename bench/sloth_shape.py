"""Sloth's rule shape, written from its documented form, for the rule-evaluation benchmark.

Sloth (github.com/slok/sloth, `prometheus/v1` specs) turns each SLO with an `events` SLI into 17
Prometheus rules in three groups (as its README and the generated examples of its repository show):

- `sloth-slo-sli-recordings-<id>`: `slo:sli_error:ratio_rate<w>` for w in 5m, 30m, 1h, 2h, 6h,
  1d, 3d, each `(error_query) / (total_query)` on the raw series with `{{.window}}` replaced by w;
  and the period, `slo:sli_error:ratio_rate30d`, in its optimised form: the 5-minute ratio averaged
  over 30 days, `sum_over_time(ratio_rate5m[30d]) / ignoring (sloth_window) count_over_time(...)`
  (an average of ratios, not traffic-weighted). Every series carries `sloth_id`, `sloth_service`,
  `sloth_slo`, `sloth_window` and the spec's labels.
- `sloth-slo-meta-recordings-<id>`: `slo:objective:ratio`, `slo:error_budget:ratio`,
  `slo:time_period:days`, `slo:current_burn_rate:ratio` (5m ratio over the budget, joined
  `on(sloth_id, sloth_slo, sloth_service) group_left`), `slo:period_burn_rate:ratio` (the same with
  the 30d ratio), `slo:period_error_budget_remaining:ratio` (1 - period burn rate) and
  `sloth_slo_info`.
- `sloth-slo-alerts-<id>`: two multiwindow, multi-burn-rate alerts: page = (5m and 1h over 14.4x)
  or (30m and 6h over 6x); ticket = (2h and 1d over 3x) or (6h and 3d over 1x), each side
  `max(ratio > (factor * budget)) without (sloth_window)`.

The numbers keep Sloth's float arithmetic (an objective of 99.9 is `0.9990000000000001`, its budget
`1-0.9990000000000001` and, in the alerts, `0.0009999999999999432`), since that is what it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SLI_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
PERIOD = "30d"
PERIOD_DAYS = 30
# (severity, [(short, long, burn factor), (short, long, burn factor)]), Sloth's defaults for 30d.
ALERT_WINDOWS = (
    ("page", (("5m", "1h", "14.4"), ("30m", "6h", "6"))),
    ("ticket", (("2h", "1d", "3"), ("6h", "3d", "1"))),
)
RULES_PER_SLO = len(SLI_WINDOWS) + 1 + 7 + len(ALERT_WINDOWS)  # 17


@dataclass(frozen=True)
class SlothSLO:
    service: str
    name: str
    objective: float  # percent, as in the spec (99.9)
    error_query: str  # with {{.window}}
    total_query: str
    labels: dict[str, str]
    alert_name: str


def _ids(slo: SlothSLO) -> dict[str, str]:
    return {
        "sloth_id": f"{slo.service}-{slo.name}",
        "sloth_service": slo.service,
        "sloth_slo": slo.name,
    }


def _selector(metric: str, slo: SlothSLO) -> str:
    ids = _ids(slo)
    return metric + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(ids.items())) + "}"


def _window(query: str, window: str) -> str:
    return query.replace("{{.window}}", window)


def recording_labels(slo: SlothSLO, window: str) -> dict[str, str]:
    """Labels of `slo:sli_error:ratio_rate<window>` (the benchmark backfills the 5m history)."""
    return {**slo.labels, **_ids(slo), "sloth_window": window}


def rule_groups(slo: SlothSLO) -> list[dict[str, Any]]:
    """The three rule groups (17 rules) Sloth generates for one SLO."""
    ids = _ids(slo)
    sli_id = ids["sloth_id"]
    sli: list[dict[str, Any]] = []
    for window in SLI_WINDOWS:
        sli.append(
            {
                "record": f"slo:sli_error:ratio_rate{window}",
                "expr": f"({_window(slo.error_query, window)})\n/\n({_window(slo.total_query, window)})\n",
                "labels": recording_labels(slo, window),
            }
        )
    ratio5m = _selector("slo:sli_error:ratio_rate5m", slo)
    sli.append(
        {
            "record": f"slo:sli_error:ratio_rate{PERIOD}",
            "expr": f"sum_over_time({ratio5m}[{PERIOD}])\n/ ignoring (sloth_window)\n"
            f"count_over_time({ratio5m}[{PERIOD}])\n",
            "labels": recording_labels(slo, PERIOD),
        }
    )

    objective = slo.objective / 100  # 99.9 / 100 = 0.9990000000000001, as Sloth computes it
    budget = (100 - slo.objective) / 100  # 0.0009999999999999432
    meta_labels = {**slo.labels, **ids}
    join = "/ on(sloth_id, sloth_slo, sloth_service) group_left"
    error_budget = _selector("slo:error_budget:ratio", slo)
    meta: list[dict[str, Any]] = [
        {"record": "slo:objective:ratio", "expr": f"vector({objective!r})", "labels": meta_labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1-{objective!r})", "labels": meta_labels},
        {"record": "slo:time_period:days", "expr": f"vector({PERIOD_DAYS})", "labels": meta_labels},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{ratio5m}\n{join}\n{error_budget}\n",
            "labels": meta_labels,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"{_selector(f'slo:sli_error:ratio_rate{PERIOD}', slo)}\n{join}\n{error_budget}\n",
            "labels": meta_labels,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - {_selector('slo:period_burn_rate:ratio', slo)}",
            "labels": meta_labels,
        },
        {
            "record": "sloth_slo_info",
            "expr": "vector(1)",
            "labels": {
                **meta_labels,
                "sloth_mode": "cli-gen-prom",
                "sloth_objective": f"{slo.objective:g}",
                "sloth_spec": "prometheus/v1",
                "sloth_version": "bench",
            },
        },
    ]

    alerts: list[dict[str, Any]] = []
    for severity, pairs in ALERT_WINDOWS:
        sides = []
        for short, long, factor in pairs:
            checks = [
                f"max({_selector(f'slo:sli_error:ratio_rate{w}', slo)} > ({factor} * {budget!r})) "
                "without (sloth_window)"
                for w in (short, long)
            ]
            sides.append(f"(\n    {checks[0]}\n    and\n    {checks[1]}\n)")
        alerts.append(
            {
                "alert": slo.alert_name,
                "expr": "\nor\n".join(sides) + "\n",
                "labels": {"sloth_severity": severity, "severity": severity},
                "annotations": {
                    "summary": f"{slo.service} {slo.name} SLO error budget burn rate is too fast.",
                    "title": f"({severity}) {{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} "
                    "SLO error budget burn rate is too fast.",
                },
            }
        )
    return [
        {"name": f"sloth-slo-sli-recordings-{sli_id}", "rules": sli},
        {"name": f"sloth-slo-meta-recordings-{sli_id}", "rules": meta},
        {"name": f"sloth-slo-alerts-{sli_id}", "rules": alerts},
    ]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, like Sloth's output."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def write_rule_file(path: Path, slos: list[SlothSLO]) -> int:
    """One rule file (as `sloth generate` writes per spec file); the number of rules written."""
    groups = [group for slo in slos for group in rule_groups(slo)]
    header = "# Sloth's rule shape, written by bench/sloth_shape.py for the rule-evaluation benchmark.\n"
    text = yaml.dump({"groups": groups}, Dumper=_Dumper, sort_keys=False, width=100_000)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + text, encoding="utf-8")
    return sum(len(g["rules"]) for g in groups)
