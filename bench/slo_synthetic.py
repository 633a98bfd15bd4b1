"""Synthetic SLOs for bench/bench_slo.py: services, their traffic, and the same SLOs in three forms.

`plan_services(count, seed, now, history_s)` draws, from a fixed seed, services shaped like real HTTP
services: 2-3 instances, 2-3 routes, codes 200 and 500 (and 404 for about half), so an SLO over a
service reads 8 to 27 raw `http_requests_total` series (about 15 on average). Traffic follows a
daily cycle (amplitude and phase per service), a baseline share of 5xx, and a few incidents (5 to
120 minutes of 0.5 % to 30 % extra errors) spread over the history and the hours after it.

Every counter is a closed-form function of time (the integral of its rate, floored to an integer),
so the backfilled history (OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`),
the live exporter the benchmark's Prometheus scrapes after it, the history of the 5-minute recording
rules each rule shape needs, and the true error ratio over any window all agree exactly.

The SLOs are written as our definitions (`write_repo`: one `rules/<team>/<service>.yaml` per
service with `slos:`), and as slokit-sre specs (`write_slokit_specs`, `apiVersion: slo-kit/v1`).
The Sloth-shaped rules are written by bench/sloth_shape.py.

Run on its own: `python bench/slo_synthetic.py OUT [--services N] [--slos-per-service K]` writes
our repository and the slokit specs.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED = 20241107
DAY_S = 86_400.0
METRIC = "http_requests_total"
HISTOGRAM = "http_request_duration_seconds"
TEAMS = ("payments", "checkout", "search", "identity", "platform", "catalog", "logistics", "growth")
DOMAINS = (
    "account", "basket", "billing", "booking", "cart", "catalog", "coupon", "delivery", "invoice",
    "ledger", "listing", "loyalty", "order", "payment", "payout", "price", "profile", "quote",
    "refund", "review", "search", "session", "shipment", "stock", "tax", "ticket", "user", "wallet",
)  # fmt: skip
ROLES = ("api", "gateway", "web", "bff", "frontend", "edge", "public")
ROUTES = (
    "/v1/orders", "/v1/items", "/v1/users", "/v1/search", "/v1/cart", "/v1/quotes", "/v1/prices",
    "/v2/orders", "/v2/items", "/login", "/checkout", "/status",
)  # fmt: skip
OBJECTIVES = (99.0, 99.5, 99.9, 99.9, 99.95)
# SLO kinds of the generation benchmark, in the order each service gets them.
SLO_KINDS = ("availability", "latency", "route1", "route2", "edge")


@dataclass(frozen=True)
class Incident:
    start: float
    end: float
    fraction: float  # share of requests failing on top of the baseline


@dataclass(frozen=True)
class Series:
    """One raw counter series; its rate is `rps * (diurnal * share + incidents * incident_sign)`."""

    labels: str  # rendered label set, `{job="...",instance="...",route="...",code="..."}`
    rps: float  # requests per second of its instance and route, at the daily mean
    share: float  # share of those requests answered with its code (baseline)
    incident_sign: int  # +1 for 500 (incidents add errors), -1 for 200 (they take successes), 0
    error: bool  # counted by the SLO's error selector (code=~"5..")


@dataclass(frozen=True)
class ServicePlan:
    name: str
    team: str
    objective: float  # percent, for the availability SLO
    amplitude: float  # of the daily cycle
    phase: float  # of the daily cycle, radians
    origin: float  # when the counters started (process start), unix seconds
    routes: tuple[str, ...]
    incidents: tuple[Incident, ...]
    series: tuple[Series, ...]

    def diurnal(self, t: float) -> float:
        """Integral from `origin` to `t` of `1 + amplitude * sin(2 pi u / day + phase)`."""
        omega = 2 * math.pi / DAY_S
        return (t - self.origin) - self.amplitude / omega * (
            math.cos(omega * t + self.phase) - math.cos(omega * self.origin + self.phase)
        )

    def incident(self, t: float) -> float:
        """Integral to `t` of the incidents' extra error share, in the same units as `diurnal`."""
        total = 0.0
        for inc in self.incidents:
            if t > inc.start:
                total += inc.fraction * (self.diurnal(min(t, inc.end)) - self.diurnal(inc.start))
        return total

    def counters(self, t: float) -> list[int]:
        """The value of every series at `t`."""
        d, i = self.diurnal(t), self.incident(t)
        return [int(s.rps * (s.share * d + s.incident_sign * i)) for s in self.series]

    def errors_total(self, t: float) -> tuple[int, int]:
        values = self.counters(t)
        errors = sum(v for v, s in zip(values, self.series, strict=True) if s.error)
        return errors, sum(values)

    def error_ratio(self, start: float, end: float) -> float:
        """The true error ratio over [start, end]: errors counted over all requests counted."""
        e0, t0 = self.errors_total(start)
        e1, t1 = self.errors_total(end)
        return (e1 - e0) / (t1 - t0) if t1 > t0 else 0.0


def _service_names(rng: random.Random, count: int) -> list[str]:
    combos = [f"{d}-{r}" for d in DOMAINS for r in ROLES]
    rng.shuffle(combos)
    if count <= len(combos):
        return combos[:count]
    extra = [f"{name}-{index}" for index in range(2, 1000) for name in combos]
    return [*combos, *extra][:count]


def plan_services(count: int, seed: int, now: float, history_s: float) -> list[ServicePlan]:
    """`count` services with traffic from `now - history_s` to a few hours after `now`."""
    rng = random.Random(seed)
    plans = []
    start = now - history_s
    for name in sorted(_service_names(rng, count)):
        instances = [f"{name}-{k}:8080" for k in range(rng.choice((2, 3)))]
        routes = rng.sample(ROUTES, rng.choice((2, 3)))
        codes = ["200", "500"] + (["404"] if rng.random() < 0.5 else [])
        rps = math.exp(rng.uniform(math.log(2), math.log(200)))
        error_share = math.exp(rng.uniform(math.log(0.0002), math.log(0.004)))
        notfound_share = 0.02 if "404" in codes else 0.0
        route_weights = [rng.uniform(0.5, 2.0) for _ in routes]
        instance_weights = [rng.uniform(0.8, 1.2) for _ in instances]
        rw, iw = sum(route_weights), sum(instance_weights)
        series = []
        for instance, i_weight in zip(instances, instance_weights, strict=True):
            for route, r_weight in zip(routes, route_weights, strict=True):
                cell = rps * i_weight / iw * r_weight / rw
                for code in codes:
                    share, sign = {
                        "200": (1 - error_share - notfound_share, -1),
                        "500": (error_share, 1),
                        "404": (notfound_share, 0),
                    }[code]
                    labels = f'{{job="{name}",instance="{instance}",route="{route}",code="{code}"}}'
                    series.append(Series(labels, cell, share, sign, code.startswith("5")))
        incidents = []
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            begin = rng.uniform(start, now + 3 * 3600)
            incidents.append(
                Incident(
                    begin,
                    begin + rng.uniform(5, 120) * 60,
                    math.exp(rng.uniform(math.log(0.005), math.log(0.3))),
                )
            )
        plans.append(
            ServicePlan(
                name=name,
                team=rng.choice(TEAMS),
                objective=rng.choice(OBJECTIVES),
                amplitude=rng.uniform(0.2, 0.6),
                phase=rng.choice((0.0, 0.5, 1.0, 3.0)),
                origin=start - rng.uniform(0.5, 3.0) * DAY_S,
                routes=tuple(routes),
                incidents=tuple(sorted(incidents, key=lambda i: i.start)),
                series=tuple(series),
            )
        )
    return plans


# --- OpenMetrics text (history) and the exposition format (live) --------------------------------


def raw_lines(plans: Iterable[ServicePlan], stamps: list[int]) -> Iterator[str]:
    """OpenMetrics samples of every raw series at `stamps` (unix seconds), series after series."""
    for plan in plans:
        columns = [(plan.diurnal(t), plan.incident(t)) for t in stamps]
        for s in plan.series:
            head = f"{METRIC}{s.labels} "
            yield "".join(
                [
                    f"{head}{int(s.rps * (s.share * d + s.incident_sign * i))} {t}\n"
                    for (d, i), t in zip(columns, stamps, strict=True)
                ]
            )


def exposition(plans: Iterable[ServicePlan], now: float) -> str:
    """What the live exporter serves at `now` (text format 0.0.4)."""
    out = [f"# TYPE {METRIC} counter\n"]
    for plan in plans:
        for s, value in zip(plan.series, plan.counters(now), strict=True):
            out.append(f"{METRIC}{s.labels} {value}\n")
    return "".join(out)


def render_labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def rate5m_history(plan: ServicePlan, stamps: list[int]) -> list[tuple[int, float, float]]:
    """(t, errors per second, requests per second) over the 5 minutes before each stamp: what a
    `sum(rate(...[5m]))` recording rule evaluated at `t` records (without its extrapolation)."""
    found = []
    for t in stamps:
        e1, t1 = plan.errors_total(t)
        e0, t0 = plan.errors_total(t - 300)
        found.append((t, (e1 - e0) / 300, (t1 - t0) / 300))
    return found


def _number(value: float) -> str:
    return repr(float(value))


def ours_base_lines(
    plans: Iterable[ServicePlan], stamps: list[int], labels: dict[str, dict[str, dict[str, str]]]
) -> Iterator[str]:
    """History of our 5-minute recordings (`slo:sli_errors:rate5m`, `slo:sli_total:rate5m`);
    `labels[service][record]` is the label set the generated rule gives the series."""
    for plan in plans:
        history = rate5m_history(plan, stamps)
        for record, column in (
            ("slo:sli_errors:rate5m", [(t, e) for t, e, _ in history]),
            ("slo:sli_total:rate5m", [(t, n) for t, _, n in history]),
        ):
            head = record + render_labels(labels[plan.name][record]) + " "
            yield "".join([f"{head}{_number(value)} {t}\n" for t, value in column])


def sloth_base_lines(
    plans: Iterable[ServicePlan], stamps: list[int], labels: dict[str, dict[str, str]]
) -> Iterator[str]:
    """History of Sloth's `slo:sli_error:ratio_rate5m` (errors over total; no sample without traffic,
    as `0/0` is NaN); `labels[service]` is the rule's label set."""
    for plan in plans:
        head = "slo:sli_error:ratio_rate5m" + render_labels(labels[plan.name]) + " "
        yield "".join([f"{head}{_number(e / n)} {t}\n" for t, e, n in rate5m_history(plan, stamps) if n > 0])


# --- Definitions: ours and slokit-sre's ---------------------------------------------------------

PROMETHEUS_YAML = """# The Prometheus server of the SLO benchmark repository.
kind: Prometheus
scrape_interval: 30s
scrape_timeout: 10s
evaluation_interval: 30s
external_labels:
  cluster: bench
---
kind: Settings
grafana_url: https://grafana.example.com
runbook_base_url: https://runbooks.example.com
"""


def _route_slug(route: str) -> str:
    return route.strip("/").replace("/", "-") or "root"


@dataclass(frozen=True)
class SLODef:
    """One SLO, in the terms both tools need."""

    service: str
    name: str
    objective: float  # percent
    errors_selector: str  # ours: PromQL selector of failed events (or a {{.window}} query)
    total_selector: str
    good_query: str  # slokit: `{window}` placeholder
    total_query: str
    ours_sli: list[str]  # the `sli:` lines of our definition


def slo_defs(plan: ServicePlan, kinds: tuple[str, ...]) -> list[SLODef]:
    """The service's SLOs of the given kinds (see SLO_KINDS)."""
    job = plan.name
    found = []
    for kind in kinds:
        if kind == "availability":
            found.append(
                SLODef(
                    job,
                    "availability",
                    plan.objective,
                    f'{METRIC}{{job="{job}",code=~"5.."}}',
                    f'{METRIC}{{job="{job}"}}',
                    f'sum(rate({METRIC}{{job="{job}",code!~"5.."}}[{{window}}]))',
                    f'sum(rate({METRIC}{{job="{job}"}}[{{window}}]))',
                    ["      events: {errors: errors, total: requests}"],
                )
            )
        elif kind == "latency":
            found.append(
                SLODef(
                    job,
                    "latency",
                    99.0,
                    "",
                    "",
                    f'sum(rate({HISTOGRAM}_bucket{{job="{job}",le="0.3"}}[{{window}}]))',
                    f'sum(rate({HISTOGRAM}_count{{job="{job}"}}[{{window}}]))',
                    ["      latency: {histogram: latency, threshold: 0.3}"],
                )
            )
        elif kind in ("route1", "route2"):
            index = 1 if kind == "route1" else 2
            route = plan.routes[index - 1]
            found.append(
                SLODef(
                    job,
                    f"route-{_route_slug(route)}",
                    99.5,
                    "",
                    "",
                    f'sum(rate({METRIC}{{job="{job}",route="{route}",code!~"5.."}}[{{window}}]))',
                    f'sum(rate({METRIC}{{job="{job}",route="{route}"}}[{{window}}]))',
                    [f"      events: {{errors: route{index}_errors, total: route{index}_requests}}"],
                )
            )
        elif kind == "edge":
            errors = f'sum(rate({METRIC}{{job="{job}", code=~"5..|429"}}[{{{{.window}}}}]))'
            total = f'sum(rate({METRIC}{{job="{job}"}}[{{{{.window}}}}]))'
            found.append(
                SLODef(
                    job,
                    "edge-availability",
                    99.9,
                    "",
                    "",
                    f'sum(rate({METRIC}{{job="{job}",code!~"5..|429"}}[{{window}}]))',
                    f'sum(rate({METRIC}{{job="{job}"}}[{{window}}]))',
                    [
                        "      events:",
                        f"        errors: '{errors}'",
                        f"        total: '{total}'",
                    ],
                )
            )
        else:
            raise ValueError(f"unknown SLO kind {kind!r}")
    return found


def _number_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _service_yaml(plan: ServicePlan, kinds: tuple[str, ...]) -> str:
    lines = [
        f"# {plan.name}: an HTTP service owned by {plan.team}.",
        "kind: Service",
        f"name: {plan.name}",
        f"team: {plan.team}",
        "metrics:",
        "  requests:",
        f"    counter: {METRIC}",
        "    description: requests",
        "  errors:",
        f'    counter: {METRIC}{{code=~"5.."}}',
        "    description: server errors",
    ]
    if "latency" in kinds:
        lines += ["  latency:", f"    histogram: {HISTOGRAM}", "    description: response time"]
    for index in (1, 2):
        if f"route{index}" in kinds:
            route = plan.routes[index - 1]
            lines += [
                f"  route{index}_requests:",
                f'    counter: {METRIC}{{route="{route}"}}',
                f"  route{index}_errors:",
                f'    counter: {METRIC}{{route="{route}", code=~"5.."}}',
            ]
    lines.append("slos:")
    for slo in slo_defs(plan, kinds):
        lines += [
            f"  - name: {slo.name}",
            f"    objective: {_number_text(slo.objective)}",
            "    sli:",
            *slo.ours_sli,
        ]
    return "\n".join(lines) + "\n"


def write_repo(root: Path, plans: list[ServicePlan], kinds: tuple[str, ...]) -> int:
    """Our definitions repository for `plans` (its definition folders are replaced); the SLO count."""
    for folder in ("rules", "prometheus", "alertmanager", "dashboards"):
        shutil.rmtree(root / folder, ignore_errors=True)
    files = {
        "prometheus/prometheus.yaml": PROMETHEUS_YAML,
        "alertmanager/teams.yaml": "# Teams own services and receive their alerts.\n"
        + "---\n".join(f"kind: Team\nname: {team}\n" for team in sorted({p.team for p in plans})),
    }
    for plan in plans:
        files[f"rules/{plan.team}/{plan.name}.yaml"] = _service_yaml(plan, kinds)
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return len(plans) * len(kinds)


def _slokit_doc(plan: ServicePlan, slo: SLODef) -> str:
    return "\n".join(
        [
            "apiVersion: slo-kit/v1",
            f"name: {slo.service}-{slo.name}",
            f"service: {slo.service}",
            f"description: {slo.name} of {slo.service}",
            f"objective: {_number_text(slo.objective / 100)}",
            "window: 30d",
            "sli:",
            f"  good_query: '{slo.good_query}'",
            f"  total_query: '{slo.total_query}'",
            "labels:",
            f"  team: {plan.team}",
            "",
        ]
    )


def write_slokit_specs(root: Path, plans: list[ServicePlan], kinds: tuple[str, ...]) -> dict[str, Path]:
    """The same SLOs as slokit-sre specs: `all.yaml` (every SLO, one YAML document each) and
    `services/<service>.yaml` (a file per service)."""
    shutil.rmtree(root, ignore_errors=True)
    (root / "services").mkdir(parents=True)
    every = []
    for plan in plans:
        docs = [_slokit_doc(plan, slo) for slo in slo_defs(plan, kinds)]
        (root / "services" / f"{plan.name}.yaml").write_text("---\n".join(docs), encoding="utf-8")
        every += docs
    (root / "all.yaml").write_text("---\n".join(every), encoding="utf-8")
    return {"all": root / "all.yaml", "services": root / "services"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--slos-per-service", type=int, default=len(SLO_KINDS), choices=range(1, 6))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    plans = plan_services(args.services, args.seed, time.time(), 4 * DAY_S)
    kinds = SLO_KINDS[: args.slos_per_service]
    count = write_repo(args.out / "repo", plans, kinds)
    write_slokit_specs(args.out / "slokit", plans, kinds)
    print(f"{count} SLOs on {len(plans)} services in {args.out}")


if __name__ == "__main__":
    main()
