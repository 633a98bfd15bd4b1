"""A deterministic synthetic definitions repository for the build benchmark.

`generate(root)` writes, from a fixed seed, a repository shaped like a large real one:

- 20 teams (alertmanager/teams.yaml);
- 1,000 services by default, spread unevenly over the teams, one file per service in a folder per
  team (rules/<team>/<service>.yaml). Each has metric shortcuts (a requests counter, an errors
  counter, a latency histogram, one or two gauges) and exactly 10 alerts mixing every kind: a ratio
  threshold (errors per requests, sometimes by a label), two histogram quantiles, two counter
  rates, gauges with aggregate/by (or a gauge ratio), an `absent`, the `up` shortcut and raw PromQL
  `expr`. About 40 % are scraped directly (`scrape:`), some override their selector, labels, rate
  window or add a recording rule of their own;
- a few AlertGroups owned by platform teams (rules/<team>/<group>.yaml);
- Prometheus + Settings (prometheus/prometheus.yaml) and stand-alone ScrapeJobs (prometheus/scrape.yaml);
- three Overlays (prometheus/environments/{dev,staging,prod}.yaml), each patching the Prometheus
  labels, a scrape job, and a few hundred services' alert thresholds and scrape targets.

The text is written by hand (f-strings), the way people write definitions, with comments, so the
loader sees realistic YAML. Same arguments, same bytes: the benchmark is reproducible.

Run on its own: `python bench/synthetic.py OUT [--services N] [--seed S]`.
"""

from __future__ import annotations

import argparse
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 20240611
DEFAULT_SERVICES = 1000
DEFAULT_TEAMS = 20
ENVIRONMENTS = ("dev", "staging", "prod")
# How many services each environment's overlay patches.
PATCHED_SERVICES = {"dev": 200, "staging": 300, "prod": 400}

TEAMS = (
    "payments",
    "checkout",
    "search",
    "identity",
    "platform",
    "data",
    "ml",
    "notifications",
    "catalog",
    "logistics",
    "growth",
    "mobile",
    "web",
    "infra",
    "security",
    "billing",
    "messaging",
    "analytics",
    "support",
    "media",
)

DOMAINS = (
    "account", "address", "ad", "audit", "auth", "basket", "booking", "campaign", "cart", "catalog",
    "chat", "checkout", "claim", "coupon", "courier", "customer", "delivery", "device", "discount",
    "document", "email", "event", "export", "feed", "fraud", "gift", "image", "import", "inventory",
    "invoice", "ledger", "listing", "location", "loyalty", "media", "merchant", "order", "partner",
    "payment", "payout", "price", "product", "profile", "promo", "push", "quote", "rating", "receipt",
    "refund", "report", "review", "risk", "route", "schedule", "search", "session", "shipment", "sms",
    "stock", "subscription", "tax", "ticket", "token", "tracking", "user", "video", "voucher",
    "wallet", "warehouse", "webhook",
)  # fmt: skip

# Role suffix -> archetype of instrumentation.
ROLES = {
    "api": "http",
    "gateway": "http",
    "web": "http",
    "frontend": "http",
    "bff": "http",
    "rpc": "grpc",
    "service": "grpc",
    "backend": "grpc",
    "worker": "worker",
    "consumer": "worker",
    "scheduler": "worker",
    "indexer": "worker",
    "sync": "worker",
    "db": "db",
    "cache": "db",
    "store": "db",
}


@dataclass(frozen=True)
class Archetype:
    requests: str
    errors: str
    latency: str
    gauge: str
    gauge_description: str
    gauge_limit: str | None  # a second gauge to divide by (`per`), or None
    by_label: str  # the label alerts break down by
    port: int


ARCHETYPES = {
    "http": Archetype(
        "http_requests_total",
        'http_requests_total{code=~"5.."}',
        "http_request_duration_seconds",
        "http_requests_in_flight",
        "requests in flight",
        None,
        "route",
        8080,
    ),
    "grpc": Archetype(
        "grpc_server_handled_total",
        'grpc_server_handled_total{grpc_code!~"OK|NotFound|Canceled"}',
        "grpc_server_handling_seconds",
        "grpc_server_active_streams",
        "open streams",
        None,
        "grpc_method",
        9090,
    ),
    "worker": Archetype(
        "jobs_processed_total",
        "jobs_failed_total",
        "job_duration_seconds",
        "job_queue_depth",
        "jobs waiting",
        None,
        "queue",
        9100,
    ),
    "db": Archetype(
        "db_queries_total",
        'db_queries_total{status="error"}',
        "db_query_duration_seconds",
        "db_pool_connections_in_use",
        "connections in use",
        "db_pool_connections_max",
        "instance",
        9187,
    ),
}


@dataclass
class ServicePlan:
    name: str
    team: str
    role: str
    kind: str
    scraped: bool
    alert_names: list[str] = field(default_factory=list)


@dataclass
class RepoStats:
    """What was written."""

    root: str
    seed: int
    services: int
    teams: int
    alert_groups: int
    overlays: int
    files: int
    yaml_bytes: int
    alerts_declared: int
    scraped_services: int
    patched_services: dict[str, int]


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def _service_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` unique (name, role) pairs such as (`invoice-api`, `api`)."""
    combos = [(f"{domain}-{role}", role) for domain in DOMAINS for role in ROLES]
    rng.shuffle(combos)
    if count <= len(combos):
        return combos[:count]
    extra = [(f"{name}-{index}", role) for index in range(2, 100) for name, role in combos]
    return [*combos, *extra][:count]


def _team_of(rng: random.Random, teams: list[str]) -> str:
    # Uneven, like real organisations: a few teams own many services.
    weights = [1.0 / (rank + 3) for rank in range(len(teams))]
    return rng.choices(teams, weights=weights, k=1)[0]


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def _service_yaml(plan: ServicePlan, rng: random.Random) -> str:
    arch = ARCHETYPES[plan.kind]
    p = camel(plan.name)
    job = plan.name
    tier = rng.choice((1, 1, 2, 2, 2, 3))
    lines: list[str] = [
        f"# {plan.name}: owned by {plan.team}. {plan.kind} service ({plan.role}).",
        "kind: Service",
        f"name: {plan.name}",
        f"team: {plan.team}",
        f"tier: {tier}",
        f"description: The {plan.name.replace('-', ' ')} of the {plan.team} team.",
    ]
    custom_selector = rng.random() < 0.15
    if custom_selector:
        job = f"{plan.team}-{plan.name}"[:60]
        lines.append(f"selector: {{job: {job}, namespace: {plan.team}}}")
    if rng.random() < 0.3:
        lines.append(f"labels: {{component: {plan.role}, domain: {plan.name.split('-')[0]}}}")
    if rng.random() < 0.1:
        lines.append("rate_window: 10m")
    if plan.scraped:
        lines.append("scrape:")
        replicas = rng.randint(1, 4)
        targets = ", ".join(f'"{plan.name}-{i}:{arch.port}"' for i in range(replicas))
        lines.append(f"  targets: [{targets}]")
        if rng.random() < 0.2:
            lines.append("  interval: 30s")
        if plan.kind == "db" and rng.random() < 0.5:
            lines.append("  metrics_path: /probe/metrics")
        if rng.random() < 0.2:
            lines.append(f"  labels: {{zone: zone-{rng.choice('abc')}}}")
    lines += [
        "metrics:",
        "  requests:",
        f"    counter: {arch.requests}",
        "    description: requests",
        "  errors:",
        f"    counter: {arch.errors}",
        "    description: failed requests",
        "  latency:",
        f"    histogram: {arch.latency}",
        "    description: latency",
        "  saturation:",
        f"    gauge: {arch.gauge}",
        f"    description: {arch.gauge_description}",
    ]
    if arch.gauge_limit:
        lines += ["  capacity:", f"    gauge: {arch.gauge_limit}"]

    sev = rng.choice(("critical", "warning"))
    error_ratio = rng.choice((0.01, 0.02, 0.05, 0.1))
    p99 = rng.choice((0.25, 0.5, 1, 2, 5))
    p50 = p99 / rng.choice((4, 5, 10))
    min_rate = rng.choice((0.1, 0.5, 1))
    surge = rng.choice((500, 1000, 5000, 20000))
    gauge_max = rng.choice((50, 100, 200, 1000))
    by_route = rng.random() < 0.25
    alerts: list[list[str]] = []

    # 1. Ratio threshold: errors per requests, sometimes broken down by a label.
    ratio = [
        f"  - name: {p}HighErrorRatio",
        f"    severity: {sev}",
        "    metric: errors",
        "    per: requests",
    ]
    if by_route:
        ratio.append(f"    by: [{arch.by_label}]")
    ratio += [
        '    op: ">"',
        f"    value: {_number(error_ratio)}",
        f"    for: {rng.choice(('2m', '5m', '10m'))}",
    ]
    alerts.append(ratio)
    # 2-3. Histogram quantiles (they share the bucket-rate recording rule).
    alerts.append(
        [
            f"  - name: {p}LatencyP99High",
            "    severity: warning",
            "    metric: latency",
            "    quantile: 0.99",
            '    op: ">"',
            f"    value: {_number(p99)}",
            "    for: 10m",
        ]
    )
    p50_alert = [
        f"  - name: {p}LatencyP50High",
        "    severity: info" if rng.random() < 0.5 else "    severity: warning",
        "    metric: latency",
        "    quantile: 0.5",
        '    op: ">"',
        f"    value: {_number(p50)}",
        "    for: 15m",
    ]
    if rng.random() < 0.2:
        p50_alert.insert(4, "    rate: 10m")
    alerts.append(p50_alert)
    # 4-5. Counter rates.
    no_traffic = [
        f"  - name: {p}NoTraffic",
        "    severity: warning",
        "    metric: requests",
        '    op: "<"',
        f"    value: {_number(min_rate)}",
        "    for: 15m",
    ]
    if rng.random() < 0.3:
        no_traffic += [
            "    description: >-",
            f"      {plan.name} has served almost no requests for 15 minutes",
            "      ({{ $value | humanize }} per second): is anything sending it traffic?",
        ]
    alerts.append(no_traffic)
    alerts.append(
        [
            f"  - name: {p}TrafficSurge",
            "    severity: info",
            "    metric: requests",
            "    rate: 10m",
            '    op: ">"',
            f"    value: {surge}",
            "    for: 10m",
            "    labels: {notify: chat}",
        ]
    )
    # 6-7. Gauges: per instance with aggregate/by, and in total (or a ratio of two gauges).
    alerts.append(
        [
            f"  - name: {p}SaturatedInstance",
            "    severity: warning",
            "    metric: saturation",
            "    aggregate: max",
            "    by: [instance]",
            '    op: ">"',
            f"    value: {gauge_max}",
            "    for: 10m",
            '    summary: "{{ $labels.instance }}: '
            + arch.gauge_description
            + ' at {{ $value | humanize }}"',
        ]
    )
    if arch.gauge_limit:
        alerts.append(
            [
                f"  - name: {p}PoolNearLimit",
                "    severity: critical",
                "    metric: saturation",
                "    per: capacity",
                "    aggregate: sum",
                "    by: [instance]",
                '    op: ">"',
                "    value: 0.9",
                "    for: 5m",
            ]
        )
    else:
        alerts.append(
            [
                f"  - name: {p}SaturationTotal",
                "    severity: warning",
                "    metric: saturation",
                "    aggregate: sum",
                '    op: ">"',
                f"    value: {gauge_max * 10}",
                "    for: 15m",
            ]
        )
    # 8. No data.
    alerts.append(
        [f"  - name: {p}MetricsMissing", "    severity: warning", "    absent: requests", "    for: 10m"]
    )
    # 9. The `up` shortcut every service has.
    alerts.append(
        [
            f"  - name: {p}Down",
            "    severity: critical" if tier == 1 else "    severity: warning",
            "    metric: up",
            "    aggregate: max",
            '    op: "=="',
            "    value: 0",
            "    for: 3m",
            f"    description: Every target of {plan.name} is down or unreachable.",
        ]
    )
    # 10. Raw PromQL.
    sel = f'job="{job}"'
    raw_kind = rng.randrange(4)
    if raw_kind == 0:
        alerts.append(
            [
                f"  - name: {p}MemoryHigh",
                "    severity: warning",
                "    expr: max by (instance) "
                f"(process_resident_memory_bytes{{{sel}}}) > {rng.choice((1, 2, 4))}e9",
                "    for: 15m",
                '    summary: "{{ $labels.instance }} uses {{ $value | humanize1024 }}B of memory"',
            ]
        )
    elif raw_kind == 1:
        alerts.append(
            [
                f"  - name: {p}Restarting",
                "    severity: warning",
                f"    expr: changes(process_start_time_seconds{{{sel}}}[1h]) > 3",
                "    for: 0s",
                '    summary: "{{ $labels.instance }} restarted {{ $value }} times in an hour"',
            ]
        )
    elif raw_kind == 2:
        alerts.append(
            [
                f"  - name: {p}FileDescriptorsNearLimit",
                "    severity: warning",
                "    expr: |",
                f"      process_open_fds{{{sel}}}",
                f"        / process_max_fds{{{sel}}}",
                "      > 0.8",
                "    for: 10m",
                "    runbook_url: https://wiki.example.com/runbooks/file-descriptors",
            ]
        )
    else:
        alerts.append(
            [
                f"  - name: {p}CpuThrottled",
                "    severity: info",
                "    expr: >-",
                "      sum by (pod) (rate(container_cpu_cfs_throttled_periods_total"
                f'{{namespace="{plan.team}", container="{plan.name}"}}[5m]))',
                "      / sum by (pod) (rate(container_cpu_cfs_periods_total"
                f'{{namespace="{plan.team}", container="{plan.name}"}}[5m])) > 0.25',
                "    for: 30m",
            ]
        )

    assert len(alerts) == 10, plan.name
    plan.alert_names = [a[0].split(": ", 1)[1] for a in alerts]
    lines.append("alerts:")
    for alert in alerts:
        lines.extend(alert)
    if rng.random() < 0.1:
        lines += [
            "recording:",
            "  - record: service:requests:increase1h",
            f"    expr: sum(increase({arch.requests}{{{sel}}}[1h]))",
        ]
    return "\n".join(lines) + "\n"


def _alert_group_yaml(name: str, team: str, index: int) -> str:
    subject = name.replace("-", " ")
    p = camel(name)
    job = name
    instance = "{{ $labels.instance }}"
    return f"""# {subject}: rules owned by {team} rather than by one service.
kind: AlertGroup
name: {name}
team: {team}
description: Shared {subject} alerts.
labels: {{layer: infrastructure}}
recording:
  - record: instance:{name.replace("-", "_")}_errors:rate5m
    expr: sum by (instance) (rate({name.replace("-", "_")}_errors_total{{job="{job}"}}[5m]))
alerts:
  - name: {p}TargetDown
    severity: critical
    metric: up{{job="{job}"}}
    op: "=="
    value: 0
    for: 3m
    summary: "{{{{ $labels.instance }}}} of {job} is down"
  - name: {p}Errors
    severity: warning
    metric: instance:{name.replace("-", "_")}_errors:rate5m
    op: ">"
    value: {index + 1}
    for: 10m
    summary: "{{{{ $labels.instance }}}}: {{{{ $value | humanize }}}} errors per second"
  - name: {p}DiskAlmostFull
    severity: critical
    expr: |
      node_filesystem_avail_bytes{{job="{job}", fstype!~"tmpfs|overlay"}}
        / node_filesystem_size_bytes{{job="{job}", fstype!~"tmpfs|overlay"}}
      < 0.05
    for: 5m
    summary: "{instance}: {{{{ $labels.mountpoint }}}} has {{{{ $value | humanizePercentage }}}} free"
  - name: {p}HighLoad
    severity: warning
    metric: node_load5{{job="{job}"}}
    aggregate: max
    by: [instance]
    op: ">"
    value: {8 * (index + 1)}
    for: 15m
  - name: {p}ExporterMissing
    severity: warning
    absent: up{{job="{job}"}}
    for: 10m
"""


PROMETHEUS_YAML = """# The Prometheus server of the synthetic benchmark repository.
kind: Prometheus
scrape_interval: 15s
scrape_timeout: 10s
evaluation_interval: 30s
external_labels:
  cluster: bench
  env: dev
alertmanagers:
  - targets: ["alertmanager-1:9093", "alertmanager-2:9093"]
---
kind: Settings
grafana_url: https://grafana.example.com
runbook_base_url: https://runbooks.example.com
alert_defaults:
  for: 5m
"""

SCRAPE_YAML = """# Scrape jobs that do not belong to one service.
kind: ScrapeJob
name: prometheus
team: platform
targets: ["localhost:9090"]
---
kind: ScrapeJob
name: alertmanager
team: platform
targets: ["alertmanager-1:9093", "alertmanager-2:9093"]
---
kind: ScrapeJob
name: node
team: infra
targets: ["node-1:9100", "node-2:9100", "node-3:9100"]
---
kind: ScrapeJob
name: blackbox
team: infra
metrics_path: /probe
params:
  module: [http_2xx]
targets: ["blackbox-exporter:9115"]
"""


def _overlay_yaml(environment: str, rng: random.Random, plans: list[ServicePlan], count: int) -> str:
    lines = [
        f"# `gen build --env {environment}`: {environment} targets and thresholds.",
        "kind: Overlay",
        f"environment: {environment}",
        "patches:",
        "  - target: Prometheus",
        "    patch:",
        f"      external_labels: {{cluster: {environment}-eu-west-1, env: {environment}}}",
        "  - target: ScrapeJob/node",
        "    patch:",
        "      targets: ["
        + ", ".join(f'"node-{i}.{environment}.internal:9100"' for i in range(1, 4 + len(environment)))
        + "]",
    ]
    factor = {"dev": 4.0, "staging": 2.0, "prod": 0.5}[environment]
    for plan in sorted(rng.sample(plans, min(count, len(plans))), key=lambda p: p.name):
        lines += [f"  - target: Service/{plan.name}", "    patch:"]
        if plan.scraped:
            port = ARCHETYPES[plan.kind].port
            replicas = rng.randint(2, 6) if environment == "prod" else 1
            targets = ", ".join(f'"{plan.name}-{i}.{environment}.internal:{port}"' for i in range(replicas))
            lines += ["      scrape:", f"        targets: [{targets}]"]
        lines.append("      alerts:")
        # Patch a few thresholds by alert name (merged item by item).
        chosen = sorted(rng.sample(range(10), rng.randint(2, 4)))
        for index in chosen:
            name = plan.alert_names[index]
            if index == 0:
                lines += [f"        - name: {name}", f"          value: {_number(0.02 * factor)}"]
            elif index in (1, 2):
                lines += [f"        - name: {name}", f"          value: {_number(0.5 * factor)}"]
            elif index in (4, 5, 6):
                lines += [
                    f"        - name: {name}",
                    f"          value: {int(500 * factor)}",
                    "          for: 20m",
                ]
            else:
                severity = "critical" if environment == "prod" else "warning"
                lines += [f"        - name: {name}", f"          severity: {severity}"]
    return "\n".join(lines) + "\n"


def _teams_yaml(teams: list[str]) -> str:
    docs = []
    for team in teams:
        docs.append(
            f"kind: Team\nname: {team}\ndisplay_name: {team.capitalize()}\n"
            f"description: The {team} team.\n"
            f"runbook_base_url: https://runbooks.example.com/{team}\n"
        )
    return "# Teams own services and receive their alerts.\n" + "---\n".join(docs)


def generate(
    root: Path,
    services: int = DEFAULT_SERVICES,
    teams: int = DEFAULT_TEAMS,
    seed: int = DEFAULT_SEED,
) -> RepoStats:
    """Write the synthetic repository under `root` (its definition folders are replaced)."""
    rng = random.Random(seed)
    team_names = list(TEAMS[:teams]) + [f"team-{i}" for i in range(len(TEAMS), teams)]
    for folder in ("rules", "prometheus", "alertmanager", "dashboards"):
        shutil.rmtree(root / folder, ignore_errors=True)
    files: dict[str, str] = {}

    plans: list[ServicePlan] = []
    for name, role in _service_names(rng, services):
        plans.append(ServicePlan(name, _team_of(rng, team_names), role, ROLES[role], rng.random() < 0.4))
    plans.sort(key=lambda p: p.name)
    for plan in plans:
        files[f"rules/{plan.team}/{plan.name}.yaml"] = _service_yaml(plan, rng)

    groups = [
        ("kubernetes-nodes", "infra"),
        ("ingress-controllers", "platform"),
        ("kafka-brokers", "messaging"),
        ("elasticsearch-nodes", "search"),
        ("vault-servers", "security"),
    ]
    groups = [(name, team if team in team_names else team_names[0]) for name, team in groups]
    for index, (name, team) in enumerate(groups):
        files[f"rules/{team}/{name}.yaml"] = _alert_group_yaml(name, team, index)

    files["alertmanager/teams.yaml"] = _teams_yaml(team_names)
    files["prometheus/prometheus.yaml"] = PROMETHEUS_YAML
    files["prometheus/scrape.yaml"] = SCRAPE_YAML
    patched: dict[str, int] = {}
    for environment in ENVIRONMENTS:
        count = min(PATCHED_SERVICES[environment] * services // DEFAULT_SERVICES, services)
        count = max(count, 1)
        patched[environment] = count
        files[f"prometheus/environments/{environment}.yaml"] = _overlay_yaml(environment, rng, plans, count)

    total = 0
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        path.write_bytes(data)
        total += len(data)
    return RepoStats(
        root=str(root),
        seed=seed,
        services=len(plans),
        teams=len(team_names),
        alert_groups=len(groups),
        overlays=len(ENVIRONMENTS),
        files=len(files),
        yaml_bytes=total,
        alerts_declared=sum(len(p.alert_names) for p in plans) + 5 * len(groups),
        scraped_services=sum(p.scraped for p in plans),
        patched_services=patched,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="Folder to write the repository into.")
    parser.add_argument("--services", type=int, default=DEFAULT_SERVICES)
    parser.add_argument("--teams", type=int, default=DEFAULT_TEAMS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    stats = generate(args.out, args.services, args.teams, args.seed)
    print(stats)


if __name__ == "__main__":
    main()
