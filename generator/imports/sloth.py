"""Sloth `prometheus/v1` spec files, translated into native SLO trees.

A Sloth file (https://sloth.dev, `pkg/prometheus/api/v1`) has `version: "prometheus/v1"`, no
`kind`, a `service`, `labels` and `slos`. How each field lands:

| Sloth                                   | native                                                 |
|-----------------------------------------|--------------------------------------------------------|
| `service`                               | the Service (declared with `kind: Service`, or made)   |
| `labels`, `slos[].labels`               | the SLO's `labels` (SLO level wins); `team`/`owner`     |
|                                         | name the owning team, `tier: "1"`-`"3"` the service tier |
| `slos[].name/objective/description`     | the same; the period is Sloth's default, 30d           |
| `sli.events.error_query/total_query`    | `sli.events.errors/total`, `{{.window}}` queries        |
| `sli.raw.error_ratio_query`             | `sli.raw.error_ratio`                                  |
| `alerting.labels`                       | both tiers' `labels`                                   |
| `page_alert/ticket_alert.disable`       | the tier's `enabled: false` (both off: no alerts)      |
| `page_alert/ticket_alert.labels`        | the tier's `labels`; `severity` the tier's severity    |
| `alerting.annotations` `runbook(_url)`  | the SLO's `runbook_url`                                |

Reported instead: `sli.plugin` and SLO plugins (errors: only Sloth runs their Go code), other
annotations (warnings: generated alerts write their own summary and description), Sloth's alert
name (a note: the alerts are `SLOErrorBudgetBurn` with `slo` and `tier` labels), and severities
routing does not understand (warnings; the tier keeps its default).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator import conventions as names
from generator.imports.attach import Imported
from generator.imports.tree import Claim, Node, Notes, copy, native, put
from generator.load import RawDocument
from generator.resolve_slos import WINDOW_PLACEHOLDER
from generator.source import PosDict

VERSION = "prometheus/v1"
KUBERNETES_API = "sloth.slok.dev/"
SEVERITIES = ("info", "warning", "critical")
TIERS = (("page", "page_alert", "critical"), ("ticket", "ticket_alert", "warning"))
# Labels the generator writes itself on SLO series and alerts.
GENERATED_LABELS = frozenset(
    {
        names.SLI_LABEL,
        names.SLO_LABEL,
        names.LONG_WINDOW_LABEL,
        names.SHORT_WINDOW_LABEL,
        "alertname",
    }
)
RUNBOOK_ANNOTATIONS = ("runbook_url", "runbook")
TEAM_HINT = "add a `team` label (`labels: {team: <team>}`) to this file"


def recognizes(raw: RawDocument) -> bool:
    """A Sloth spec: `version` and `service` without `kind`, or Sloth's Kubernetes resource."""
    data = raw.data
    if str(data.get("apiVersion", "")).startswith(KUBERNETES_API):
        return True
    if "kind" in data or "version" not in data:
        return False
    return data["version"] == VERSION or "service" in data or "slos" in data


@dataclass(frozen=True)
class Label:
    name: str
    value: str
    key_at: Claim
    """The label's name and where it is written."""
    value_at: Claim


def translate(raw: RawDocument, notes: Notes) -> list[Imported]:
    """The SLOs of one Sloth document, for its service (none when the document is unusable)."""
    root = Node(raw.data)
    if "apiVersion" in raw.data:
        notes.error(
            root.at("apiVersion"),
            f"Sloth's Kubernetes resource ({raw.data.get('kind', 'PrometheusServiceLevel')}) is not imported",
            path="apiVersion",
            hint=f'write its `spec` as a Sloth file: `version: "{VERSION}"`, `service`, `labels`, `slos` '
            "(error_query, total_query, error_ratio_query, page_alert, ticket_alert)",
        )
        return []
    version = notes.text(root, "version")
    if version != VERSION:
        notes.error(
            root.at("version"),
            f"Sloth spec version {version!r} is not supported",
            path="version",
            hint=f'Sloth files are imported in the "{VERSION}" format',
        )
        return []
    notes.unknown_keys(root, ("version", "service", "labels", "slo_plugins", "slos"), "a Sloth spec")
    service = notes.text(root, "service", required=True)
    _plugins(root, "slo_plugins", notes)
    imported = Imported(service or "", root.at("service"), raw.file, raw.index, TEAM_HINT)
    common = _labels(root, notes, imported)
    for slo in notes.mappings(root, "slos", required=True):
        tree = _slo(slo, common, notes, imported)
        if tree is not None:
            imported.slos.append(tree)
    return [imported] if service is not None else []


def _plugins(node: Node, key: str, notes: Notes) -> None:
    plugins = notes.mapping(node, key)
    if plugins is not None and plugins.get("chain"):
        notes.error(
            plugins.at("chain"),
            "Sloth SLO plugins are not supported: they change the generated rules with Go code only "
            "Sloth runs",
            path=plugins.where("chain"),
            hint="remove the plugin chain; SLO rules are generated natively (see the README's SLO section)",
        )


def _labels(node: Node, notes: Notes, imported: Imported, key: str = "labels") -> list[Label]:
    """The labels of a `labels:` mapping; `team`, `owner` and `tier` are claims on the service,
    `service` must agree with it, and labels the generator writes are refused."""
    labels = notes.mapping(node, key)
    if labels is None:
        return []
    found: list[Label] = []
    for name, value in labels.data.items():
        text = str(value).lower() if isinstance(value, bool) else notes.text(labels, name)
        if text is None:
            if value is None:
                notes.error(labels.at(name), f"label {name!r} has no value", path=labels.where(name))
            continue
        at = Claim(text, labels.at(name), labels.where(name))
        label = Label(name, text, Claim(name, labels.key_at(name)), at)
        path = labels.where(name)
        if name == names.TEAM_LABEL:
            imported.teams.append(at)
        elif name == names.SERVICE_LABEL:
            if text != imported.service:
                notes.error(
                    at.location,
                    f"label service={text!r} disagrees with the service {imported.service!r}",
                    path=path,
                    hint="the generator sets `service` to the service's name; remove the label",
                )
        elif name == names.TIER_LABEL:
            _tier(at, path, notes, imported)
        elif name in GENERATED_LABELS:
            notes.error(
                label.key_at.location,
                f"label {name!r} is set by the generator",
                path=path,
                hint="rename the label",
            )
        else:
            if name == "owner":
                imported.owners.append(at)
            found.append(label)
    return found


def _tier(at: Claim, path: str, notes: Notes, imported: Imported) -> None:
    if at.value in ("1", "2", "3"):
        imported.tier = imported.tier or at
        notes.info(
            at.location,
            f"label tier={at.value!r} is read as the service's tier; SLO alerts carry tier=page or "
            "tier=ticket",
            path=path,
        )
    else:
        notes.warning(
            at.location,
            f"label tier={at.value!r} is not carried over: SLO alerts carry tier=page or tier=ticket",
            path=path,
            hint="rename the label to keep it",
        )


def _slo(slo: Node, common: list[Label], notes: Notes, imported: Imported) -> PosDict | None:
    notes.unknown_keys(
        slo, ("name", "description", "objective", "labels", "plugins", "sli", "alerting"), "a Sloth SLO"
    )
    _plugins(slo, "plugins", notes)
    sli = _sli(slo, notes)
    tree = native(slo.data.location)
    for key in ("name", "objective", "description"):
        if key in slo.data:
            copy(tree, key, slo, key)
    labels = {label.name: label for label in [*common, *_labels(slo, notes, imported)]}
    severities = [label.value_at for label in labels.values() if label.name == names.SEVERITY_LABEL]
    kept = [label for label in labels.values() if label.name != names.SEVERITY_LABEL]
    if kept:
        put(tree, "labels", _label_tree(kept), slo.at("labels"), slo.key_at("labels"))
    _alerting(slo, tree, severities, notes, imported)  # read even when the SLI failed: report all
    if "name" not in slo.data:
        notes.missing(slo, "name")
        return None
    if sli is None:
        return None
    put(tree, "sli", sli, slo.at("sli"), slo.key_at("sli"))
    return tree


def _sli(slo: Node, notes: Notes) -> PosDict | None:
    sli = notes.mapping(slo, "sli", required=True)
    if sli is None:
        return None
    notes.unknown_keys(sli, ("events", "raw", "plugin"), "a Sloth SLI")
    given = [key for key in ("events", "raw", "plugin") if key in sli.data]
    if len(given) != 1:
        notes.error(
            sli.data.location,
            "give exactly one of `events`, `raw` or `plugin`"
            + (f", not {' and '.join(given)}" if given else ""),
            path=sli.where(),
        )
        return None
    tree = native(sli.data.location)
    if given == ["plugin"]:
        plugin = notes.mapping(sli, "plugin")
        ident = plugin.get("id") if plugin is not None else None
        notes.error(
            sli.key_at("plugin"),
            f"SLI plugins{f' ({ident})' if ident else ''} are not supported: their queries come from Go "
            "code only Sloth runs",
            path=sli.where("plugin"),
            hint="write the SLI with `events` (error_query, total_query) or `raw` (error_ratio_query), "
            "using {{.window}} where the window goes",
        )
        return None
    if given == ["raw"]:
        raw = notes.mapping(sli, "raw")
        if raw is None:
            return None
        notes.unknown_keys(raw, ("error_ratio_query",), "a Sloth raw SLI")
        if notes.text(raw, "error_ratio_query", required=True) is None:
            return None
        native_raw = native(raw.data.location)
        copy(native_raw, "error_ratio", raw, "error_ratio_query")
        put(tree, "raw", native_raw, sli.at("raw"), sli.key_at("raw"))
        return tree
    events = notes.mapping(sli, "events")
    if events is None:
        return None
    notes.unknown_keys(events, ("error_query", "total_query"), "a Sloth events SLI")
    native_events = native(events.data.location)
    for source, key in (("error_query", "errors"), ("total_query", "total")):
        query = notes.text(events, source, required=True)
        if query is None:
            return None
        if not WINDOW_PLACEHOLDER.search(query):
            notes.error(
                events.at(source),
                "a Sloth query must use {{.window}} where the window goes",
                path=events.where(source),
                hint="such as sum(rate(http_requests_total[{{.window}}]))",
            )
            return None
        copy(native_events, key, events, source)
    put(tree, "events", native_events, sli.at("events"), sli.key_at("events"))
    return tree


def _alerting(slo: Node, tree: PosDict, severities: list[Claim], notes: Notes, imported: Imported) -> None:
    alerting = notes.mapping(slo, "alerting")
    if alerting is None:
        _tiers(slo, tree, {tier: ([], severities, None) for tier, _, _ in TIERS}, notes)
        return
    notes.unknown_keys(
        alerting, ("name", "labels", "annotations", "page_alert", "ticket_alert"), "Sloth's alerting"
    )
    name = notes.text(alerting, "name")
    if name is not None:
        notes.info(
            alerting.at("name"),
            f"the alerts of this SLO are named {names.SLO_BURN_ALERT} (labels slo and tier=page|ticket), "
            f"not {name}",
            path=alerting.where("name"),
            hint="routes and silences that match this alert name should match the slo label instead",
        )
    common = _labels(alerting, notes, imported)
    runbooks: list[Claim] = []
    _annotations(alerting, runbooks, notes)
    plan: dict[str, tuple[list[Label], list[Claim], Node | None]] = {}
    disabled = 0
    for tier, key, _ in TIERS:
        section = notes.mapping(alerting, key)
        labels = {label.name: label for label in common}
        if section is not None:
            notes.unknown_keys(section, ("disable", "labels", "annotations"), f"Sloth's {key}")
            labels |= {label.name: label for label in _labels(section, notes, imported)}
            _annotations(section, runbooks, notes)
            disabled += bool(notes.flag(section, "disable"))
        tier_severities = [*severities, *(x.value_at for x in labels.values() if x.name == "severity")]
        plan[tier] = ([x for x in labels.values() if x.name != "severity"], tier_severities, section)
    alerts = _tiers(slo, tree, plan, notes, alerting)
    if disabled == len(TIERS):
        # Sloth makes no other alert: with both tiers off, the SLO raises none at all.
        no_data = native(alerting.data.location)
        put(no_data, "enabled", False, alerting.data.location)
        put(alerts, "no_data", no_data, alerting.data.location)
    if runbooks:
        put(tree, "runbook_url", runbooks[0].value, runbooks[0].location)
        for other in runbooks[1:]:
            if other.value != runbooks[0].value:
                notes.warning(
                    other.location,
                    "a second runbook for this SLO is not used: its alerts link one runbook",
                    hint=f"the one at line {runbooks[0].location.line} is used",
                )


def _tiers(
    slo: Node,
    tree: PosDict,
    plan: dict[str, tuple[list[Label], list[Claim], Node | None]],
    notes: Notes,
    alerting: Node | None = None,
) -> PosDict:
    where = alerting.data.location if alerting is not None else slo.data.location
    alerts = native(where)
    for tier, key, default in TIERS:
        labels, severities, section = plan[tier]
        at = section.data.location if section is not None else where
        native_tier = native(at)
        if section is not None and section.get("disable") is True:
            put(native_tier, "enabled", False, section.at("disable"), section.key_at("disable"))
        if severities:
            severity = severities[-1]
            if severity.value in SEVERITIES:
                put(native_tier, "severity", severity.value, severity.location)
            else:
                notes.warning(
                    severity.location,
                    f"severity {severity.value!r} is not one routing understands ({', '.join(SEVERITIES)}): "
                    f"the {tier} alerts keep severity {default}",
                    hint=f"Sloth's {key} is the {tier} tier; route on its `tier` label, or use a "
                    "severity above",
                )
        if labels:
            put(native_tier, "labels", _label_tree(labels), at)
        if native_tier:
            put(alerts, tier, native_tier, at)
    if alerts:
        put(tree, "alerting", alerts, where)
    return alerts


def _annotations(section: Node, runbooks: list[Claim], notes: Notes) -> None:
    annotations = notes.mapping(section, "annotations")
    if annotations is None:
        return
    for key, value in annotations.data.items():
        if key in RUNBOOK_ANNOTATIONS and isinstance(value, str):
            runbooks.append(Claim(value, annotations.at(key)))
            continue
        notes.warning(
            annotations.key_at(key),
            f"annotation {key!r} is not carried over: SLO alerts write their own summary and description",
            path=annotations.where(key),
            hint="runbook (or runbook_url) is kept as the SLO's runbook_url",
        )


def _label_tree(labels: list[Label]) -> PosDict:
    assert labels
    tree = native(labels[0].key_at.location)
    for label in labels:
        put(tree, label.name, label.value, label.value_at.location, label.key_at.location)
    return tree
