"""OpenSLO v1 indicators (SLI objects, inline or by `indicatorRef`) as native SLIs.

- `ratioMetric` with `good` or `bad` and `total` becomes an `events` SLI. Each query is either a
  rate query written with `{{.window}}` (Sloth's convention, used as it is), or a counter: a plain
  selector, or `sum(<selector>)`, counted per window as `sum(rate(<selector>[window]))`. Any
  other query is refused: a counter's value cannot be turned into events per window without
  knowing which counter it reads (a subquery would be slow and wrong across counter resets).
- `ratioMetric.raw` with `rawType` becomes a `raw` SLI (`1 - (...)` for a success ratio); the
  query needs `{{.window}}`.
- `thresholdMetric` becomes a `raw` SLI counting time slices: the share of slices in which the
  query misses the objective (`op`, `value`), evaluated every minute (Occurrences) or every
  `timeSliceWindow` (Timeslices, at most 5m). A slice without data, or where the query is NaN
  (a quantile without traffic), is not a bad one.
- Only Prometheus metric sources are read (`type: Prometheus`, or a DataSource of that type).
"""

from __future__ import annotations

import textwrap
from decimal import Decimal

import promql_parser as pp

from generator.durations import parse_duration
from generator.imports.openslo_catalog import Catalog, shorthand, spec_of
from generator.imports.tree import Claim, Node, Notes, native, put
from generator.promql import PromQLError, format_number, parse, parse_selector
from generator.resolve_slos import WINDOW_PLACEHOLDER
from generator.source import PosDict

# The objective's operator says when the SLI is good; its negation, when a slice is bad.
BAD_WHEN = {"lt": ">=", "lte": ">", "gt": "<=", "gte": "<"}
BAD_IN_WORDS = {"lt": "at or above", "lte": "above", "gt": "at or below", "gte": "below"}
OCCURRENCE_STEP = "1m"
LONGEST_SLICE_MS = 300_000  # the SLI is recorded over 5m: each 5m window must hold a slice
COUNTER_HINT = (
    'write the counter\'s selector, such as http_requests_total{code=~"5.."}, or a rate query with '
    "{{.window}} where the window goes, such as sum(rate(http_requests_total[{{.window}}]))"
)


def indicator(
    spec: Node, objective: Node, budgeting: Claim, catalog: Catalog, notes: Notes
) -> PosDict | None:
    """The native `sli` of an OpenSLO SLO, or None (reported) when it cannot be imported."""
    inline = notes.mapping(spec, "indicator")
    ref = notes.text(spec, "indicatorRef")
    if (inline is None) == (ref is None):
        notes.error(
            spec.data.location,
            "give exactly one of `indicator` or `indicatorRef`",
            path=spec.where(),
        )
        return None
    if ref is not None:
        entry = catalog.find("SLI", Claim(ref, spec.at("indicatorRef")), spec.where("indicatorRef"), notes)
        if entry is None:
            return None
        sli_spec = spec_of(entry.node, notes)
    else:
        assert inline is not None
        notes.unknown_keys(inline, ("metadata", "spec"), "an inline OpenSLO indicator")
        sli_spec = spec_of(inline, notes)
    if sli_spec is None:
        return None
    notes.unknown_keys(sli_spec, ("description", "ratioMetric", "thresholdMetric"), "an OpenSLO SLI")
    ratio = notes.mapping(sli_spec, "ratioMetric")
    threshold = notes.mapping(sli_spec, "thresholdMetric")
    if (ratio is None) == (threshold is None):
        notes.error(
            sli_spec.data.location,
            "give exactly one of `ratioMetric` or `thresholdMetric`",
            path=sli_spec.where(),
        )
        return None
    if ratio is not None:
        if budgeting.value != "Occurrences":
            notes.error(
                budgeting.location,
                f"budgetingMethod {budgeting.value} over a ratio metric is not supported: SLOs here "
                "budget events (Occurrences)",
                path="spec.budgetingMethod",
                hint="use budgetingMethod: Occurrences",
            )
            return None
        return _ratio(ratio, catalog, notes)
    assert threshold is not None
    return _threshold(threshold, objective, budgeting, catalog, notes)


def query_of(metric: Node, catalog: Catalog, notes: Notes) -> Claim | None:
    """The PromQL of a `{metricSource: ...}` mapping; other sources are refused."""
    notes.unknown_keys(metric, ("metricSource",), "an OpenSLO metric")
    source = notes.mapping(metric, "metricSource", required=True)
    if source is None:
        return None
    notes.unknown_keys(source, ("metricSourceRef", "type", "spec"), "an OpenSLO metric source")
    kind = notes.text(source, "type")
    chosen = "type"
    ref = notes.text(source, "metricSourceRef")
    if ref is not None and kind is None:
        entry = catalog.find(
            "DataSource", Claim(ref, source.at("metricSourceRef")), source.where("metricSourceRef"), notes
        )
        data_spec = spec_of(entry.node, notes) if entry is not None else None
        if data_spec is None:
            return None
        kind, chosen = notes.text(data_spec, "type"), "metricSourceRef"
    if kind is not None and kind.lower() != "prometheus":
        notes.error(
            source.at(chosen),
            f"only Prometheus metric sources are imported, not {kind!r}"
            + (f" (DataSource {ref!r})" if chosen == "metricSourceRef" else ""),
            path=source.where(chosen),
            hint="the SLO's rules run in this repository's Prometheus",
        )
        return None
    query_spec = notes.mapping(source, "spec", required=True)
    if query_spec is None:
        return None
    for key in query_spec.data:
        if key != "query":
            notes.warning(
                query_spec.key_at(key),
                f"{key!r} is not used: a Prometheus metric source is read from its `query`",
                path=query_spec.where(key),
            )
    query = notes.text(query_spec, "query", required=True)
    if query is None:
        return None
    return Claim(query.strip(), query_spec.at("query"), query_spec.where("query"))


def _ratio(ratio: Node, catalog: Catalog, notes: Notes) -> PosDict | None:
    notes.unknown_keys(ratio, ("counter", "good", "bad", "total", "rawType", "raw"), "an OpenSLO ratioMetric")
    sli = native(ratio.data.location)
    if "raw" in ratio.data:
        return _raw_ratio(ratio, sli, catalog, notes)
    numerators = [key for key in ("good", "bad") if key in ratio.data]
    if len(numerators) != 1:
        notes.error(
            ratio.data.location, "give exactly one of `good` or `bad` beside `total`", path=ratio.where()
        )
        return None
    counter = notes.flag(ratio, "counter")
    events = native(ratio.data.location)
    for key, native_key in (
        (numerators[0], "good" if numerators[0] == "good" else "errors"),
        ("total", "total"),
    ):
        metric = notes.mapping(ratio, key, required=True)
        query = query_of(metric, catalog, notes) if metric is not None else None
        text = _events_query(query, counter, ratio, notes) if query is not None else None
        if query is None or text is None:
            return None
        put(events, native_key, text, query.location)
    put(sli, "events", events, ratio.data.location)
    return sli


def _raw_ratio(ratio: Node, sli: PosDict, catalog: Catalog, notes: Notes) -> PosDict | None:
    raw_type = notes.text(ratio, "rawType", required=True)
    if raw_type not in (None, "success", "failure"):
        notes.error(
            ratio.at("rawType"), f"expected success or failure, got {raw_type!r}", path=ratio.where("rawType")
        )
        return None
    metric = notes.mapping(ratio, "raw")
    query = query_of(metric, catalog, notes) if metric is not None else None
    if query is None or raw_type is None:
        return None
    raw = native(query.location)
    put(
        raw,
        "error_ratio",
        query.value if raw_type == "failure" else f"1 - (\n{query.value}\n)",
        query.location,
    )
    put(sli, "raw", raw, ratio.at("raw"))
    return sli


def _events_query(query: Claim, counter: bool | None, ratio: Node, notes: Notes) -> str | None:
    """A `{{.window}}` query as it is, or a counter's selector (see the module docstring)."""
    if WINDOW_PLACEHOLDER.search(query.value):
        return query.value
    try:
        node = parse(query.value)
    except PromQLError as error:
        notes.error(query.location, f"invalid PromQL: {error}", path=query.path)
        return None
    if isinstance(node, pp.AggregateExpr) and str(node.op).lower().endswith("sum") and node.modifier is None:
        node = node.expr
    if not isinstance(node, pp.VectorSelector) or node.offset is not None or node.at is not None:
        notes.error(
            query.location,
            "this query is neither a counter's selector nor a rate query written with {{.window}}",
            path=query.path,
            hint=COUNTER_HINT,
        )
        return None
    if counter is False:
        notes.error(
            ratio.at("counter"),
            "counter: false cannot be imported: events are counted from counters (or {{.window}} queries)",
            path=ratio.where("counter"),
            hint=COUNTER_HINT,
        )
        return None
    selector = parse_selector(str(node))
    # `{}` keeps the resolver from reading a bare metric name as one of the service's shortcuts.
    return selector.render() if selector.matchers else selector.render() + "{}"


def _threshold(
    threshold: Node, objective: Node, budgeting: Claim, catalog: Catalog, notes: Notes
) -> PosDict | None:
    query = query_of(threshold, catalog, notes)
    op = notes.text(objective, "op", required=True)
    value = notes.number(objective, "value", required=True)
    if op is not None and op not in BAD_WHEN:
        notes.error(
            objective.at("op"),
            f"expected one of {', '.join(BAD_WHEN)}, got {op!r}",
            path=objective.where("op"),
        )
        return None
    step = _slice(objective, budgeting, notes)
    if query is None or op is None or value is None or step is None:
        return None
    if WINDOW_PLACEHOLDER.search(query.value):
        notes.error(
            query.location,
            "a threshold query is evaluated once per time slice: it cannot use {{.window}}",
            path=query.path,
            hint="write it for one moment, such as "
            "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))",
        )
        return None
    try:
        node = parse(query.value)
    except PromQLError as error:
        notes.error(query.location, f"invalid PromQL: {error}", path=query.path)
        return None
    number = format_number(float(Decimal(repr(value))))
    notes.info(
        threshold.data.location,
        f"imported as a raw SLI: the share of {step} time slices in which the query is "
        f"{BAD_IN_WORDS[op]} {number}",
        path=threshold.where(),
    )
    # Comparisons bind looser than everything but `and`, `or`, `unless`: only those need parentheses.
    measured = f"(\n{query.value}\n)" if isinstance(node, pp.BinaryExpr) else query.value
    bad = textwrap.indent(f"{measured}\n{BAD_WHEN[op]} bool {number}", "    ")
    ratio = f"avg_over_time(\n  (\n{bad}\n  )[{{{{.window}}}}:{step}]\n)"
    sli = native(threshold.data.location)
    raw = native(query.location)
    put(raw, "error_ratio", ratio, query.location)
    put(sli, "raw", raw, threshold.data.location)
    return sli


def _slice(objective: Node, budgeting: Claim, notes: Notes) -> str | None:
    """How often a threshold query is judged: every minute for Occurrences, every time slice."""
    if budgeting.value == "Occurrences":
        return OCCURRENCE_STEP
    if budgeting.value != "Timeslices":
        notes.error(
            budgeting.location,
            f"budgetingMethod {budgeting.value} is not supported for a threshold metric",
            path="spec.budgetingMethod",
            hint="use Occurrences (judged every minute) or Timeslices",
        )
        return None
    minutes = objective.get("timeSliceWindow")
    window: Claim | None
    if isinstance(minutes, int) and not isinstance(minutes, bool):
        # A bare number is minutes (OpenSLO's default unit for time slices).
        window = Claim(f"{minutes}m", objective.at("timeSliceWindow"))
    else:
        window = shorthand(objective, "timeSliceWindow", notes, required=True)
    if window is None:
        return None
    if not 0 < parse_duration(window.value).milliseconds <= LONGEST_SLICE_MS:
        notes.error(
            window.location,
            f"time slices of {window.value} are not supported: at most 5m",
            path=objective.where("timeSliceWindow"),
            hint="the SLI is recorded over 5-minute windows, and each must hold a slice",
        )
        return None
    if "timeSliceTarget" in objective.data:
        notes.info(
            objective.at("timeSliceTarget"),
            "each time slice is one evaluation of the query, good or bad as a whole: timeSliceTarget "
            "does not change the result",
            path=objective.where("timeSliceTarget"),
        )
    return window.value
