"""An in-process Mimir/Cortex ruler speaking its configuration API over real HTTP.

Mimir cannot be installed here (no Docker; not in Debian or PyPI), so this follows its reference,
https://grafana.com/docs/mimir/latest/references/http-api/#ruler, and its handlers
(grafana/mimir pkg/ruler/api.go) for the replies the page leaves out:
- GET <prefix> and GET <prefix>/{namespace}: YAML `namespace: [groups]`, 404 "no rule groups
  found" when there are none;
- POST <prefix>/{namespace}: one group as YAML (Content-Type application/yaml, which the page
  asks for), validated like Prometheus' rulefmt, 202 {"status": "success", ...}; 400 with the
  validation errors;
- DELETE <prefix>/{namespace}/{groupName}: 202, or 404 "group does not exist";
- with multi-tenancy on, a request without X-Scope-OrgID gets 401 "no org id".
Stored groups come back as rulefmt prints them: zero values left out, durations canonical
(`300s` -> `5m`), rule keys in rulefmt's order. Mimir's prefix is /prometheus/config/v1/rules,
Cortex's /api/v1/rules.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

import yaml

from tests.deploy.serving import FakeServer, serving

ACCEPTED = {"status": "success", "data": None, "errorType": "", "error": ""}
_UNITS_MS = {
    "y": 31_536_000_000,
    "w": 604_800_000,
    "d": 86_400_000,
    "h": 3_600_000,
    "m": 60_000,
    "s": 1000,
    "ms": 1,
}
_DURATION = re.compile(r"^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$")
_GROUP_KEYS = ("name", "interval", "query_offset", "limit", "rules", "source_tenants", "evaluation_delay")
_RULE_KEYS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")
_DURATION_KEYS = {"interval", "query_offset", "evaluation_delay", "for", "keep_firing_for"}


def go_duration(text: str) -> str:
    """prometheus/common model.Duration: parse, then print with the largest units (y, w, d, ...)."""
    match = _DURATION.match(str(text))
    if not match or not str(text):
        raise ValueError(f'not a valid duration string: "{text}"')
    total = sum(int(match.group(i * 2 + 2) or 0) * size for i, size in enumerate(_UNITS_MS.values()))
    out = ""
    for unit, size in _UNITS_MS.items():
        count, total = divmod(total, size)
        out += f"{count}{unit}" if count else ""
    return out or "0s"


def _stored(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """As Go's yaml marshals the struct: known fields only, in field order, zero values omitted."""
    out: dict[str, Any] = {}
    for key in order:
        value = mapping.get(key)
        if key in _DURATION_KEYS and value not in (None, ""):
            value = go_duration(value)
            if value == "0s":
                continue
        if key in ("labels", "annotations") and isinstance(value, dict):
            value = {str(k): str(v) for k, v in sorted(value.items())}
        if key == "rules":
            value = [_stored(rule, _RULE_KEYS) for rule in value or []]
        if value not in (None, "", 0, {}, []) or key == "rules":
            out[key] = value
    return out


def validate(group: Any) -> list[str]:
    """The checks of Prometheus' rulefmt that a group posted to the ruler goes through."""
    if not isinstance(group, dict):
        return ["unable to decoded rule group"]
    errors = [] if group.get("name") else ["Groupname must not be empty"]
    for index, rule in enumerate(group.get("rules") or []):
        if not isinstance(rule, dict) or bool(rule.get("record")) == bool(rule.get("alert")):
            errors.append(
                f"group {group.get('name')!r}, rule {index}: one of 'record' or 'alert' must be set"
            )
            continue
        if not str(rule.get("expr") or "").strip():
            errors.append(f"group {group.get('name')!r}, rule {index}: field 'expr' must be set in rule")
        if rule.get("record") and (rule.get("for") or rule.get("annotations")):
            errors.append(f"group {group.get('name')!r}, rule {index}: invalid field 'for' in recording rule")
        for key in _DURATION_KEYS & rule.keys():
            try:
                go_duration(rule[key])
            except ValueError as error:
                errors.append(str(error))
    return errors


@dataclass
class FakeRuler:
    prefix: str = "/prometheus/config/v1/rules"
    multitenant: bool = True
    url: str = ""
    # tenant -> namespace -> groups, as the ruler stores them
    tenants: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    failures: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self, method: str, path: str, status: int, body: bytes = b'{"status":"error","error":"boom"}'
    ) -> None:
        """The next `method path` gets this reply instead (one time)."""
        self.failures[(method, path)] = (status, body)

    def namespaces(self, tenant: str = "anonymous") -> dict[str, list[dict[str, Any]]]:
        return self.tenants.setdefault(tenant, {})

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        with self.lock:
            self.requests.append((method, path, headers))
            if (method, path) in self.failures:
                status, reply = self.failures.pop((method, path))
                return status, "application/json", reply
            tenant = headers.get("x-scope-orgid") if self.multitenant else "anonymous"
            if not tenant:
                return 401, "text/plain", b"no org id\n"
            if not path.startswith(self.prefix):
                return 404, "text/plain", b"404 page not found\n"
            parts = [urllib.parse.unquote(p) for p in path.removeprefix(self.prefix).split("/") if p]
            return self.route(method, parts, headers, body, self.namespaces(tenant))

    def route(
        self,
        method: str,
        parts: list[str],
        headers: dict[str, str],
        body: bytes,
        spaces: dict[str, list[Any]],
    ) -> tuple[int, str, bytes]:
        if method == "GET" and len(parts) <= 1:
            chosen = {ns: groups for ns, groups in sorted(spaces.items()) if groups and parts in ([], [ns])}
            if not chosen:
                return 404, "text/plain", b"no rule groups found\n"
            return 200, "application/yaml", yaml.safe_dump(chosen, sort_keys=False).encode()
        if method == "POST" and len(parts) == 1:
            if headers.get("content-type", "").split(";")[0].strip() != "application/yaml":
                return 400, "text/plain", b"unsupported content type, expected application/yaml\n"
            try:
                group = yaml.safe_load(body)
            except yaml.YAMLError:
                group = None
            errors = validate(group)
            if errors:
                return 400, "text/plain", (", ".join(errors) + "\n").encode()
            kept = [g for g in spaces.get(parts[0], []) if g["name"] != group["name"]]
            spaces[parts[0]] = sorted([*kept, _stored(group, _GROUP_KEYS)], key=lambda g: str(g["name"]))
            return 202, "application/json", json.dumps(ACCEPTED).encode()
        if method == "DELETE" and len(parts) == 2:
            groups = spaces.get(parts[0], [])
            if not any(g["name"] == parts[1] for g in groups):
                return 404, "text/plain", b"group does not exist\n"
            spaces[parts[0]] = [g for g in groups if g["name"] != parts[1]]
            return 202, "application/json", json.dumps(ACCEPTED).encode()
        return 405, "text/plain", b"method not allowed\n"


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        fake = cast(FakeServer, self.server).fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-insensitive
        status, kind, reply = fake.answer(self.command, path, headers, body)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@contextmanager
def running_ruler(fake: FakeRuler | None = None) -> Iterator[FakeRuler]:
    """Serve `fake` on a free 127.0.0.1 port for the duration of the block; `fake.url` is set."""
    with serving(fake or FakeRuler(), _Handler) as served:
        yield served
