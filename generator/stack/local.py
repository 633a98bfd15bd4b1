"""The stack from binaries on 127.0.0.1: what `gen dev`, the end-to-end test and the latency
benchmark run. Prometheus and the clustered Alertmanager pair are Debian's (or upstream's)
binaries; node_exporter when installed; our exporters and receiver as Python processes.

Components start in the order data flows backwards (receiver, exporters, Alertmanagers,
Prometheus), so nothing Prometheus sends or scrapes is refused at start-up.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.stack.layout import Ports
from generator.stack.localize import (
    ALERTMANAGER_CONFIG,
    PLACEHOLDER,
    PROMETHEUS_CONFIG,
    RECEIVER_CONFIG,
    Localized,
    localize,
)
from generator.stack.processes import Process, StackError, find_binary

START_TIMEOUT_S = 60.0
PROMETHEUS_BINARIES = ("prometheus",)
ALERTMANAGER_BINARIES = ("prometheus-alertmanager", "alertmanager")
NODE_EXPORTER_BINARIES = ("prometheus-node-exporter", "node_exporter")
EXPORTER_MODULES = {
    "probe-exporter": ("exporters.probe", "exporters/probe.yml"),
    "sql-exporter": ("exporters.sql", "exporters/sql.yml"),
    "push-bridge": ("exporters.push", "exporters/push.yml"),
}


@dataclass
class StackOptions:
    generated: Path
    state: Path  # config copies, secrets, TSDB, silences, the receiver's database, logs
    ports: Ports = field(default_factory=Ports.defaults)
    secrets: Path | None = None
    node_exporter: bool = True
    # Top-level keys set in a translated file, by generated name (see localize.localize).
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class LocalStack:
    options: StackOptions
    localized: Localized
    processes: list[Process] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # component -> why it is not running

    def url(self, name: str) -> str:
        return self.options.ports.url(name)

    def running(self, name: str) -> bool:
        return any(process.name == name and process.running() for process in self.processes)

    def exited(self) -> list[Process]:
        return [process for process in self.processes if not process.running()]

    def relocalize(self) -> Localized:
        """Translate generated/ again (after `gen build`); the caller reloads the servers."""
        options = self.options
        self.localized = localize(
            options.generated, options.state, options.ports, options.secrets, options.overrides
        )
        return self.localized

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def _plan(options: StackOptions, localized: Localized) -> tuple[list[Process], dict[str, str]]:
    ports, state, files = options.ports, options.state, localized.files
    logs = state / "logs"
    processes: list[Process] = []
    skipped: dict[str, str] = {}

    def listen(name: str) -> str:
        return f"127.0.0.1:{ports.web[name]}"

    def process(name: str, command: list[str], ready_path: str) -> Process:
        return Process(name, command, f"{ports.url(name)}{ready_path}", logs / f"{name}.log")

    if RECEIVER_CONFIG in files:
        command = [
            sys.executable, "-m", "receiver", "--listen", listen("receiver"),
            "--database", f"sqlite:///{state / 'receiver' / 'receiver.db'}",
            "--config", str(files[RECEIVER_CONFIG]),
        ]  # fmt: skip
        if localized.receiver_token is not None:
            command += ["--token-file", str(localized.receiver_token)]
        (state / "receiver").mkdir(parents=True, exist_ok=True)
        processes.append(process("receiver", command, "/health/ready"))
    for name, (module, config) in EXPORTER_MODULES.items():
        if config not in files:
            skipped[name] = f"no {config} (nothing in the definitions needs it)"
            continue
        if name == "sql-exporter" and _uses_placeholder(files[config]):
            skipped[name] = "its database URL is a placeholder: put it in the secrets folder"
            continue
        command = [sys.executable, "-m", module, "--config", str(files[config]), "--listen", listen(name)]
        processes.append(process(name, command, "/health/ready"))
    node_exporter = find_binary(*NODE_EXPORTER_BINARIES) if options.node_exporter else None
    if node_exporter:
        command = [node_exporter, f"--web.listen-address={listen('node-exporter')}"]
        processes.append(process("node-exporter", command, "/metrics"))
    else:
        skipped["node-exporter"] = "not installed" if options.node_exporter else "turned off"
    if ALERTMANAGER_CONFIG in files:
        binary = find_binary(*ALERTMANAGER_BINARIES)
        if binary is None:
            raise StackError("Alertmanager is not installed (apt install prometheus-alertmanager)")
        members = sorted(ports.cluster)
        for member in members:
            peers = [f"--cluster.peer=127.0.0.1:{ports.cluster[peer]}" for peer in members if peer != member]
            command = [
                binary,
                f"--config.file={files[ALERTMANAGER_CONFIG]}",
                f"--storage.path={state / member}",
                f"--web.listen-address={listen(member)}",
                f"--web.external-url={ports.url(member)}",
                f"--cluster.listen-address=127.0.0.1:{ports.cluster[member]}",
                f"--cluster.advertise-address=127.0.0.1:{ports.cluster[member]}",
                *peers,
            ]
            processes.append(process(member, command, "/-/ready"))
    binary = find_binary(*PROMETHEUS_BINARIES)
    if binary is None:
        raise StackError("Prometheus is not installed (apt install prometheus)")
    command = [
        binary,
        f"--config.file={files[PROMETHEUS_CONFIG]}",
        f"--storage.tsdb.path={state / 'prometheus'}",
        f"--web.listen-address={listen('prometheus')}",
        f"--web.external-url={ports.url('prometheus')}",
        # `gen deploy` and `gen dev` reload over HTTP.
        "--web.enable-lifecycle",
    ]
    processes.append(process("prometheus", command, "/-/ready"))
    skipped["grafana"] = "no binary here: run docker compose, or `gen deploy --grafana-url` to one"
    return processes, skipped


def _uses_placeholder(config: Path) -> bool:
    import yaml

    url_file = (yaml.safe_load(config.read_text()) or {}).get("url_file")
    return isinstance(url_file, str) and Path(url_file).read_text() == PLACEHOLDER


def _localize(options: StackOptions) -> Localized:
    return localize(options.generated, options.state, options.ports, options.secrets, options.overrides)


@contextmanager
def running_stack(options: StackOptions) -> Iterator[LocalStack]:
    """Start the stack, yield it ready, stop it whatever happens."""
    if not (options.generated / PROMETHEUS_CONFIG).is_file():
        raise StackError(f"{options.generated / PROMETHEUS_CONFIG} is missing: run `gen build` first")
    localized = _localize(options)
    processes, skipped = _plan(options, localized)
    stack = LocalStack(options, localized, [], skipped)
    try:
        for process in processes:
            process.start()
            stack.processes.append(process)
            process.wait_ready(START_TIMEOUT_S)
        yield stack
    finally:
        stack.stop()
