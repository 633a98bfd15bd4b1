"""Resolve a service's SLOs into recording rules, burn-rate alerts and error-budget series.

Design, and what it fixes in Sloth's and Pyrra's rule shapes:
- The SLI is recorded once per service and SLI (label `sli`), however many SLOs read it (a 99.9%
  and a 99.5% objective on the same requests share everything but their thresholds).
- Windows up to 1h are computed from the raw counters, so a total outage is seen as fast as the
  workbook says (0.86 min at 14.4x for 99.9%). Longer windows and the period average the recorded
  5-minute rates: numerator and denominator separately, so the period ratio is traffic-weighted
  (not Sloth's average of ratios), at a fraction of the cost of re-reading days of raw samples.
- No errors yet (the error selector matches no series) is an error ratio of 0, not "no data";
  no traffic is 0, never NaN or +Inf.
- Numbers are exact decimals: 99.9 gives 0.999 and a budget of 0.001, not 0.0010000000000000009.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from generator import conventions as names
from generator import model as m
from generator.diagnostics import Location
from generator.durations import Duration, format_duration, parse_duration
from generator.promql import PromQLError, aggregate, parse, parse_selector
from generator.signals import Owner
from generator.slo_windows import BurnWindow, burn_windows
from generator.spec.slo import SLO as SLOSpec
from generator.spec.slo import Tier

# Labels the SLO's series and alerts get from the generator; user labels may not redefine them.
SLO_RESERVED_LABELS = names.RESERVED_LABELS | {
    names.SLO_LABEL,
    names.SLI_LABEL,
    names.TIER_LABEL,
    names.LONG_WINDOW_LABEL,
    names.SHORT_WINDOW_LABEL,
}
RAW_WINDOW_LIMIT_MS = 3_600_000  # windows up to 1h read raw counters (detection speed)
BASE_WINDOW = Duration(300_000, "5m")  # longer windows average the recorded 5m rates
WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")


@dataclass(frozen=True)
class SLIQuery:
    """How to compute a window's error and total rates (or, for raw SLIs, its error ratio).

    `errors(window, total)` is given the expression of the window's total rate to fall back on
    (`0 * total` when no error series exists yet): the recording of the total, evaluated just
    before in the same group, so the raw total counters are read once per window, not twice."""

    kind: str
    errors: Callable[[str, str], str] | None = None
    total: Callable[[str], str] | None = None
    ratio: Callable[[str], str] | None = None
    key: tuple[str, ...] = ()
    by: tuple[str, ...] = ()


def exact_ratio(percent: float) -> Decimal:
    """99.9 -> Decimal('0.999'), from the user's decimal spelling rather than the float."""
    return (Decimal(repr(percent)) / 100).normalize()


def decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def window_text(window: Duration) -> str:
    return format_duration(window.milliseconds)


def all_windows(period: Duration, windows: Sequence[BurnWindow]) -> list[Duration]:
    found = {BASE_WINDOW.milliseconds, period.milliseconds}
    for window in windows:
        found |= {window.long.milliseconds, window.short.milliseconds}
    return [Duration(ms, format_duration(ms)) for ms in sorted(found)]


class SLIError(PromQLError):
    """A mistake in one field of an SLI (the field names where to point)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _in_field(field: str, compute: Callable[[], Any]) -> Any:
    try:
        return compute()
    except SLIError:
        raise
    except PromQLError as error:
        raise SLIError(field, str(error)) from None


def _counter(owner: Owner, text: str, what: str) -> str:
    """A counter shortcut of the service or a selector, rendered; raises PromQLError."""
    shortcut = owner.shortcuts.get(text)
    if shortcut is not None:
        if shortcut.type != "counter":
            raise PromQLError(f"{what} must be a counter, {text!r} is a {shortcut.type}")
        return shortcut.selector
    close = difflib.get_close_matches(text, list(owner.shortcuts), n=1, cutoff=0.75)
    if close and "{" not in text:
        raise PromQLError(f"{text!r} is not a metric shortcut of {owner.name}; did you mean {close[0]!r}?")
    return parse_selector(text).render()


def _histogram(owner: Owner, text: str) -> tuple[str, str]:
    shortcut = owner.shortcuts.get(text)
    if shortcut is not None:
        if shortcut.type != "histogram":
            raise PromQLError(f"`histogram` must name a histogram, {text!r} is a {shortcut.type}")
        selector = parse_selector(shortcut.selector)
    else:
        selector = parse_selector(text)
    return selector.metric, selector.render()[len(selector.metric) :]


def sli_query(owner: Owner, spec: SLOSpec) -> SLIQuery:
    """The SLI's rate expressions per window; raises PromQLError with a user-facing message."""
    by = list(spec.by)
    sli = spec.sli
    if sli.events is not None:
        events = sli.events
        total = _in_field("total", lambda: _events_rate(owner, events.total, "`total`", by))
        if events.errors is not None:
            error_rate = _in_field("errors", lambda: _events_rate(owner, events.errors or "", "`errors`", by))

            def errors(window: str, all_rate: str) -> str:
                # No error series yet (no 5xx ever) means 0 errors, not "no data".
                return f"{error_rate(window)}\nor\n0 * {all_rate}"

            return SLIQuery(
                "events",
                errors=errors,
                total=total,
                key=("errors", error_rate("5m"), total("5m"), *by),
                by=tuple(by),
            )
        good = _in_field("good", lambda: _events_rate(owner, events.good or "", "`good`", by))
        return _good_over_total("events", good, total, by)
    if sli.latency is not None:
        latency = sli.latency
        metric, matchers = _in_field("histogram", lambda: _histogram(owner, latency.histogram))
        le = sli.latency.le or decimal_text(Decimal(repr(sli.latency.threshold)))
        inner = matchers[1:-1] if matchers else ""
        good_selector = f'{metric}_bucket{{{inner + ", " if inner else ""}le="{le}"}}'
        total_selector = f"{metric}_count{matchers}"
        return _good_over_total(
            "latency", _summed_rate(good_selector, by), _summed_rate(total_selector, by), by
        )
    assert sli.raw is not None
    template = sli.raw.error_ratio.strip()
    if not WINDOW_PLACEHOLDER.search(template):
        raise SLIError(
            "error_ratio",
            "a raw SLI must use {{.window}} where the window goes, such as rate(x[{{.window}}])",
        )
    _in_field("error_ratio", lambda: parse(WINDOW_PLACEHOLDER.sub("5m", template)))
    return SLIQuery("raw", ratio=lambda w: WINDOW_PLACEHOLDER.sub(w, template), key=("raw", template, *by))


def _summed_rate(selector: str, by: list[str]) -> Callable[[str], str]:
    return lambda window: aggregate("sum", by, f"rate({selector}[{window}])")


def _events_rate(owner: Owner, text: str, what: str, by: list[str]) -> Callable[[str], str]:
    """A window's event rate: from a counter (shortcut or selector), or a query written with
    `{{.window}}` (Sloth's `error_query`/`total_query`), used as it is."""
    if WINDOW_PLACEHOLDER.search(text):
        template = text.strip()
        parse(WINDOW_PLACEHOLDER.sub("5m", template))
        return lambda window: WINDOW_PLACEHOLDER.sub(window, template)
    return _summed_rate(_counter(owner, text, what), by)


def _good_over_total(
    kind: str, good: Callable[[str], str], total: Callable[[str], str], by: list[str]
) -> SLIQuery:
    def errors(window: str, all_rate: str) -> str:
        good_rate = good(window)
        # Scrapes of the two counters are not simultaneous: keep the difference from going below 0.
        return f"clamp_min(\n  {all_rate}\n  -\n  ({good_rate} or 0 * {all_rate}),\n  0\n)"

    return SLIQuery(kind, errors=errors, total=total, key=(kind, good("5m"), total("5m"), *by), by=tuple(by))


def _selector(record: str, service: str, sli: str) -> str:
    return f'{record}{{{names.SERVICE_LABEL}="{service}", {names.SLI_LABEL}="{sli}"}}'


def sli_rules(
    service: str,
    sli: str,
    query: SLIQuery,
    windows: Sequence[Duration],
    location: Location,
) -> list[m.RecordingRule]:
    """The SLI's recordings: per window the error and total rates (or the ratio), then the ratio."""
    labels = ((names.SERVICE_LABEL, service), (names.SLI_LABEL, sli))
    rules: list[m.RecordingRule] = []

    def record(name: str, expr: str) -> None:
        rules.append(
            m.RecordingRule(
                expr=expr,
                labels=labels,
                location=location,
                expr_location=location,
                generated_expr=True,
                disabled_checks=frozenset(),
                owner=service,
                record=name,
            )
        )

    base = window_text(BASE_WINDOW)
    for window in windows:
        w = window_text(window)
        raw = window.milliseconds <= RAW_WINDOW_LIMIT_MS
        if query.ratio is not None:
            expr = (
                query.ratio(w)
                if raw
                else f"avg_over_time({_selector(names.slo_error_ratio(base), service, sli)}[{w}])"
            )
            record(names.slo_error_ratio(w), expr)
            continue
        assert query.errors is not None and query.total is not None
        if raw:
            record(names.slo_total(w), query.total(w))
            # The recorded total carries the rule's labels; summing by the SLI's own grouping
            # gives it the label set of the raw error rate, so `or` and `-` match series by series.
            recorded_total = aggregate("sum", list(query.by), _selector(names.slo_total(w), service, sli))
            record(names.slo_errors(w), query.errors(w, recorded_total))
        else:
            record(
                names.slo_total(w), f"avg_over_time({_selector(names.slo_total(base), service, sli)}[{w}])"
            )
            record(
                names.slo_errors(w), f"avg_over_time({_selector(names.slo_errors(base), service, sli)}[{w}])"
            )
        errors = _selector(names.slo_errors(w), service, sli)
        total = _selector(names.slo_total(w), service, sli)
        # No traffic: the ratio is 0, not NaN (0/0) or +Inf.
        record(names.slo_error_ratio(w), f"{errors}\n/\n({total} > 0)\nor\n0 * {total}")
    return rules


def _tier(name: str, spec: Tier, default_severity: str) -> m.SLOTier:
    return m.SLOTier(
        name,
        spec.enabled,
        spec.severity or default_severity,
        parse_duration(spec.for_),
        tuple(sorted(spec.labels.items())),
    )


def _words(duration_ms: float) -> str:
    return format_duration(int(duration_ms // 60_000 * 60_000) or 60_000)


def slo_rules(slo: m.SLO, sli_kind: str) -> list[m.RecordingRule | m.AlertRule]:
    """Metadata series and alerts of one SLO (its SLI is recorded by `sli_rules`)."""
    labels = (
        (names.SERVICE_LABEL, slo.service),
        (names.SLI_LABEL, slo.sli),
        (names.SLO_LABEL, slo.name),
        *slo.labels,
    )
    rules: list[m.RecordingRule | m.AlertRule] = []
    location = slo.location
    budget = decimal_text(slo.error_budget)

    def record(name: str, expr: str, extra: tuple[tuple[str, str], ...] = ()) -> None:
        rules.append(
            m.RecordingRule(
                expr=expr,
                labels=tuple(sorted(labels + extra)),
                location=location,
                expr_location=location,
                generated_expr=True,
                disabled_checks=frozenset(),
                owner=slo.service,
                record=name,
            )
        )

    period = window_text(slo.period)
    ratio_now = _selector(names.slo_error_ratio(window_text(BASE_WINDOW)), slo.service, slo.sli)
    ratio_period = _selector(names.slo_error_ratio(period), slo.service, slo.sli)
    record(names.SLO_OBJECTIVE, f"vector({decimal_text(slo.objective)})")
    record(names.SLO_ERROR_BUDGET, f"vector({budget})")
    record(names.SLO_PERIOD_DAYS, f"vector({decimal_text(Decimal(slo.period.milliseconds) / 86_400_000)})")
    record(names.SLO_CURRENT_BURN_RATE, f"{ratio_now} / {budget}")
    record(names.SLO_PERIOD_BURN_RATE, f"{ratio_period} / {budget}")
    record(names.SLO_COMPLIANCE, f"1 - {ratio_period}")
    record(names.SLO_BUDGET_REMAINING, f"1 - {ratio_period} / {budget}")
    info = (("objective", decimal_text(slo.objective * 100)), ("period", period), ("sli_kind", sli_kind))
    record(names.SLO_INFO, "vector(1)", info)

    slo_labels = {names.SLO_LABEL: slo.name, **dict(slo.labels)}
    objective = decimal_text(slo.objective * 100)
    for window in slo.windows:
        tier = slo.page if window.tier == "page" else slo.ticket
        if not tier.enabled:
            continue
        threshold = decimal_text(window.burn_rate * slo.error_budget)
        long_w, short_w = window_text(window.long), window_text(window.short)
        expr = (
            f"{_selector(names.slo_error_ratio(long_w), slo.service, slo.sli)} > {threshold}\n"
            f"and\n{_selector(names.slo_error_ratio(short_w), slo.service, slo.sli)} > {threshold}"
        )
        exhaustion = _words(slo.period.milliseconds / float(window.burn_rate))
        by = "".join(f" {{{{ $labels.{label} }}}}" for label in slo.by)
        burn = decimal_text(window.burn_rate)
        allowed = decimal_text(slo.error_budget * 100)
        summary = (
            f"{slo.service}{by}: the {slo.name} SLO ({objective}%) burns its error budget at {burn}x the "
            "sustainable rate"
        )
        description = (
            f"{{{{ $value | humanizePercentage }}}} of events failed over the last {long_w} (and over "
            f"{short_w}), {burn} times the {allowed}% the objective allows: at this rate the {period} "
            f"error budget is gone in {exhaustion}."
        )
        alert_labels = {
            **slo_labels,
            names.TEAM_LABEL: slo.team,
            names.SEVERITY_LABEL: tier.severity,
            names.TIER_LABEL: tier.name,
            names.LONG_WINDOW_LABEL: long_w,
            names.SHORT_WINDOW_LABEL: short_w,
            **dict(tier.labels),
        }
        rules.append(_alert(slo, names.SLO_BURN_ALERT, expr, tier.for_, alert_labels, summary, description))
    if slo.no_data.enabled:
        probe = names.slo_total if sli_kind != "raw" else names.slo_error_ratio
        expr = f"absent({_selector(probe(window_text(BASE_WINDOW)), slo.service, slo.sli)})"
        alert_labels = {
            **slo_labels,
            names.SERVICE_LABEL: slo.service,
            names.TEAM_LABEL: slo.team,
            names.SEVERITY_LABEL: slo.no_data.severity,
            names.TIER_LABEL: "no_data",
        }
        summary = f"{slo.service}: no data for the {slo.name} SLO"
        description = (
            f"The SLI of {slo.service}/{slo.name} has had no series for {slo.no_data.for_}: the SLO "
            "cannot be computed and its burn-rate alerts cannot fire."
        )
        rules.append(
            _alert(slo, names.SLO_NO_DATA_ALERT, expr, slo.no_data.for_, alert_labels, summary, description)
        )
    return rules


def _alert(
    slo: m.SLO, name: str, expr: str, for_: Duration, labels: dict[str, str], summary: str, description: str
) -> m.AlertRule:
    annotations = {"summary": summary, "description": description}
    if slo.runbook_url:
        annotations["runbook_url"] = slo.runbook_url
    if slo.dashboard_url:
        annotations["dashboard"] = slo.dashboard_url
    return m.AlertRule(
        expr=expr,
        labels=tuple(sorted(labels.items())),
        location=slo.location,
        expr_location=slo.location,
        generated_expr=True,
        disabled_checks=frozenset(),
        owner=slo.service,
        alert=name,
        for_=for_,
        annotations=tuple(sorted(annotations.items())),
        severity=labels[names.SEVERITY_LABEL],
        kind="slo",
    )


def resolve_slos(
    owner: Owner,
    specs: Sequence[SLOSpec],
    grafana_url: str | None,
) -> tuple[list[m.SLO], list[m.RecordingRule | m.AlertRule]]:
    """The service's SLOs and their rules; problems go to `owner.diagnostics`."""
    assert owner.service is not None
    slos: list[m.SLO] = []
    sli_names: dict[tuple[str, ...], str] = {}
    sli_recordings: list[m.RecordingRule] = []
    recorded_windows: dict[str, set[int]] = {}
    slo_specific: list[m.RecordingRule | m.AlertRule] = []
    seen: dict[str, int] = {}
    for index, spec in enumerate(specs):
        path: tuple[str | int, ...] = ("slos", index)
        if spec.name in seen:
            owner.problem(
                (*path, "name"),
                f"duplicate SLO {spec.name!r} in {owner.name}",
                hint=f"the first is at {owner.where('slos', seen[spec.name], 'name')}",
            )
            continue
        seen[spec.name] = index
        for where, labels in (
            ((("labels",)), spec.labels),
            *(
                (("alerting", tier, "labels"), getattr(spec.alerting, tier).labels)
                for tier in ("page", "ticket")
            ),
        ):
            for key in sorted(set(labels) & SLO_RESERVED_LABELS):
                owner.problem(
                    (*path, *where, key),
                    f"label {key!r} is set by the generator",
                    key=True,
                    hint=names.RESERVED_LABEL_HINTS.get(key, "the SLO's alerts set it from the SLO"),
                )
        try:
            query = sli_query(owner, spec)
        except PromQLError as error:
            sli_kind = next(k for k in ("events", "latency", "raw") if getattr(spec.sli, k) is not None)
            field = (error.field,) if isinstance(error, SLIError) else ()
            owner.problem((*path, "sli", sli_kind, *field), f"invalid SLI: {error}")
            continue
        period = parse_duration(spec.period)
        if period.milliseconds < 86_400_000:
            owner.problem(
                (*path, "period"),
                f"an SLO period of {spec.period} is too short to budget errors over",
                hint="use 1d or more; 7d, 28d and 30d are common",
            )
            continue
        objective = exact_ratio(spec.objective)
        windows = burn_windows(period)
        sli = sli_names.setdefault(query.key, spec.name)
        wanted = {w.milliseconds for w in all_windows(period, windows)} - recorded_windows.setdefault(
            sli, set()
        )
        if wanted:
            new = [Duration(ms, format_duration(ms)) for ms in sorted(wanted)]
            sli_recordings += sli_rules(owner.service, sli, query, new, owner.where(*path, "sli"))
            recorded_windows[sli] |= wanted
        runbook = spec.runbook_url or (
            names.runbook_url(owner.runbook_base_url, owner.service, spec.name)
            if owner.runbook_base_url
            else None
        )
        slo = m.SLO(
            service=owner.service,
            team=owner.team,
            name=spec.name,
            objective=objective,
            period=period,
            error_budget=(1 - objective).normalize(),
            windows=windows,
            sli=sli,
            sli_kind=query.kind,
            by=tuple(spec.by),
            labels=tuple(sorted(spec.labels.items())),
            description=spec.description or "",
            runbook_url=runbook,
            dashboard_url=f"{names.slo_dashboard_url(grafana_url, owner.service, spec.name)}"
            f"?viewPanel={names.SLO_BURN_PANEL_ID}"
            if grafana_url
            else None,
            page=_tier("page", spec.alerting.page, "critical"),
            ticket=_tier("ticket", spec.alerting.ticket, "warning"),
            no_data=m.SLOTier(
                "no_data",
                spec.alerting.no_data.enabled,
                spec.alerting.no_data.severity,
                parse_duration(spec.alerting.no_data.for_),
                (),
            ),
            scenarios=tuple(spec.tests),
            scenarios_location=owner.where(*path, "tests") if spec.tests else None,
            location=owner.where(*path, "name"),
        )
        slos.append(slo)
        slo_specific += slo_rules(slo, query.kind)
    # Windows come in ascending order, so raw ones (and the 5m base) precede those derived from them.
    return slos, [*sli_recordings, *slo_specific]
