"""The probe exporter's scrape endpoints.

Two ways to scrape, both documented in the README:

- ``/metrics`` runs every configured probe and labels each series with ``probe`` (its name) and
  ``target`` (its URL or address): one scrape job covers all health checks, which is what the
  generator emits.
- ``/probe?target=NAME`` runs one probe and answers without those labels, exactly like the
  blackbox_exporter's ``/probe`` (Prometheus' relabelling then sets ``instance``), for setups
  and dashboards already built around that. ``&debug=true`` adds why the probe failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from exporters.common.config import load_config
from exporters.common.exposition import CONTENT_TYPE, MetricFamily, render
from exporters.common.registry import Registry
from exporters.common.server import App, Request, Response, json_response
from exporters.probe.config import ProbeConfig
from exporters.probe.runner import Outcome, Prober

NAMESPACE = "probe_exporter"

# Help texts as the blackbox_exporter words them (prober/prober.go, prober/http.go).
_HELP = {
    "probe_success": "Displays whether or not the probe was a success",
    "probe_duration_seconds": "Returns how long the probe took to complete in seconds",
    "probe_http_status_code": "Response HTTP status code",
    "probe_ssl_earliest_cert_expiry": "Returns last SSL chain expiry in unixtime",
}


def families(outcomes: Sequence[Outcome], labelled: bool) -> list[MetricFamily]:
    by_name = {name: MetricFamily(name, "gauge", text) for name, text in _HELP.items()}
    for outcome in outcomes:
        labels = {"probe": outcome.probe.name, "target": outcome.probe.target} if labelled else {}
        by_name["probe_success"].add(1 if outcome.success else 0, labels)
        by_name["probe_duration_seconds"].add(outcome.duration, labels)
        if outcome.status_code is not None:
            by_name["probe_http_status_code"].add(outcome.status_code, labels)
        if outcome.cert_expiry is not None:
            by_name["probe_ssl_earliest_cert_expiry"].add(outcome.cert_expiry, labels)
    return [family for family in by_name.values() if family.samples]


class AllProbes:
    """The /metrics collector: every probe, each run concurrently at scrape time."""

    def __init__(self, prober: Prober) -> None:
        self._prober = prober

    def collect(self) -> list[MetricFamily]:
        return families(self._prober.run(), labelled=True)


def probe_endpoint(prober: Prober) -> Callable[[Request], Response]:
    def handle(request: Request) -> Response:
        names = request.query.get("target", [])
        if len(names) != 1 or names[0] not in prober.by_name:
            known = ", ".join(sorted(prober.by_name)) or "none configured"
            return json_response(400, {"error": f"target must name one configured probe (known: {known})"})
        outcomes = prober.run([prober.by_name[names[0]]])
        text = render(families(outcomes, labelled=False))
        if request.query.get("debug") == ["true"]:
            # Like the blackbox_exporter's debug=true: why the probe failed, for a human.
            (outcome,) = outcomes
            verdict = f"failed: {outcome.reason}" if outcome.reason else "succeeded"
            text = f"Probe {outcome.probe.name} ({outcome.probe.target}) {verdict}\n\nMetrics:\n{text}"
            return Response(200, text.encode())
        return Response(200, text.encode(), CONTENT_TYPE)

    return handle


def make_app(config: ProbeConfig) -> App:
    prober = Prober(config)
    registry = Registry(NAMESPACE)
    registry.register("probes", AllProbes(prober))
    return App(registry, routes={("GET", "/probe"): probe_endpoint(prober)})


def build(config_path: Path) -> tuple[App, Callable[[], None]]:
    return make_app(load_config(config_path, ProbeConfig)), lambda: None
