"""The dashboard of a node_exporter scrape job: the USE method (utilisation, saturation, errors)
for CPU, memory, disk and network of its hosts (https://www.brendangregg.com/usemethod.html),
one `$instance` at a time.
"""

from __future__ import annotations

from typing import Any

from generator import conventions as names
from generator import panels as p
from generator.model import Model


def hosts_dashboard(model: Model, job: str, team: str | None) -> dict[str, Any]:
    s = f'job="{job}", {p.INSTANCE_MATCHER}'
    fs = f'{s}, fstype!~"tmpfs|overlay|squashfs", mountpoint!~"/run.*"'
    rate = "$__rate_interval"
    idle = f'node_cpu_seconds_total{{mode="idle", {s}}}'
    idle_rate = f"rate({idle}[{rate}])"
    items: list[p.Panel | p.Row] = [
        p.Row(
            "CPU",
            [
                p.timeseries(
                    "CPU utilisation",
                    [
                        p.Query(
                            f"1 - avg by (instance) ({idle_rate})",
                            "{{instance}}",
                        )
                    ],
                    unit="ratio",
                    maximum=1,
                    steps=[(None, "green"), (0.9, "red")],
                    threshold_line=True,
                ),
                p.timeseries(
                    "CPU saturation (load per core)",
                    [
                        p.Query(
                            f"node_load1{{{s}}} / on (instance) count by (instance) ({idle})",
                            "{{instance}}",
                        )
                    ],
                    steps=[(None, "green"), (1, "red")],
                    threshold_line=True,
                ),
            ],
        ),
        p.Row(
            "Memory",
            [
                p.timeseries(
                    "Memory utilisation",
                    [
                        p.Query(
                            f"1 - node_memory_MemAvailable_bytes{{{s}}} / node_memory_MemTotal_bytes{{{s}}}",
                            "{{instance}}",
                        )
                    ],
                    unit="ratio",
                    maximum=1,
                    steps=[(None, "green"), (0.95, "red")],
                    threshold_line=True,
                ),
                p.timeseries(
                    "Memory saturation (major page faults)",
                    [p.Query(f"rate(node_vmstat_pgmajfault{{{s}}}[{rate}])", "{{instance}}")],
                ),
            ],
        ),
        p.Row(
            "Disk",
            [
                p.timeseries(
                    "Disk space used",
                    [
                        p.Query(
                            f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}",
                            "{{instance}} {{mountpoint}}",
                        )
                    ],
                    unit="ratio",
                    maximum=1,
                    steps=[(None, "green"), (0.9, "red")],
                    threshold_line=True,
                    width=8,
                ),
                p.timeseries(
                    "Disk IO utilisation",
                    [
                        p.Query(
                            f"rate(node_disk_io_time_seconds_total{{{s}}}[{rate}])", "{{instance}} {{device}}"
                        )
                    ],
                    unit="ratio",
                    width=8,
                ),
                p.timeseries(
                    "Disk IO saturation",
                    [
                        p.Query(
                            f"rate(node_disk_io_time_weighted_seconds_total{{{s}}}[{rate}])",
                            "{{instance}} {{device}}",
                        )
                    ],
                    width=8,
                ),
            ],
        ),
        p.Row(
            "Network",
            [
                p.timeseries(
                    "Network received",
                    [
                        p.Query(
                            f'rate(node_network_receive_bytes_total{{{s}, device!="lo"}}[{rate}])',
                            "{{instance}} {{device}}",
                        )
                    ],
                    unit="Bps",
                ),
                p.timeseries(
                    "Network sent",
                    [
                        p.Query(
                            f'rate(node_network_transmit_bytes_total{{{s}, device!="lo"}}[{rate}])',
                            "{{instance}} {{device}}",
                        )
                    ],
                    unit="Bps",
                ),
                p.timeseries(
                    "Network errors and drops",
                    [
                        p.Query(
                            f'rate(node_network_receive_errs_total{{{s}, device!="lo"}}[{rate}])',
                            "rx errors {{instance}}",
                        ),
                        p.Query(
                            f'rate(node_network_transmit_errs_total{{{s}, device!="lo"}}[{rate}])',
                            "tx errors {{instance}}",
                        ),
                        p.Query(
                            f'rate(node_network_receive_drop_total{{{s}, device!="lo"}}[{rate}])',
                            "rx drops {{instance}}",
                        ),
                    ],
                    width=24,
                ),
            ],
        ),
    ]
    return p.dashboard(
        names.hosts_dashboard_uid(job),
        f"Hosts: {job}",
        items,
        tags=["hosts", "use", *([team] if team else [])],
        description="The USE method (utilisation, saturation, errors) for every resource of the hosts.",
        variables=[p.query_variable("instance", f'label_values(node_uname_info{{job="{job}"}}, instance)')],
        datasource_uid=model.settings.grafana_datasource_uid,
    )
