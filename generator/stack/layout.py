"""The stack's components as docker-compose.yml names them, and where `gen dev` runs each.

Generated files address the stack by its compose service names (`alertmanager-1:9093`,
`http://receiver:8080/webhook`); Docker's DNS resolves them. `gen dev` has no such DNS, so it
rewrites those addresses to 127.0.0.1 ports (localize.py). This table is the one place both sides
read; tests/stack checks docker-compose.yml against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Where generated files expect each secret, by the component that reads it. docker-compose.yml
# mounts ./secrets/<component>/ at these folders; `gen dev` at <state>/secrets/<component>/.
SECRET_DIRS = {
    "alertmanager": "/etc/alertmanager/secrets",
    "exporters": "/etc/exporters/secrets",
    "prometheus": "/etc/prometheus/secrets",
    "receiver": "/etc/receiver/secrets",
}
# The receiver's bearer token: Alertmanager sends it (http_config.authorization.credentials_file),
# the receiver requires it (--token-file). One file, mounted into both.
RECEIVER_TOKEN = ("alertmanager", "receiver-token")


@dataclass(frozen=True)
class Component:
    """One service of the stack: its compose name, the port it listens on there."""

    name: str
    port: int
    # Other names generated files use for it (Docker network aliases, or Prometheus scraping itself).
    aliases: tuple[str, ...] = ()


COMPONENTS = (
    Component("prometheus", 9090, aliases=("localhost",)),
    # Both members answer to `alertmanager` (a network alias): the receiver posts silences and
    # escalation copies there, and the cluster gossips them to the other member.
    Component("alertmanager-1", 9093, aliases=("alertmanager",)),
    Component("alertmanager-2", 9093),
    Component("grafana", 3000),
    Component("node-exporter", 9100),
    Component("probe-exporter", 9116),
    Component("sql-exporter", 9117),
    Component("push-bridge", 9091),
    Component("receiver", 8080),
)
ALERTMANAGER_CLUSTER_PORT = 9094


@dataclass(frozen=True)
class Ports:
    """The 127.0.0.1 port of each component under `gen dev` (component name -> port)."""

    web: dict[str, int] = field(default_factory=dict)
    # Alertmanager members' gossip ports, by member name.
    cluster: dict[str, int] = field(default_factory=dict)

    @classmethod
    def defaults(cls) -> Ports:
        """The compose file's published ports, so URLs read the same in both stacks; the second
        Alertmanager is shifted by 100 on one host."""
        web = {component.name: component.port for component in COMPONENTS}
        web["alertmanager-2"] = 9193
        return cls(web, {"alertmanager-1": ALERTMANAGER_CLUSTER_PORT, "alertmanager-2": 9194})

    def shifted(self, offset: int) -> Ports:
        """Every port moved by `offset`, to run a second stack beside the first."""
        return Ports(
            {name: port + offset for name, port in self.web.items()},
            {name: port + offset for name, port in self.cluster.items()},
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.web[name]}"

    def address_map(self) -> dict[str, str]:
        """`host:port` as generated files write it -> `127.0.0.1:port` where it runs."""
        mapping: dict[str, str] = {}
        for component in COMPONENTS:
            local = f"127.0.0.1:{self.web[component.name]}"
            for host in (component.name, *component.aliases):
                mapping[f"{host}:{component.port}"] = local
        return mapping
