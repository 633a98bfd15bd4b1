"""generated/ translated for `gen dev`: the stack's host names to 127.0.0.1 ports, secret paths
to the dev secrets folder, relative paths made absolute; the user's own targets untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.stack.layout import COMPONENTS, Ports
from generator.stack.localize import PLACEHOLDER, localize, translate_address
from tests.conftest import REPO

PORTS = Ports.defaults().shifted(1000)


@pytest.mark.parametrize(
    ("written", "runs"),
    [
        ("alertmanager-1:9093", "127.0.0.1:10093"),
        ("alertmanager-2:9093", "127.0.0.1:10193"),
        ("alertmanager:9093", "127.0.0.1:10093"),  # the alias both members answer to
        ("http://receiver:8080/webhook", "http://127.0.0.1:9080/webhook"),
        ("http://alertmanager:9093", "http://127.0.0.1:10093"),
        ("localhost:9090", "127.0.0.1:10090"),  # Prometheus scraping itself
        ("checkout:8080", "checkout:8080"),  # a user's service: not ours to move
        ("http://receiver:9999/webhook", "http://receiver:9999/webhook"),  # not the receiver's port
        ("receiver", "receiver"),
    ],
    ids=lambda value: value,
)
def test_addresses_of_stack_components_are_translated(written: str, runs: str) -> None:
    assert translate_address(written, PORTS.address_map()) == runs


def test_every_component_has_a_distinct_dev_port() -> None:
    ports = Ports.defaults()
    assert set(ports.web) == {component.name for component in COMPONENTS}
    every = [*ports.web.values(), *ports.cluster.values()]
    assert len(every) == len(set(every))
    assert ports.shifted(7).url("prometheus") == "http://127.0.0.1:9097"


@pytest.fixture
def localized(tmp_path: Path) -> tuple[Path, Path]:
    secrets = tmp_path / "secrets"
    (secrets / "alertmanager").mkdir(parents=True)
    (secrets / "alertmanager" / "smtp-password").write_text("hunter2\n")
    state = tmp_path / "state"
    return secrets, state


def test_the_repositorys_generated_files_are_translated(localized: tuple[Path, Path]) -> None:
    secrets, state = localized
    result = localize(REPO / "generated", state, PORTS, secrets, {"receiver/receiver.yml": {"tick": "1s"}})

    prometheus = yaml.safe_load(result.files["prometheus/prometheus.yml"].read_text())
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "127.0.0.1:10093",
        "127.0.0.1:10193",
    ]
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]}
    assert jobs["health-checks"] == ["127.0.0.1:10116"] and jobs["checkout"] == ["checkout:8080"]
    assert all(Path(pattern).is_absolute() for pattern in prometheus["rule_files"])
    assert str(REPO / "generated" / "prometheus" / "rules") in prometheus["rule_files"][0]

    alertmanager = yaml.safe_load(result.files["alertmanager/alertmanager.yml"].read_text())
    assert Path(alertmanager["templates"][0]).is_absolute()
    smtp = Path(alertmanager["global"]["smtp_auth_password_file"])
    assert smtp == state / "secrets" / "alertmanager" / "smtp-password"
    assert smtp.read_text() == "hunter2\n"  # copied from the secrets folder
    assert smtp.stat().st_mode & 0o077 == 0  # readable by the owner only
    urls = [
        config["url"]
        for receiver in alertmanager["receivers"]
        for config in receiver.get("webhook_configs", [])
    ]
    assert "http://127.0.0.1:9080/webhook" in urls and not any("receiver:8080" in url for url in urls)

    # Missing secrets are placeholders, listed; the receiver token is made up once and kept.
    assert "alertmanager/slack-webhook-url" in result.placeholders
    assert "alertmanager/smtp-password" not in result.placeholders
    assert (state / "secrets" / "alertmanager" / "slack-webhook-url").read_text() == PLACEHOLDER
    assert result.receiver_token is not None
    token = result.receiver_token.read_text()
    assert len(token.strip()) >= 20 and "receiver-token" not in result.placeholders

    receiver = yaml.safe_load(result.files["receiver/receiver.yml"].read_text())
    assert receiver["alertmanager_url"] == "http://127.0.0.1:10093" and receiver["tick"] == "1s"

    again = localize(REPO / "generated", state, PORTS, secrets)
    assert again.receiver_token is not None and again.receiver_token.read_text() == token
    assert "tick" not in yaml.safe_load(again.files["receiver/receiver.yml"].read_text())


def test_the_generated_folder_itself_is_not_touched(localized: tuple[Path, Path], tmp_path: Path) -> None:
    secrets, state = localized
    before = {path: path.read_bytes() for path in (REPO / "generated").rglob("*.yml")}
    localize(REPO / "generated", state, PORTS, secrets)
    assert {path: path.read_bytes() for path in (REPO / "generated").rglob("*.yml")} == before
