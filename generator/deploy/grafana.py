"""Grafana dashboards through Grafana's HTTP API: the client, the plan, and applying it.

Endpoints and replies follow Grafana's HTTP API reference:
https://grafana.com/docs/grafana/latest/developers/http_api/dashboard/ (create/update, get by uid)
https://grafana.com/docs/grafana/latest/developers/http_api/folder/ (list, create).

Placement: `generated/grafana/dashboards/<folder>/` becomes the Grafana folder titled `<folder>`,
as the file provisioner with `foldersFromFilesStructure` does (it looks a folder up by title and
creates it when missing). A folder we create gets a stable uid, so re-runs find it again even if
someone retitles it.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import conventions as names
from generator.conventions import folder_uid
from generator.deploy.changes import Action, Change, DeployError, unified_diff
from generator.deploy.http import TIMEOUT_S, request, short

TARGET = "grafana"
# Grafana sets these on every save; they differ between installs and say nothing about content.
SERVER_KEYS = frozenset({"id", "version"})
FOLDERS_PAGE = 1000  # GET /api/folders returns at most `limit` folders a page (default 1000)
SAVE_MESSAGE = "gen deploy"  # shown in the dashboard's version history
_HINTS = {
    401: " (check the token or basic-auth file)",
    403: " (the account may save dashboards but lacks folders:create or dashboards:write)",
}


@dataclass(frozen=True)
class Folder:
    uid: str
    title: str


@dataclass(frozen=True)
class RunningDashboard:
    dashboard: dict[str, Any]
    folder_uid: str  # "" for the General folder
    folder_title: str


@dataclass(frozen=True)
class GeneratedDashboard:
    folder: str
    uid: str
    path: Path
    dashboard: dict[str, Any]

    @property
    def item(self) -> str:
        return f"dashboard {self.folder}/{self.uid}"


def _read_secret(path: Path, what: str) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise DeployError(f"{path}: cannot read the Grafana {what} ({error.strerror})") from None
    if not secret:
        raise DeployError(f"{path}: the Grafana {what} file is empty")
    return secret


def _authorization(token_file: Path | None, basic_auth_file: Path | None) -> str:
    if token_file is not None and basic_auth_file is not None:
        raise DeployError("Grafana: give a token file or a basic-auth file, not both")
    if token_file is not None:
        return "Bearer " + _read_secret(token_file, "token")
    if basic_auth_file is not None:
        pair = _read_secret(basic_auth_file, "basic-auth")
        if ":" not in pair:
            raise DeployError(f"{basic_auth_file}: expected one line `user:password`")
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return ""


class GrafanaClient:
    """Grafana's dashboard and folder API. Secrets are read from files and never printed."""

    def __init__(
        self,
        base_url: str,
        *,
        token_file: Path | None = None,
        basic_auth_file: Path | None = None,
        timeout: float = TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._authorization = _authorization(token_file, basic_auth_file)

    def __repr__(self) -> str:
        kind = self._authorization.split(" ", 1)[0].lower() if self._authorization else "none"
        return f"GrafanaClient({self.base_url!r}, auth={kind})"

    def _call(self, method: str, path: str, payload: Any = None, absent_ok: bool = False) -> Any:
        """The reply's JSON; None for a 404 when `absent_ok`; a DeployError for anything else."""
        url = self.base_url + path
        headers = {"Accept": "application/json"}
        if self._authorization:
            headers["Authorization"] = self._authorization
        body = None
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        reply = request(method, url, body, headers, self.timeout)
        if reply.status == 404 and absent_ok:
            return None
        if not 200 <= reply.status < 300:
            hint = _HINTS.get(reply.status, "")
            raise DeployError(f"{method} {url}: HTTP {reply.status}{hint}: {short(reply)}")
        try:
            return json.loads(reply.body)
        except ValueError:
            raise DeployError(f"{method} {url}: HTTP {reply.status} but not JSON: {short(reply)}") from None

    def get_dashboard(self, uid: str) -> RunningDashboard | None:
        """`GET /api/dashboards/uid/<uid>`; None when Grafana has no dashboard of that uid."""
        data = self._call("GET", f"/api/dashboards/uid/{urllib.parse.quote(uid, safe='')}", absent_ok=True)
        if data is None:
            return None
        meta = data.get("meta") or {}
        return RunningDashboard(
            dashboard=data["dashboard"],
            folder_uid=str(meta.get("folderUid") or ""),
            folder_title=str(meta.get("folderTitle") or "General"),
        )

    def folders(self) -> list[Folder]:
        """`GET /api/folders`, every page."""
        found: list[Folder] = []
        page = 1
        while True:
            batch = self._call("GET", f"/api/folders?limit={FOLDERS_PAGE}&page={page}")
            found.extend(Folder(str(f["uid"]), str(f["title"])) for f in batch)
            if len(batch) < FOLDERS_PAGE:
                return found
            page += 1

    def create_folder(self, uid: str, title: str) -> Folder:
        """`POST /api/folders` with {"uid", "title"}."""
        data = self._call("POST", "/api/folders", {"uid": uid, "title": title})
        return Folder(str(data["uid"]), str(data["title"]))

    def save_dashboard(self, dashboard: dict[str, Any], folder_uid: str) -> dict[str, Any]:
        """`POST /api/dashboards/db`, overwriting whatever has the same uid; the reply has
        id, uid, url, version."""
        payload = {
            "dashboard": {**dashboard, "id": None},  # id is per install; the uid identifies it
            "folderUid": folder_uid,
            "overwrite": True,
            "message": SAVE_MESSAGE,
        }
        reply: dict[str, Any] = self._call("POST", "/api/dashboards/db", payload)
        return reply


def load_dashboards(generated_dir: Path) -> list[GeneratedDashboard]:
    """The generated dashboards in (folder, uid) order; one folder level, as the generator writes."""
    root = generated_dir / names.GRAFANA_DASHBOARDS_DIR
    if not root.is_dir():
        raise DeployError(f"{root}: no such folder; run `gen build` first")
    boards: dict[str, GeneratedDashboard] = {}
    for path in sorted(root.glob("*/*.json")):
        board = _load_one(path)
        if board.uid in boards:
            # Grafana's uids are unique per organisation: the second save would replace the first.
            raise DeployError(f"{path}: uid {board.uid!r} is also the uid of {boards[board.uid].path}")
        boards[board.uid] = board
    return sorted(boards.values(), key=lambda b: (b.folder, b.uid))


def _load_one(path: Path) -> GeneratedDashboard:
    try:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DeployError(f"{path}:{error.lineno}:{error.colno}: not JSON ({error.msg})") from None
    if not isinstance(dashboard, dict):
        raise DeployError(f"{path}: a dashboard is a JSON object")
    uid, title = dashboard.get("uid"), dashboard.get("title")
    if not isinstance(uid, str) or not uid or not isinstance(title, str) or not title:
        raise DeployError(f"{path}: a dashboard needs a string `uid` and `title`")
    return GeneratedDashboard(path.parent.name, uid, path, dashboard)


def _place(existing: list[Folder], wanted: set[str]) -> dict[str, Folder | None]:
    """Each folder name's Grafana folder, None when it does not exist yet. By title first, as the
    file provisioner looks folders up; by our uid next, for a folder retitled since we made it."""
    by_uid = {f.uid: f for f in existing}
    by_title: dict[str, Folder] = {}
    for folder in existing:
        by_title.setdefault(folder.title, folder)
    return {name: by_title.get(name) or by_uid.get(folder_uid(name)) for name in sorted(wanted)}


def _plain_numbers(value: Any) -> Any:
    """1.0 and 1 are one number to Grafana; a server that re-encodes JSON may print either."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


def _render(dashboard: dict[str, Any], folder: str) -> str:
    content = {k: v for k, v in dashboard.items() if k not in SERVER_KEYS}
    text = json.dumps(_plain_numbers(content), sort_keys=True, indent=2, ensure_ascii=False)
    return f"folder: {folder}\n{text}\n"


def _plan_one(board: GeneratedDashboard, running: RunningDashboard | None, folder: Folder | None) -> Change:
    if running is None:
        return Change(TARGET, board.item, Action.CREATE)
    here = folder is not None and running.folder_uid == folder.uid
    running_folder = board.folder if here else running.folder_title
    if running_folder == board.folder and not here:
        running_folder += f" (uid {running.folder_uid or 'general'})"  # same title, another folder
    before = _render(running.dashboard, running_folder)
    after = _render(board.dashboard, board.folder)
    if before == after:
        return Change(TARGET, board.item, Action.UNCHANGED)
    name = f"{names.GRAFANA_DASHBOARDS_DIR}/{board.folder}/{board.path.name}"
    return Change(TARGET, board.item, Action.UPDATE, unified_diff(before, after, name))


def plan_dashboards(generated_dir: Path, client: GrafanaClient) -> list[Change]:
    """A folder to create comes just before its dashboards; dashboards we did not generate are
    never touched."""
    boards = load_dashboards(generated_dir)
    placed = _place(client.folders(), {b.folder for b in boards})
    changes: list[Change] = []
    for name, folder in placed.items():
        if folder is None:
            changes.append(Change(TARGET, f"folder {name}", Action.CREATE))
        for board in (b for b in boards if b.folder == name):
            changes.append(_plan_one(board, client.get_dashboard(board.uid), folder))
    return changes


def apply_dashboards(generated_dir: Path, client: GrafanaClient, plan: list[Change]) -> list[Change]:
    """Create the plan's folders and save its created and updated dashboards, in plan order; the
    first refusal stops the run with a DeployError naming the dashboard file."""
    todo = [c for c in plan if c.target == TARGET and c.action in (Action.CREATE, Action.UPDATE)]
    if not todo:
        return []
    boards = {board.item: board for board in load_dashboards(generated_dir)}
    placed = _place(client.folders(), {board.folder for board in boards.values()})
    done: list[Change] = []
    for change in todo:
        if change.item.startswith("folder "):
            name = change.item.removeprefix("folder ")
            if placed.get(name) is None:  # someone may have made it since the plan
                placed[name] = _create_folder(client, name)
                done.append(change)
            continue
        board = boards.get(change.item)
        if board is None:
            raise DeployError(f"{change.item}: in the plan but no longer generated; plan again")
        folder = placed.get(board.folder) or _create_folder(client, board.folder)
        placed[board.folder] = folder
        try:
            client.save_dashboard(board.dashboard, folder.uid)
        except DeployError as error:
            raise DeployError(f"{board.path}: {error}") from None
        done.append(change)
    return done


def _create_folder(client: GrafanaClient, name: str) -> Folder:
    try:
        return client.create_folder(folder_uid(name), name)
    except DeployError as error:
        raise DeployError(f"folder {name}: {error}") from None
