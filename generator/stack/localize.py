"""generated/ as `gen dev` runs it: the stack's host names become 127.0.0.1 ports, secret files
come from a local folder, relative paths become absolute.

The generated files stay as they are (they are what docker-compose.yml mounts); the translated
copies go to the dev state folder. Only addresses of the stack's own components change: a service's
scrape target such as `checkout:8080` is the user's and stays.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.stack.layout import RECEIVER_TOKEN, SECRET_DIRS, Ports

# The files the run-time parts read, relative to generated/.
PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
RECEIVER_CONFIG = "receiver/receiver.yml"
EXPORTER_CONFIGS = ("exporters/probe.yml", "exporters/sql.yml", "exporters/push.yml")
PLACEHOLDER = "placeholder-written-by-gen-dev\n"

_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<authority>[^/?#]+)(?P<rest>.*)$", re.IGNORECASE)


@dataclass
class Localized:
    """Where the translated files are, and which secrets had to be made up."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)  # generated-relative name -> translated copy
    placeholders: list[str] = field(default_factory=list)  # secrets not found in the secrets folder
    receiver_token: Path | None = None


def translate_address(text: str, addresses: dict[str, str]) -> str:
    """`alertmanager-1:9093` or `http://receiver:8080/webhook` with the host:port mapped."""
    if text in addresses:
        return addresses[text]
    match = _URL.match(text)
    if match and match["authority"] in addresses:
        return f"{match['scheme']}{addresses[match['authority']]}{match['rest']}"
    return text


def _walk(tree: Any, change: Callable[[str], str]) -> Any:
    if isinstance(tree, dict):
        return {key: _walk(value, change) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_walk(item, change) for item in tree]
    if isinstance(tree, str):
        return change(tree)
    return tree


class _Secrets:
    """Maps /etc/<component>/secrets/<name> to <state>/secrets/<component>/<name>, copying the
    user's file from the secrets folder or writing a placeholder."""

    def __init__(self, source: Path | None, target: Path, result: Localized) -> None:
        self.source, self.target, self.result = source, target, result

    def path(self, text: str) -> str:
        for component, folder in SECRET_DIRS.items():
            if text.startswith(folder + "/"):
                return str(self._provide(component, text[len(folder) + 1 :]))
        return text

    def _provide(self, component: str, name: str) -> Path:
        local = self.target / component / name
        user = self.source / component / name if self.source else None
        if user is not None and user.is_file():
            content = user.read_bytes()
        elif (component, name) == RECEIVER_TOKEN:
            # Made once and kept, so a restarted Alertmanager and receiver still agree.
            content = local.read_bytes() if local.is_file() else (secrets.token_urlsafe(24) + "\n").encode()
        else:
            content = PLACEHOLDER.encode()
            if f"{component}/{name}" not in self.result.placeholders:
                self.result.placeholders.append(f"{component}/{name}")
        local.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not local.is_file() or local.read_bytes() != content:
            fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        if (component, name) == RECEIVER_TOKEN:
            self.result.receiver_token = local
        return local


def localize(
    generated: Path,
    state: Path,
    ports: Ports,
    secrets_dir: Path | None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Localized:
    """Write the translated copies of generated/'s run-time files under `state`/config.
    `overrides` sets top-level keys of a file (by its generated name): run-time tuning that is
    not the definitions' business, such as the receiver's tick in the end-to-end test."""
    generated = generated.resolve()
    result = Localized(state / "config")
    addresses = ports.address_map()
    secret_files = _Secrets(secrets_dir, state / "secrets", result)

    def change(text: str) -> str:
        return secret_files.path(translate_address(text, addresses))

    for name in (PROMETHEUS_CONFIG, ALERTMANAGER_CONFIG, RECEIVER_CONFIG, *EXPORTER_CONFIGS):
        source = generated / name
        if not source.is_file():
            continue
        tree = _walk(yaml.safe_load(source.read_text()) or {}, change)
        base = source.parent
        # Prometheus and Alertmanager resolve these against the config file's folder.
        for key in ("rule_files", "templates"):
            if isinstance(tree.get(key), list):
                tree[key] = [str(base / pattern) for pattern in tree[key]]
        tree.update((overrides or {}).get(name, {}))
        target = result.folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
        result.files[name] = target
    return result
