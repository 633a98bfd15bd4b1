"""Imports: Sloth and OpenSLO files compile like native SLOs, and what cannot be imported is said
at the foreign file's line."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diagnostics import Diagnostic, Severity
from generator.imports import translate
from generator.load import RawDocument, load
from generator.pipeline import build
from generator.source import locate
from tests.conftest import TEAM, WriteFiles, messages, plain

RULES = "prometheus/rules/payments/checkout.yml"
NATIVE_SERVICE = """
kind: Service
name: checkout
team: payments
"""


def _sloth(slos: str, labels: str = "{team: payments}", service: str = "checkout") -> str:
    return f'version: "prometheus/v1"\nservice: "{service}"\nlabels: {labels}\nslos:\n' + textwrap.indent(
        textwrap.dedent(slos).strip("\n"), "  "
    )


EVENTS = """
- name: availability
  objective: 99.9
  sli:
    events:
      error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
      total_query: sum(rate(http_requests_total[{{.window}}]))
"""


def _openslo(sli: str, spec: str = "", labels: str = "{team: payments}") -> str:
    return (
        f"apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: availability\n  labels: {labels}\n"
        "spec:\n  service: checkout\n  budgetingMethod: Occurrences\n"
        + textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
        + ("\n" if spec.strip() else "")
        + "  indicator:\n    metadata: {name: requests}\n    spec:\n"
        + textwrap.indent(textwrap.dedent(sli).strip("\n"), "      ")
        + ("\n  objectives:\n    - target: 0.999\n" if "objectives" not in spec else "\n")
    )


RATIO = """
ratioMetric:
  counter: true
  bad:
    metricSource: {type: Prometheus, spec: {query: 'http_requests_total{code=~"5.."}'}}
  total:
    metricSource: {type: Prometheus, spec: {query: http_requests_total}}
"""

THRESHOLD = """
thresholdMetric:
  metricSource:
    type: Prometheus
    spec: {query: 'queue_lag_seconds{job="worker"}'}
"""


def _translate(make_repo: WriteFiles, files: dict[str, str]) -> tuple[list[RawDocument], list[Diagnostic]]:
    root = make_repo({"alertmanager/teams.yaml": TEAM, **files})
    return translate(load(root).documents)


def _service(documents: list[RawDocument], name: str = "checkout") -> RawDocument:
    return next(d for d in documents if d.data.get("kind") == "Service" and d.data.get("name") == name)


def _found(diagnostics: list[Diagnostic]) -> list[tuple[str, str, str]]:
    return [(str(d.severity), f"{d.location.file}:{d.location.line}", d.message) for d in diagnostics]


# --- Sloth: each field lands where the native format keeps it ----------------------------------

SLOTH_FIELDS = [
    pytest.param(
        _sloth(EVENTS),
        ("slos", 0, "sli"),
        {
            "events": {
                "errors": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
                "total": "sum(rate(http_requests_total[{{.window}}]))",
            }
        },
        id="error_query-and-total_query-become-the-errors-and-total-of-an-events-sli",
    ),
    pytest.param(
        _sloth(
            """
            - name: upstream
              objective: 99.5
              sli: {raw: {error_ratio_query: 'sum(rate(f[{{.window}}])) / sum(rate(c[{{.window}}]))'}}
            """
        ),
        ("slos", 0, "sli"),
        {"raw": {"error_ratio": "sum(rate(f[{{.window}}])) / sum(rate(c[{{.window}}]))"}},
        id="error_ratio_query-becomes-the-error-ratio-of-a-raw-sli",
    ),
    pytest.param(
        _sloth(
            EVENTS + "  labels: {repo: b, category: availability}\n", "{team: payments, repo: a, env: prod}"
        ),
        ("slos", 0, "labels"),
        {"repo": "b", "env": "prod", "category": "availability"},
        id="spec-labels-and-slo-labels-merge-with-the-slo-level-winning-and-team-left-out",
    ),
    pytest.param(
        _sloth(EVENTS + "  alerting:\n    page_alert: {labels: {severity: critical, pager: 'yes'}}\n"),
        ("slos", 0, "alerting", "page"),
        {"severity": "critical", "labels": {"pager": "yes"}},
        id="a-page-alert-severity-label-becomes-the-page-tier-severity",
    ),
    pytest.param(
        _sloth(
            EVENTS + "  alerting:\n    labels: {category: availability}\n    ticket_alert: {disable: true}\n"
        ),
        ("slos", 0, "alerting"),
        {
            "page": {"labels": {"category": "availability"}},
            "ticket": {"enabled": False, "labels": {"category": "availability"}},
        },
        id="alerting-labels-go-to-both-tiers-and-disable-turns-a-tier-off",
    ),
    pytest.param(
        _sloth(EVENTS + "  alerting:\n    page_alert: {disable: true}\n    ticket_alert: {disable: true}\n"),
        ("slos", 0, "alerting", "no_data"),
        {"enabled": False},
        id="disabling-both-tiers-also-turns-off-the-no-data-alert-as-sloth-raises-none",
    ),
    pytest.param(
        _sloth(EVENTS + "  alerting:\n    annotations: {runbook: 'https://runbooks.example.com/a'}\n"),
        ("slos", 0, "runbook_url"),
        "https://runbooks.example.com/a",
        id="a-runbook-annotation-becomes-the-slo-runbook-url",
    ),
    pytest.param(
        _sloth(EVENTS, "{team: payments}"),
        ("team",),
        "payments",
        id="a-team-label-names-the-team-of-the-service-it-creates",
    ),
    pytest.param(
        _sloth(EVENTS, "{owner: payments}"),
        ("team",),
        "payments",
        id="an-owner-label-names-the-team-when-there-is-no-team-label",
    ),
    pytest.param(
        _sloth(EVENTS, "{team: payments, tier: '1'}"),
        ("tier",),
        1,
        id="a-tier-label-of-1-to-3-is-the-tier-of-the-service-it-creates",
    ),
]


@pytest.mark.parametrize(("sloth", "path", "expected"), SLOTH_FIELDS)
def test_sloth_fields(make_repo: WriteFiles, sloth: str, path: tuple[str | int, ...], expected: Any) -> None:
    documents, diagnostics = _translate(make_repo, {"rules/checkout-slos.yaml": sloth})
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    tree: Any = _service(documents).data
    for part in path:
        tree = tree[part]
    assert plain(tree) == expected


# --- OpenSLO: each field lands where the native format keeps it --------------------------------

OPENSLO_FIELDS = [
    pytest.param(
        _openslo(RATIO),
        ("slos", 0, "sli"),
        {"events": {"errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total{}"}},
        id="a-bad-and-total-ratio-of-counter-selectors-becomes-an-events-sli",
    ),
    pytest.param(
        _openslo(
            RATIO.replace("bad:", "good:").replace("query: http_requests_total}", "query: 'sum(x{a=\"b\"})'}")
        ),
        ("slos", 0, "sli", "events"),
        {"good": 'http_requests_total{code=~"5.."}', "total": 'x{a="b"}'},
        id="good-stays-good-and-a-sum-of-a-selector-reads-as-that-counter",
    ),
    pytest.param(
        _openslo(
            "ratioMetric:\n  rawType: success\n  raw:\n    metricSource:\n      type: Prometheus\n"
            "      spec: {query: 'avg_over_time(ok_ratio[{{.window}}])'}"
        ),
        ("slos", 0, "sli"),
        {"raw": {"error_ratio": "1 - (\navg_over_time(ok_ratio[{{.window}}])\n)"}},
        id="a-raw-success-ratio-becomes-one-minus-it",
    ),
    pytest.param(
        _openslo(RATIO, "timeWindow: [{duration: 4w, isRolling: true}]"),
        ("slos", 0, "period"),
        "4w",
        id="a-rolling-time-window-becomes-the-period",
    ),
    pytest.param(
        _openslo(RATIO, "objectives: [{targetPercent: 99.5}]"),
        ("slos", 0, "objective"),
        99.5,
        id="target-percent-is-the-objective",
    ),
    pytest.param(
        _openslo(RATIO),
        ("slos", 0, "objective"),
        99.9,
        id="a-target-fraction-becomes-an-exact-percentage",
    ),
    pytest.param(
        _openslo(RATIO, labels="{team: [payments], env: prod}"),
        ("slos", 0, "labels"),
        {"env": "prod"},
        id="single-valued-labels-are-kept-and-team-names-the-owner",
    ),
    pytest.param(
        _openslo(
            RATIO,
            """
            alertPolicies:
              - kind: AlertPolicy
                metadata: {name: page}
                spec:
                  alertWhenBreaching: true
                  conditions:
                    - kind: AlertCondition
                      metadata: {name: fast}
                      spec:
                        severity: page
                        condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h, alertAfter: 2m}
            """,
        ),
        ("slos", 0, "alerting"),
        {
            "page": {"severity": "critical", "for": "2m"},
            "ticket": {"enabled": False},
            "no_data": {"enabled": False},
        },
        id="a-burn-rate-condition-of-the-page-tier-turns-it-on-and-the-others-off",
    ),
]


@pytest.mark.parametrize(("document", "path", "expected"), OPENSLO_FIELDS)
def test_openslo_fields(
    make_repo: WriteFiles, document: str, path: tuple[str | int, ...], expected: Any
) -> None:
    documents, diagnostics = _translate(make_repo, {"rules/checkout-slo.yaml": document})
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    tree: Any = _service(documents).data
    for part in path:
        tree = tree[part]
    assert plain(tree) == expected


# --- What cannot be imported is said, at the foreign line -------------------------------------

POLICY = """
alertPolicies:
  - kind: AlertPolicy
    metadata: {{name: policy}}
    spec:
      alertWhenBreaching: {breaching}
      conditions:
        - kind: AlertCondition
          metadata: {{name: condition}}
          spec:
            severity: {severity}
            condition: {{kind: burnrate, op: gt, threshold: {threshold}, lookbackWindow: 1h}}
"""

DIAGNOSTICS = [
    pytest.param(
        {"rules/s.yaml": _sloth("- {name: a, objective: 99, sli: {plugin: {id: x/y}}}")},
        [
            (
                "error",
                "rules/s.yaml:5",
                "SLI plugins (x/y) are not supported: their queries come from Go code only Sloth runs",
            )
        ],
        id="an-sli-plugin-is-an-error",
    ),
    pytest.param(
        {"rules/s.yaml": _sloth(EVENTS).replace("slos:", "slo_plugins: {chain: [{id: a/b}]}\nslos:")},
        [
            (
                "error",
                "rules/s.yaml:4",
                "Sloth SLO plugins are not supported: they change the generated rules with Go code only Sloth runs",
            )
        ],
        id="slo-plugins-are-an-error",
    ),
    pytest.param(
        {"rules/s.yaml": _sloth(EVENTS + "  alerting: {ticket_alert: {labels: {severity: slack}}}\n")},
        [
            (
                "warning",
                "rules/s.yaml:11",
                "severity 'slack' is not one routing understands (info, warning, critical): the ticket alerts keep severity warning",
            )
        ],
        id="a-severity-routing-does-not-know-is-a-warning-and-the-tier-keeps-its-default",
    ),
    pytest.param(
        {"rules/s.yaml": _sloth(EVENTS + "  alerting: {name: Avail, annotations: {summary: Down}}\n")},
        [
            (
                "info",
                "rules/s.yaml:11",
                "the alerts of this SLO are named SLOErrorBudgetBurn (labels slo and tier=page|ticket), not Avail",
            ),
            (
                "warning",
                "rules/s.yaml:11",
                "annotation 'summary' is not carried over: SLO alerts write their own summary and description",
            ),
        ],
        id="sloth-alert-names-are-a-note-and-other-annotations-a-warning",
    ),
    pytest.param(
        {"rules/s.yaml": _sloth(EVENTS, "{team: payments, slo: x, service: other}")},
        [
            ("error", "rules/s.yaml:3", "label 'slo' is set by the generator"),
            ("error", "rules/s.yaml:3", "label service='other' disagrees with the service 'checkout'"),
        ],
        id="labels-the-generator-writes-are-errors",
    ),
    pytest.param(
        {"rules/s.yaml": _sloth(EVENTS).replace("prometheus/v1", "prometheus/v2")},
        [("error", "rules/s.yaml:1", "Sloth spec version 'prometheus/v2' is not supported")],
        id="another-sloth-version-is-an-error",
    ),
    pytest.param(
        {"rules/s.yaml": "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\nspec: {service: a}\n"},
        [("error", "rules/s.yaml:1", "Sloth's Kubernetes resource (PrometheusServiceLevel) is not imported")],
        id="sloths-kubernetes-resource-says-what-to-write-instead",
    ),
    pytest.param(
        {
            "rules/a.yaml": _sloth(EVENTS),
            "rules/b.yaml": _sloth(EVENTS.replace("availability", "other"), "{team: platform}"),
        },
        [
            (
                "error",
                "rules/b.yaml:3",
                "service 'checkout' would be owned by 'platform' here and by 'payments' at rules/a.yaml:3:16",
            )
        ],
        id="two-sloth-files-may-not-give-one-service-two-teams",
    ),
    pytest.param(
        {
            "rules/s.yaml": _sloth(EVENTS, "{team: payments, tier: '2'}"),
            "rules/c.yaml": NATIVE_SERVICE + "tier: 1\n",
        },
        [
            (
                "info",
                "rules/s.yaml:3",
                "label tier='2' is read as the service's tier; SLO alerts carry tier=page or tier=ticket",
            ),
            (
                "warning",
                "rules/s.yaml:3",
                "tier 2 here, but service 'checkout' is declared with tier 1 (rules/c.yaml)",
            ),
        ],
        id="a-tier-label-that-disagrees-with-the-declared-service-is-a-warning",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, "timeWindow: [{duration: 1M, isRolling: true}]")},
        [("error", "rules/o.yaml:9", "1M is not a whole number of days: months and quarters vary in length")],
        id="an-openslo-window-in-months-is-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO).replace("Occurrences", "RatioTimeslices")},
        [
            (
                "error",
                "rules/o.yaml:8",
                "budgetingMethod RatioTimeslices over a ratio metric is not supported: SLOs here budget events (Occurrences)",
            )
        ],
        id="ratio-time-slices-are-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, "objectives: [{target: 0.99}, {target: 0.999}]")},
        [("error", "rules/o.yaml:9", "one objective per SLO is imported")],
        id="a-second-objective-is-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, "objectives: [{target: 0.99, indicatorRef: other}]")},
        [("error", "rules/o.yaml:9", "composite SLOs are not supported")],
        id="a-composite-slo-is-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, "objectives: [{target: 99.9}]")},
        [("error", "rules/o.yaml:9", "a target is a fraction between 0 and 1, got 99.9")],
        id="a-percentage-given-as-target-asks-for-a-fraction",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO.replace("counter: true", "counter: false"))},
        [
            (
                "error",
                "rules/o.yaml:13",
                "counter: false cannot be imported: events are counted from counters (or {{.window}} queries)",
            )
        ],
        id="a-ratio-of-gauges-is-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, POLICY.format(breaching="true", severity="page", threshold=2))},
        [
            (
                "warning",
                "rules/o.yaml:19",
                "burnrate gt 2 over 1h is not one of the generated alerts: this SLO keeps the default page and ticket alerts",
            )
        ],
        id="a-burn-rate-condition-that-is-no-tier-is-a-warning-and-keeps-the-default-tiers",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, POLICY.format(breaching="true", severity="sev1", threshold=14.4))},
        [
            (
                "warning",
                "rules/o.yaml:18",
                "severity 'sev1' is not one routing understands: the page alerts keep their default",
            ),
            ("info", "rules/o.yaml:19", "the page tier also alerts at 6x over 6h"),
        ],
        id="an-unknown-condition-severity-is-a-warning",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, POLICY.format(breaching="false", severity="page", threshold=14.4))},
        [
            (
                "info",
                "rules/o.yaml:13",
                "alertWhenBreaching is not true: this policy raises no burn-rate alert",
            )
        ],
        id="a-policy-that-does-not-alert-on-breaches-is-a-note",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                THRESHOLD.replace('queue_lag_seconds{job="worker"}', "max_over_time(lag[{{.window}}])"),
                "objectives: [{op: lte, value: 1, target: 0.9}]",
            )
        },
        [
            (
                "error",
                "rules/o.yaml:16",
                "a threshold query is evaluated once per time slice: it cannot use {{.window}}",
            )
        ],
        id="a-threshold-query-with-a-window-is-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(THRESHOLD, "objectives: [{op: ne, value: 1, target: 0.9}]")},
        [("error", "rules/o.yaml:9", "expected one of lt, lte, gt, gte, got 'ne'")],
        id="a-threshold-operator-that-is-not-a-comparison-is-refused",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                THRESHOLD, "objectives: [{op: lt, value: 1, target: 0.9, timeSliceWindow: 10}]"
            ).replace("Occurrences", "Timeslices")
        },
        [("error", "rules/o.yaml:9", "time slices of 10m are not supported: at most 5m")],
        id="time-slices-longer-than-the-recorded-five-minutes-are-refused",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(THRESHOLD, "objectives: [{op: lt, value: 1, target: 0.9}]").replace(
                "Occurrences", "RatioTimeslices"
            )
        },
        [
            (
                "error",
                "rules/o.yaml:8",
                "budgetingMethod RatioTimeslices is not supported for a threshold metric",
            )
        ],
        id="ratio-time-slices-over-a-threshold-metric-are-refused",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                THRESHOLD.replace("queue_lag_seconds", "rate(x)"),
                "objectives: [{op: lt, value: 1, target: 0.9}]",
            )
        },
        [
            (
                "error",
                "rules/o.yaml:16",
                "invalid PromQL: invalid PromQL (the parser gives no detail; look for a missing operator, quote or bracket)",
            )
        ],
        id="invalid-promql-in-a-threshold-query-is-an-error",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO + THRESHOLD)},
        [("error", "rules/o.yaml:12", "give exactly one of `ratioMetric` or `thresholdMetric`")],
        id="an-sli-with-both-metrics-is-refused",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                RATIO.replace("total:", "good: {metricSource: {spec: {query: a}}}\n  total:")
            )
        },
        [("error", "rules/o.yaml:13", "give exactly one of `good` or `bad` beside `total`")],
        id="a-ratio-with-good-and-bad-is-refused",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                "ratioMetric:\n  rawType: fail\n  raw: {metricSource: {spec: {query: x}}}"
            )
        },
        [("error", "rules/o.yaml:13", "expected success or failure, got 'fail'")],
        id="a-raw-type-other-than-success-or-failure-is-refused",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO, "indicatorRef: requests")},
        [("error", "rules/o.yaml:7", "give exactly one of `indicator` or `indicatorRef`")],
        id="an-indicator-given-twice-is-refused",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                RATIO.replace("type: Prometheus, spec:", "type: Prometheus, source: p, spec:")
            )
        },
        [
            ("error", "rules/o.yaml:15", "unknown key 'source' in an OpenSLO metric source"),
            ("error", "rules/o.yaml:17", "unknown key 'source' in an OpenSLO metric source"),
        ],
        id="an-unknown-key-of-a-metric-source-is-an-error-in-each-source",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(
                RATIO.replace(
                    "spec: {query: http_requests_total}", "spec: {query: http_requests_total, region: eu}"
                )
            )
        },
        [
            (
                "warning",
                "rules/o.yaml:17",
                "'region' is not used: a Prometheus metric source is read from its `query`",
            )
        ],
        id="other-fields-of-a-prometheus-source-are-a-warning",
    ),
    pytest.param(
        {
            "rules/s.yaml": _sloth(
                "- {name: a, objective: 99, sli: {events: {error_query: 'x', total_query: 'y'}, raw: {}}}"
            )
        },
        [("error", "rules/s.yaml:5", "give exactly one of `events`, `raw` or `plugin`, not events and raw")],
        id="a-sloth-sli-of-two-kinds-is-refused",
    ),
    pytest.param(
        {"rules/s.yaml": _sloth(EVENTS, "{team: payments, owner: }")},
        [("error", "rules/s.yaml:3", "label 'owner' has no value")],
        id="a-label-without-a-value-is-an-error",
    ),
    pytest.param(
        {
            "rules/s.yaml": _sloth(
                EVENTS
                + "  alerting:\n    annotations: {runbook: a}\n    ticket_alert: {annotations: {runbook_url: b}}\n"
            )
        },
        [
            (
                "warning",
                "rules/s.yaml:13",
                "a second runbook for this SLO is not used: its alerts link one runbook",
            )
        ],
        id="a-second-runbook-is-a-warning",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO).replace("openslo/v1", "openslo/v1alpha")},
        [("error", "rules/o.yaml:1", "OpenSLO openslo/v1alpha is not supported")],
        id="another-openslo-version-is-an-error",
    ),
    pytest.param(
        {"rules/o.yaml": "apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: a}\n"},
        [("error", "rules/o.yaml:2", "unknown OpenSLO kind 'Dashboard'")],
        id="an-unknown-openslo-kind-is-an-error",
    ),
    pytest.param(
        {
            "rules/o.yaml": _openslo(RATIO)
            + "---\napiVersion: openslo/v1\nkind: AlertPolicy\nmetadata: {name: unused}\nspec: {}\n"
        },
        [
            (
                "info",
                "rules/o.yaml:22",
                "OpenSLO AlertPolicy 'unused' is not used by any SLO: nothing is generated from it",
            )
        ],
        id="an-object-no-slo-uses-is-a-note",
    ),
    pytest.param(
        {"rules/o.yaml": _openslo(RATIO) + "---\n" + _openslo(RATIO)},
        [("error", "rules/o.yaml:24", "a second OpenSLO SLO named 'availability'")],
        id="two-openslo-objects-of-one-kind-and-name-are-an-error",
    ),
]


@pytest.mark.parametrize(("files", "expected"), DIAGNOSTICS)
def test_what_is_not_imported_is_said_at_the_foreign_line(
    make_repo: WriteFiles, files: dict[str, str], expected: list[tuple[str, str, str]]
) -> None:
    _, diagnostics = _translate(make_repo, files)
    assert sorted(_found(diagnostics)) == sorted(expected)


# --- Threshold metrics: bad time slices ------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "budgeting", "bad"),
    [
        ("lte", "Occurrences", "> bool 10 )[{{.window}}:1m]"),
        ("gt", "Timeslices", "<= bool 10 )[{{.window}}:2m]"),
    ],
    ids=["occurrences-judge-every-minute", "time-slices-judge-every-slice-with-the-negated-operator"],
)
def test_a_threshold_metric_counts_the_slices_that_miss_the_objective(
    make_repo: WriteFiles, op: str, budgeting: str, bad: str
) -> None:
    document = _openslo(
        THRESHOLD, f"objectives: [{{op: {op}, value: 10, target: 0.99, timeSliceWindow: 2m}}]"
    )
    documents, _ = _translate(make_repo, {"rules/o.yaml": document.replace("Occurrences", budgeting)})
    ratio = _service(documents).data["slos"][0]["sli"]["raw"]["error_ratio"]
    assert " ".join(ratio.split()) == f'avg_over_time( ( queue_lag_seconds{{job="worker"}} {bad} )'


@pytest.mark.tools
def test_promtool_agrees_the_threshold_sli_is_the_share_of_bad_minutes(
    make_repo: WriteFiles, promtool: str
) -> None:
    """Half an hour at 5s of lag, then half an hour at 20s: over the last hour half the minutes
    missed `lte 10`, over the last 5 minutes all of them."""
    document = _openslo(THRESHOLD, "objectives: [{op: lte, value: 10, target: 0.99}]")
    root = make_repo({"alertmanager/teams.yaml": TEAM, "rules/o.yaml": document})
    result = build(root)
    assert result.ok, messages(result.diagnostics)
    (root / "rules.yml").write_bytes(result.files[RULES])
    selector = '{service="checkout", sli="availability"}'
    labels = '{job="worker", service="checkout", sli="availability"}'
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": 'queue_lag_seconds{job="worker"}', "values": "5x30 20x30"}],
                "promql_expr_test": [
                    {
                        # 30 of 60 minutes (or of 61 samples where a subquery's range includes its start).
                        "expr": f"round(slo:sli_error:ratio_rate1h{selector}, 0.1)",
                        "eval_time": "60m",
                        "exp_samples": [{"labels": labels, "value": 0.5}],
                    },
                    {
                        "expr": f"slo:sli_error:ratio_rate5m{selector}",
                        "eval_time": "60m",
                        "exp_samples": [{"labels": f"slo:sli_error:ratio_rate5m{labels}", "value": 1}],
                    },
                ],
            }
        ],
    }
    (root / "test.yml").write_text(yaml.safe_dump(test), encoding="utf-8")
    completed = subprocess.run(
        [promtool, "test", "rules", "test.yml"], cwd=root, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# --- Equivalence with native definitions ----------------------------------------------------

SLOTH_FILE = """
version: "prometheus/v1"
service: "checkout"
labels:
  team: "payments"
  repo: "shop/checkout"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Requests that do not fail."
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutAvailability
      labels: {category: availability}
      annotations: {runbook: "https://runbooks.example.com/checkout/availability"}
      page_alert: {labels: {severity: critical}}
      ticket_alert: {labels: {severity: info}}
  - name: "provider-calls"
    objective: 99.5
    labels: {category: dependency}
    sli:
      raw:
        error_ratio_query: sum(rate(provider_errors_total[{{.window}}])) / sum(rate(provider_calls_total[{{.window}}]))
    alerting:
      page_alert: {disable: true}
"""
NATIVE_EQUIVALENT = """
kind: Service
name: checkout
team: payments
slos:
  - name: requests-availability
    objective: 99.9
    description: Requests that do not fail.
    labels: {repo: shop/checkout}
    runbook_url: https://runbooks.example.com/checkout/availability
    sli:
      events:
        errors: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      page: {severity: critical, labels: {category: availability}}
      ticket: {severity: info, labels: {category: availability}}
  - name: provider-calls
    objective: 99.5
    labels: {repo: shop/checkout, category: dependency}
    sli:
      raw:
        error_ratio: sum(rate(provider_errors_total[{{.window}}])) / sum(rate(provider_calls_total[{{.window}}]))
    alerting:
      page: {enabled: false}
"""
OPENSLO_FILE = _openslo(RATIO, "timeWindow: [{duration: 28d, isRolling: true}]")
OPENSLO_NATIVE_EQUIVALENT = """
kind: Service
name: checkout
team: payments
slos:
  - name: availability
    objective: 99.9
    period: 28d
    sli:
      events: {errors: 'http_requests_total{code=~"5.."}', total: 'http_requests_total{}'}
"""


def _slo_groups(make_repo: WriteFiles, tmp_path: Path, folder: str, text: str) -> list[Any]:
    root = tmp_path / folder
    for relative, content in {"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": text}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    result = build(root)
    assert result.ok, messages(result.diagnostics)
    return [g for g in yaml.safe_load(result.files[RULES])["groups"] if g["name"] == "checkout-slos"]


@pytest.mark.parametrize(
    ("foreign", "native"),
    [(SLOTH_FILE, NATIVE_EQUIVALENT), (OPENSLO_FILE, OPENSLO_NATIVE_EQUIVALENT)],
    ids=["a-sloth-file-and-its-native-twin", "an-openslo-slo-and-its-native-twin"],
)
def test_an_import_and_the_equivalent_native_definition_make_identical_slo_rules(
    make_repo: WriteFiles, tmp_path: Path, foreign: str, native: str
) -> None:
    imported = _slo_groups(make_repo, tmp_path, "imported", foreign)
    written = _slo_groups(make_repo, tmp_path, "native", native)
    assert imported and imported == written


# --- Where imported SLOs go, and how they behave afterwards ---------------------------------


def test_imported_slos_are_appended_to_the_declared_service(make_repo: WriteFiles) -> None:
    native = (
        NATIVE_SERVICE
        + "slos:\n  - {name: own, objective: 99, sli: {raw: {error_ratio: 'x{w=\"{{.window}}\"}'}}}\n"
    )
    documents, diagnostics = _translate(
        make_repo, {"rules/checkout.yaml": native, "rules/slos.yaml": _sloth(EVENTS)}
    )
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    service = _service(documents)
    assert service.file == "rules/checkout.yaml"
    assert [slo["name"] for slo in service.data["slos"]] == ["own", "availability"]
    # The imported values keep their place in the Sloth file, the native ones theirs.
    assert locate(service.data, ["slos", 1, "sli", "events", "errors"]).file == "rules/slos.yaml"
    assert locate(service.data, ["slos", 0, "name"]).file == "rules/checkout.yaml"


def test_documents_other_than_imports_pass_through_untouched(make_repo: WriteFiles) -> None:
    root = make_repo({"alertmanager/teams.yaml": TEAM, "rules/checkout.yaml": NATIVE_SERVICE})
    loaded = load(root).documents
    documents, diagnostics = translate(loaded)
    assert documents is loaded and diagnostics == []


def test_a_mistake_found_while_resolving_points_into_the_sloth_file(make_repo: WriteFiles) -> None:
    broken = _sloth(EVENTS.replace('code=~"5.."}[{{.window}}]))', 'code=~"5.."}[{{.window}}])'))
    result = build(make_repo({"alertmanager/teams.yaml": TEAM, "rules/slos.yaml": broken}))
    (problem,) = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert (problem.location.file, problem.location.line) == ("rules/slos.yaml", 9)
    assert problem.message.startswith("invalid SLI: ")


def test_an_overlay_can_patch_an_imported_slo(make_repo: WriteFiles) -> None:
    overlay = """
        kind: Overlay
        environment: prod
        patches:
          - target: Service/checkout
            patch:
              slos: [{name: availability, objective: 99.95}]
    """
    root = make_repo(
        {
            "alertmanager/teams.yaml": TEAM,
            "rules/slos.yaml": _sloth(EVENTS),
            "prometheus/environments/prod.yaml": overlay,
        }
    )
    result = build(root, "prod")
    assert result.ok, messages(result.diagnostics)
    assert "vector(0.9995)" in result.files[RULES].decode()
