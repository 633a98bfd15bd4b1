"""Prometheus and Alertmanager: what a reload would change, the reload, and its verdict.

Both read their files from disk (generated/ mounted into the containers, or `gen dev`'s copies),
so applying is `POST /-/reload`. What would change comes from the servers' own view:
- the config each one runs (Prometheus `GET /api/v1/status/config`, Alertmanager
  `GET /api/v2/status`), compared with ours on the keys we write: the servers render their
  config with every default filled in and relative paths made absolute, so a plain diff would be
  all noise;
- the rule groups Prometheus evaluates (`GET /api/v1/rules`), compared rule by rule, with each
  expression printed by the same PromQL printer on both sides.
A reload that fails leaves the old config running (both servers keep it); it is reported with the
server's message and makes the deploy fail. After a reload, the plan is computed again: a server
that still differs does not read the files we think it does, which is an error too.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import promql_parser
import yaml

from generator.deploy.changes import Action, Change, DeployError, unified_diff
from generator.deploy.http import Reply, request, short
from generator.durations import DurationError, parse_duration

SECRET = "<secret>"


def _ok(reply: Reply, method: str, url: str) -> Reply:
    if not 200 <= reply.status < 300:
        raise DeployError(f"{method} {url}: HTTP {reply.status}: {short(reply)}")
    return reply


def _get_json(url: str) -> Any:
    return orjson.loads(_ok(request("GET", url), "GET", url).body)


def _same_path(ours: str, theirs: str) -> bool:
    """Servers make relative file paths absolute against their config file's folder."""
    return not ours.startswith("/") and "/" in theirs and theirs.endswith("/" + ours)


def project(ours: Any, theirs: Any) -> Any:
    """`theirs` cut down to the keys `ours` has, so defaults the server filled in do not count.
    Where the two agree up to a server-made absolute path or a hidden secret, ours is kept."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return {key: project(value, theirs.get(key)) for key, value in ours.items() if key in theirs}
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [project(mine, other) for mine, other in zip(ours, theirs, strict=True)]
    if isinstance(ours, str) and isinstance(theirs, str) and (theirs == SECRET or _same_path(ours, theirs)):
        return ours
    if isinstance(ours, str) and isinstance(theirs, str) and _durations_equal(ours, theirs):
        return ours
    return theirs


def _durations_equal(ours: str, theirs: str) -> bool:
    """`60s` and `1m` are one duration; servers print their own canonical form."""
    try:
        return parse_duration(ours).seconds == parse_duration(theirs).seconds
    except DurationError:
        return False


def _dump(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=True, allow_unicode=True, default_flow_style=False)


def config_change(target: str, file_name: str, ours_text: str, running_text: str) -> Change:
    ours = yaml.safe_load(ours_text) or {}
    running = yaml.safe_load(running_text) or {}
    wanted, current = _dump(ours), _dump(project(ours, running))
    if wanted == current:
        return Change(target, "config", Action.UNCHANGED)
    return Change(target, "config", Action.UPDATE, unified_diff(current, wanted, file_name))


# --- Prometheus rule groups --------------------------------------------------------------------


def _sorted_matchers(text: str) -> str:
    """Matchers in `{...}` sorted: Prometheus prints them by label name, we in the order written.
    Braces appear in PromQL only around matchers, and in quoted values, which are skipped."""
    out: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in "\"'`":
            end = _string_end(text, position)
            out.append(text[position:end])
            position = end
        elif char == "{":
            items, current, position = [], position + 1, position + 1
            while text[position] != "}":
                if text[position] in "\"'`":
                    position = _string_end(text, position)
                elif text[position] == ",":
                    items.append(text[current:position].strip())
                    current = position = position + 1
                else:
                    position += 1
            items.append(text[current:position].strip())
            kept = sorted(item for item in items if item)
            # promql-parser prints a bare name as `name{}`; Prometheus and users write `name`.
            out.append("{" + ",".join(kept) + "}" if kept else "")
            position += 1
        else:
            out.append(char)
            position += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    quote, position = text[start], start + 1
    while text[position] != quote:
        position += 2 if text[position] == "\\" and quote != "`" else 1
    return position + 1


def _expression(text: str) -> str:
    try:
        printed = str(promql_parser.parse(text))
    except ValueError:
        return text.strip()
    try:
        return _sorted_matchers(printed)
    except IndexError:
        # promql-parser prints a quote inside a value unescaped; such an expression is compared
        # as printed (a matcher order difference then shows as a change, never hides one).
        return printed


def _seconds(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    return float(parse_duration(str(value)).seconds) if value else 0.0


def _normal_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """One rule as both sides can say it: our file's keys, or the API's."""
    alert = rule.get("alert")
    if rule.get("type") == "alerting":
        alert = rule.get("name")
    normal: dict[str, Any] = {"alert": alert} if alert else {"record": rule.get("record") or rule.get("name")}
    normal["expr"] = _expression(str(rule.get("expr", rule.get("query", ""))))
    normal["for"] = _seconds(rule.get("for", rule.get("duration", 0)))
    if alert is None:
        normal.pop("for")
    normal["labels"] = dict(sorted((rule.get("labels") or {}).items()))
    if alert:
        normal["annotations"] = dict(sorted((rule.get("annotations") or {}).items()))
    return normal


def _normal_group(group: dict[str, Any]) -> dict[str, Any]:
    return {"rules": [_normal_rule(rule) for rule in group.get("rules") or []]}


def _rule_files(config_path: Path) -> list[Path]:
    config = yaml.safe_load(config_path.read_text()) or {}
    files: list[Path] = []
    for pattern in config.get("rule_files") or []:
        full = pattern if Path(pattern).is_absolute() else str(config_path.parent / pattern)
        files.extend(Path(found) for found in sorted(glob.glob(full)))
    return files


def _file_key(path: str, roots: list[str]) -> str:
    """A rule file by the part of its path both sides share: `rules/payments/checkout.yml`."""
    for root in roots:
        if path.startswith(root + "/"):
            return path[len(root) + 1 :]
    parts = path.split("/")
    return "/".join(parts[-3:])


def rule_changes(config_path: Path, rules_api: Any) -> list[Change]:
    """Group by group: what Prometheus evaluates now against the rule files the config names."""
    root = str(config_path.parent.resolve())
    ours: dict[tuple[str, str], dict[str, Any]] = {}
    for path in _rule_files(config_path):
        for group in (yaml.safe_load(path.read_text()) or {}).get("groups") or []:
            ours[(_file_key(str(path.resolve()), [root]), group["name"])] = _normal_group(group)
    running: dict[tuple[str, str], dict[str, Any]] = {}
    for group in rules_api["data"]["groups"]:
        running[(_file_key(group["file"], [root]), group["name"])] = _normal_group(group)
    changes = []
    for key in sorted(ours.keys() | running.keys()):
        item = f"rule group {key[0]}:{key[1]}"
        if key not in running:
            diff = unified_diff("", _dump(ours[key]), key[0])
            changes.append(Change("prometheus", item, Action.CREATE, diff))
        elif key not in ours:
            changes.append(Change("prometheus", item, Action.DELETE))
        elif ours[key] != running[key]:
            diff = unified_diff(_dump(running[key]), _dump(ours[key]), key[0])
            changes.append(Change("prometheus", item, Action.UPDATE, diff))
        else:
            changes.append(Change("prometheus", item, Action.UNCHANGED))
    return changes


# --- plans and reloads -------------------------------------------------------------------------


def plan_prometheus(url: str, config_path: Path) -> list[Change]:
    running = _get_json(f"{url}/api/v1/status/config")["data"]["yaml"]
    changes = [config_change("prometheus", config_path.name, config_path.read_text(), running)]
    return changes + rule_changes(config_path, _get_json(f"{url}/api/v1/rules"))


def plan_alertmanager(url: str, config_path: Path) -> list[Change]:
    running = _get_json(f"{url}/api/v2/status")["config"]["original"]
    return [config_change(f"alertmanager {url}", config_path.name, config_path.read_text(), running)]


def _promtool_says(config_path: Path) -> str:
    """Prometheus answers a refused reload with "one or more errors occurred" and logs the rest;
    promtool, when installed here, names the file and the line."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return " (the server's log has the details)"
    result = subprocess.run(
        [promtool, "check", "config", str(config_path)], capture_output=True, text=True, check=False
    )
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
    found = [line for line in lines if line and not line.startswith(("Checking", "SUCCESS", "  SUCCESS"))]
    return "; promtool check config: " + " | ".join(found) if result.returncode and found else ""


def _refused(server: str, url: str, reply: Reply, details: str = "") -> DeployError:
    return DeployError(
        f"{server} at {url} refused the new config and keeps running the old one: {short(reply)}{details}"
    )


def reload_prometheus(url: str, config_path: Path) -> None:
    """POST /-/reload, then confirm from the runtime info that the new config is the one running."""
    reply = request("POST", f"{url}/-/reload")
    if reply.status != 200:
        raise _refused("Prometheus", url, reply, _promtool_says(config_path))
    info = _get_json(f"{url}/api/v1/status/runtimeinfo")["data"]
    if not info.get("reloadConfigSuccess"):
        raise DeployError(f"Prometheus at {url} reports its last reload failed; it keeps the old config")


def reload_alertmanager(url: str, config_path: Path) -> None:
    """POST /-/reload, then confirm from its metrics that the reload succeeded."""
    reply = request("POST", f"{url}/-/reload")
    if reply.status != 200:
        raise _refused("Alertmanager", url, reply)
    metrics = _ok(request("GET", f"{url}/metrics"), "GET", f"{url}/metrics").text()
    if "\nalertmanager_config_last_reload_successful 1" not in "\n" + metrics:
        raise DeployError(f"Alertmanager at {url} reports its last reload failed; it keeps the old config")
