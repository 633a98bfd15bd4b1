"""docker-compose.yml, validated offline by Debian's docker-compose 1.29 (`config` resolves and
checks the file without a Docker engine), and checked against what generated/ expects of it:
the host names and ports generated files use, the config files and secret folders they name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.stack.layout import COMPONENTS, SECRET_DIRS
from tests.conftest import REPO, require_tool

GENERATED = REPO / "generated"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The file as docker-compose resolves it (anchors merged, variables substituted)."""
    binary = require_tool("docker-compose")
    result = subprocess.run(
        [binary, "--project-directory", str(REPO), "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


def _services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def _mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """docker-compose 1.29 prints short volume syntax as `source:target:mode` strings."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target, *mode = volume.split(":")
            mounts.append({"source": source, "target": target, "read_only": mode[:1] == ["ro"]})
        else:
            mounts.append({**volume, "read_only": volume.get("read_only", False)})
    return mounts


def _generated_source(mount: dict[str, Any]) -> Path | None:
    source = Path(mount["source"])
    return source if source.is_relative_to(GENERATED) else None


def test_the_file_is_valid_and_every_service_has_a_health_check(compose: dict[str, Any]) -> None:
    services = _services(compose)
    stack = {component.name for component in COMPONENTS}
    assert stack | {"postgres"} == set(services)
    missing = [name for name, service in services.items() if "healthcheck" not in service]
    assert missing == []


def test_images_are_pinned_and_one_image_serves_exporters_and_receiver(compose: dict[str, Any]) -> None:
    services = _services(compose)
    for name, service in services.items():
        image = service["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image else ""
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?", tag), f"{name} is not pinned: {image}"
    built = {name for name, service in services.items() if "build" in service}
    assert built == {"probe-exporter", "sql-exporter", "push-bridge", "receiver"}
    assert len({services[name]["image"] for name in built}) == 1
    assert (REPO / "Dockerfile").is_file()


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    services = _services(compose)
    wanted = {
        "prometheus": "/prometheus",  # the TSDB
        "alertmanager-1": "/alertmanager",  # silences and the notification log
        "alertmanager-2": "/alertmanager",
        "grafana": "/var/lib/grafana",
        "receiver": "/var/lib/receiver",  # the notification history
        "postgres": "/var/lib/postgresql/data",
    }
    for name, path in wanted.items():
        named = [m for m in _mounts(services[name]) if m["target"] == path]
        assert named and named[0]["source"] in compose["volumes"], f"{name}: {path} is not a named volume"


def test_config_is_mounted_read_only_from_generated_and_every_named_file_exists(
    compose: dict[str, Any],
) -> None:
    checked = 0
    for name, service in _services(compose).items():
        generated = [m for m in _mounts(service) if _generated_source(m)]
        checked += len(generated)
        assert all(m["read_only"] for m in generated), name
        arguments = " ".join(map(str, service.get("command") or []))
        for mount in generated:
            for used in re.findall(re.escape(mount["target"]) + r"/[\w./-]+", arguments):
                host = Path(mount["source"]) / Path(used).relative_to(mount["target"])
                assert host.is_file(), f"{name} reads {used}, which is {host}: missing"
    assert checked >= 8


def test_host_names_in_generated_files_are_services_on_their_ports(compose: dict[str, Any]) -> None:
    """`alertmanager-1:9093`, `http://receiver:8080/webhook`, `probe-exporter:9116`..."""
    services = _services(compose)
    names: dict[str, str] = {}
    for name, service in services.items():
        names[name] = name
        for network in (service.get("networks") or {}).values():
            for alias in (network or {}).get("aliases", []):
                names[alias] = name
    ports = {component.name: component.port for component in COMPONENTS}
    text = "\n".join(
        path.read_text()
        for path in [*GENERATED.glob("*/*.yml"), *GENERATED.glob("grafana/provisioning/*/*.yml")]
    )
    seen = set()
    for host, port in re.findall(r"(?<![\w.-])([a-z][a-z0-9-]*):(\d+)\b", text):
        if host in names and host != "localhost":
            service = names[host]
            assert int(port) == ports[service], f"{host}:{port}: {service} listens on {ports[service]}"
            seen.add(service)
    assert {"alertmanager-1", "alertmanager-2", "receiver", "probe-exporter", "prometheus"} <= seen
    # Both members answer to `alertmanager`, where the receiver sends silences and escalations.
    for member in ("alertmanager-1", "alertmanager-2"):
        aliases = services[member]["networks"]["default"]["aliases"]
        assert "alertmanager" in aliases, member


def test_the_python_services_listen_where_the_layout_says(compose: dict[str, Any]) -> None:
    services = _services(compose)
    for component in COMPONENTS:
        command = " ".join(map(str, services[component.name].get("command") or []))
        health = " ".join(map(str, services[component.name]["healthcheck"]["test"]))
        if "build" in services[component.name]:
            assert f"0.0.0.0:{component.port}" in command, component.name
        assert f":{component.port}/" in health, component.name


def test_secret_files_the_generated_config_names_are_mounted_for_their_reader(
    compose: dict[str, Any],
) -> None:
    services = _services(compose)
    readers = {
        "alertmanager": ["alertmanager-1", "alertmanager-2"],
        "exporters": ["sql-exporter", "push-bridge"],
        "prometheus": ["prometheus"],
    }
    named = set()
    for path in GENERATED.glob("**/*.yml"):
        named.update(re.findall(r"(/etc/(\w+)/secrets/[\w.-]+)", path.read_text()))
    assert named, "the repository's definitions name secret files"
    for file, component in named:
        assert file.startswith(SECRET_DIRS[component] + "/")
        for reader in readers[component]:
            targets = [m["target"] for m in _mounts(services[reader]) if m["read_only"]]
            assert SECRET_DIRS[component] in targets, f"{reader} cannot read {file}"


def test_alertmanagers_form_a_cluster_of_two(compose: dict[str, Any]) -> None:
    services = _services(compose)
    for member, peer in (("alertmanager-1", "alertmanager-2"), ("alertmanager-2", "alertmanager-1")):
        command = services[member]["command"]
        assert f"--cluster.peer={peer}:9094" in command
        assert "--cluster.listen-address=0.0.0.0:9094" in command
    assert "--web.enable-lifecycle" in " ".join(services["prometheus"]["command"])


def test_postgres_is_an_optional_profile_the_receiver_can_use(compose: dict[str, Any]) -> None:
    services = _services(compose)
    assert services["postgres"]["profiles"] == ["postgres"]
    assert all("profiles" not in s for name, s in services.items() if name != "postgres")
    command = services["receiver"]["command"]
    assert "--database=sqlite:////var/lib/receiver/receiver.db" in command  # the default
    binary = require_tool("docker-compose")
    result = subprocess.run(
        [binary, "--project-directory", str(REPO), "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "RECEIVER_DATABASE": "postgresql://receiver@postgres:5432/receiver"},
    )
    resolved = yaml.safe_load(result.stdout)["services"]["receiver"]["command"]
    assert "--database=postgresql://receiver@postgres:5432/receiver" in resolved


def test_the_image_holds_every_module_the_compose_file_runs(compose: dict[str, Any]) -> None:
    """No Docker engine here: check that what the Dockerfile copies is what pyproject installs,
    and that every `python -m MODULE` of the compose file lives in what is copied."""
    dockerfile = (REPO / "Dockerfile").read_text()
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    assert {"pyproject.toml", "generator", "exporters", "receiver"} <= copied
    packages = re.search(r"include = \[([^\]]*)\]", (REPO / "pyproject.toml").read_text())
    assert packages is not None
    for pattern in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert pattern in copied, f"pyproject installs {pattern}, the image does not copy it"
    modules = set()
    for service in _services(compose).values():
        for words in (service.get("command") or [], service["healthcheck"]["test"]):
            words = list(map(str, words))
            modules.update(words[i + 1] for i, word in enumerate(words[:-1]) if word == "-m")
    assert modules >= {
        "receiver",
        "exporters.probe",
        "exporters.sql",
        "exporters.push",
        "exporters.common.healthcheck",
    }
    for module in modules:
        path = REPO / module.replace(".", "/")
        assert (path / "__main__.py").is_file() or path.with_suffix(".py").is_file(), module
        assert module.split(".")[0] in copied


def test_the_health_check_command_answers_by_exit_status(tmp_path: Path) -> None:
    """What docker-compose.yml runs in the Python containers, against a real exporter process."""
    import sys

    from tests.receiver.processes import free_port, wait_until_up

    config = tmp_path / "push.yml"
    (tmp_path / "token").write_text("t\n")
    config.write_text(f"token_file: {tmp_path / 'token'}\nmetrics: {{}}\n")
    port = free_port()
    exporter = subprocess.Popen(
        [sys.executable, "-m", "exporters.push", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until_up(exporter, f"http://127.0.0.1:{port}/health/ready", "the push bridge")
        check = [sys.executable, "-m", "exporters.common.healthcheck"]
        assert subprocess.run([*check, f"http://127.0.0.1:{port}/health/ready"], check=False).returncode == 0
        assert subprocess.run([*check, f"http://127.0.0.1:{port}/nothing"], check=False).returncode == 1
    finally:
        exporter.terminate()
        exporter.wait()
    assert subprocess.run([*check, f"http://127.0.0.1:{port}/health/ready"], check=False).returncode == 1
    usage = subprocess.run(check, capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "usage" in usage.stderr
