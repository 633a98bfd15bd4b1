"""Rule groups to a Mimir or Cortex ruler through its configuration API: client, plan, apply.

API: https://grafana.com/docs/mimir/latest/references/http-api/#ruler (list rule groups, get a
namespace, set one group as YAML, delete a group; 404 "no rule groups found" for an empty
tenant or namespace). Cortex serves the same handlers under /api/v1/rules
(https://cortexmetrics.io/docs/api/#ruler).

Each team folder of generated/prometheus/rules/ is one namespace; we own those namespaces and
nothing else, so a group disappears from the ruler only when its team still has a folder.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator import conventions as names
from generator import yamlout
from generator.deploy.changes import Action, Change, DeployError, unified_diff
from generator.deploy.http import TIMEOUT_S, Reply, request, short
from generator.durations import DurationError, format_duration, parse_duration

TARGET = "ruler"
MIMIR_PREFIX = "/prometheus/config/v1/rules"  # <prometheus-http-prefix> defaults to /prometheus
CORTEX_PREFIX = "/api/v1/rules"
TENANT_HEADER = "X-Scope-OrgID"
# Fields Prometheus' rulefmt (which Mimir and Cortex store) reads as durations and prints back
# canonically, `300s` as `5m`.
_GROUP_DURATIONS = frozenset({"interval", "query_offset", "evaluation_delay"})
_RULE_DURATIONS = frozenset({"for", "keep_firing_for"})
# Diffs list keys in the order rule files are read (rulefmt's field order); unknown keys follow.
_FIRST = ("name", "record", "alert", "expr", "for", "keep_firing_for")
_LAST = ("labels", "annotations", "rules")
_RANK = {key: rank for rank, key in enumerate((*_FIRST, "", *_LAST))}


class RulerClient:
    """The ruler's configuration API under `prefix` (the path before `/{namespace}`)."""

    def __init__(
        self,
        base_url: str,
        *,
        prefix: str = MIMIR_PREFIX,
        tenant: str | None = None,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.prefix = "/" + prefix.strip("/")
        self.tenant = tenant
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"RulerClient({self.base_url!r}, prefix={self.prefix!r}, tenant={self.tenant!r})"

    def _url(self, *parts: str) -> str:
        return self.base_url + self.prefix + "".join("/" + urllib.parse.quote(p, safe="") for p in parts)

    def _call(self, method: str, url: str, body: bytes | None = None) -> Reply | None:
        """The reply; None for a 404 to a GET (nothing stored there); a DeployError otherwise."""
        headers = {"Accept": "application/yaml"}
        if self.tenant:
            headers[TENANT_HEADER] = self.tenant
        if body is not None:
            headers["Content-Type"] = "application/yaml"
        reply = request(method, url, body, headers, self.timeout)
        if reply.status == 404 and method == "GET":
            return None
        if not 200 <= reply.status < 300:
            raise DeployError(f"{method} {url}: HTTP {reply.status}: {short(reply)}")
        return reply

    def _namespaces(self, url: str) -> dict[str, list[dict[str, Any]]]:
        reply = self._call("GET", url)
        if reply is None:
            return {}
        try:
            data = yaml.safe_load(reply.body)
        except yaml.YAMLError:
            data = None
        if not isinstance(data, dict) or not all(
            isinstance(groups, list | None) and all(isinstance(g, dict) for g in groups or [])
            for groups in data.values()
        ):
            raise DeployError(f"GET {url}: expected YAML `namespace: [groups]`, got: {short(reply)}")
        return {str(ns): list(groups or []) for ns, groups in data.items()}

    def list_groups(self) -> dict[str, list[dict[str, Any]]]:
        """`GET <prefix>`: every namespace of the tenant with its groups."""
        return self._namespaces(self._url())

    def namespace_groups(self, namespace: str) -> list[dict[str, Any]]:
        """`GET <prefix>/{namespace}`: the namespace's groups, [] when it has none."""
        return self._namespaces(self._url(namespace)).get(namespace, [])

    def set_group(self, namespace: str, group: dict[str, Any]) -> None:
        """`POST <prefix>/{namespace}` with one group as YAML: creates or replaces it by name."""
        self._call("POST", self._url(namespace), yamlout.dump(group).encode())

    def delete_group(self, namespace: str, name: str) -> None:
        """`DELETE <prefix>/{namespace}/{groupName}`."""
        self._call("DELETE", self._url(namespace, name))


@dataclass(frozen=True)
class GeneratedGroup:
    namespace: str
    name: str
    path: Path
    group: dict[str, Any]


def _item(namespace: str, name: str) -> str:
    return f"group {namespace}/{name}"


def load_groups(generated_dir: Path) -> tuple[list[str], list[GeneratedGroup]]:
    """The namespaces we own (every team folder, even an empty one) and their groups."""
    root = generated_dir / names.RULES_DIR
    if not root.is_dir():
        raise DeployError(f"{root}: no such folder; run `gen build` first")
    namespaces = sorted(p.name for p in root.iterdir() if p.is_dir())
    found: dict[tuple[str, str], GeneratedGroup] = {}
    for namespace in namespaces:
        for path in sorted((root / namespace).glob("*.yml")):
            for group in _read_groups(path):
                key = (namespace, str(group["name"]))
                if key in found:
                    # One namespace holds a group name once: the ruler would keep only the last.
                    raise DeployError(f"{path}: group {key[1]!r} is also defined in {found[key].path}")
                found[key] = GeneratedGroup(namespace, key[1], path, group)
    return namespaces, [found[key] for key in sorted(found)]


def _read_groups(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise DeployError(f"{path}{where}: not YAML ({getattr(error, 'problem', error)})") from None
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list | None) or not all(
        isinstance(g, dict) and isinstance(g.get("name"), str) and g["name"] for g in groups or []
    ):
        raise DeployError(f"{path}: expected a Prometheus rule file, `groups:` a list of named groups")
    return list(groups or [])


def _ordered(mapping: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(mapping.items(), key=lambda kv: (_RANK.get(kv[0], _RANK[""]), kv[0])))


def _empty(value: Any) -> bool:
    # The ruler's YAML omits zero values (Go `omitempty`): no `limit: 0`, no `labels: {}`.
    return value is None or value == "" or value == 0 or value == {} or value == []


def _duration(value: Any) -> Any:
    try:
        return format_duration(parse_duration(str(value)).milliseconds)
    except DurationError:
        return value  # not ours to judge: the ruler refuses it with its own message


def _normalise_rule(rule: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rule.items():
        if key in _RULE_DURATIONS:
            value = _duration(value)
            if value == "0s":
                continue
        elif key == "expr":
            value = str(value).strip()  # PromQL ignores the trailing newline of a `|` block
        elif key in ("labels", "annotations") and isinstance(value, dict):
            value = {str(k): str(v) for k, v in sorted(value.items())}  # map[string]string
        if not _empty(value):
            out[str(key)] = value
    return _ordered(out)


def normalise_group(group: dict[str, Any]) -> dict[str, Any]:
    """A group as the ruler stores it: zero values dropped, durations canonical, keys in one
    order; rule order kept, as it is the evaluation order."""
    out: dict[str, Any] = {}
    for key, value in group.items():
        if key == "rules":
            out[key] = [_normalise_rule(rule) for rule in value or []]
            continue
        if key in _GROUP_DURATIONS:
            value = _duration(value)
        if not _empty(value) and not (key in _GROUP_DURATIONS and value == "0s"):
            out[str(key)] = value
    return _ordered(out)


def _text(group: dict[str, Any]) -> str:
    return yamlout.dump(normalise_group(group))


def plan_rules(generated_dir: Path, client: RulerClient) -> list[Change]:
    """One change per group in (namespace, group) order; groups of namespaces we do not own are
    never read, let alone deleted."""
    namespaces, groups = load_groups(generated_dir)
    wanted = {(g.namespace, g.name): g for g in groups}
    running = {
        (namespace, str(group.get("name"))): group
        for namespace in namespaces
        for group in client.namespace_groups(namespace)
    }
    changes: list[Change] = []
    for key in sorted(wanted.keys() | running.keys()):
        item, name = _item(*key), f"{key[0]}/{key[1]}"
        if key not in running:
            changes.append(Change(TARGET, item, Action.CREATE))
        elif key not in wanted:
            changes.append(Change(TARGET, item, Action.DELETE, unified_diff(_text(running[key]), "", name)))
        else:
            before, after = _text(running[key]), _text(wanted[key].group)
            action = Action.UNCHANGED if before == after else Action.UPDATE
            diff = unified_diff(before, after, name) if action is Action.UPDATE else ""
            changes.append(Change(TARGET, item, action, diff))
    return changes


def apply_rules(generated_dir: Path, client: RulerClient, plan: list[Change]) -> list[Change]:
    """Creates and updates first, deletions last: a group renamed in the definitions is never
    absent from the ruler in between (a gap in a recording rule breaks every alert built on it).
    The first refusal stops the run with a DeployError naming the rule file."""
    todo = [c for c in plan if c.target == TARGET and c.changes_anything]
    upserts = [c for c in todo if c.action is not Action.DELETE]
    deletes = [c for c in todo if c.action is Action.DELETE]
    groups = {_item(g.namespace, g.name): g for g in load_groups(generated_dir)[1]} if upserts else {}
    done: list[Change] = []
    for change in upserts:
        generated = groups.get(change.item)
        if generated is None:
            raise DeployError(f"{change.item}: in the plan but no longer generated; plan again")
        try:
            client.set_group(generated.namespace, generated.group)
        except DeployError as error:
            raise DeployError(f"{generated.path}: group {generated.name}: {error}") from None
        done.append(change)
    for change in deletes:
        namespace, _, name = change.item.removeprefix("group ").partition("/")
        try:
            client.delete_group(namespace, name)
        except DeployError as error:
            raise DeployError(f"{change.item}: {error}") from None
        done.append(change)
    return done
