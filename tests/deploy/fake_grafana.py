"""An in-process Grafana speaking the part of its HTTP API that `gen deploy` uses, over real HTTP.

Grafana cannot be installed here (no Docker; not in Debian or PyPI), so this follows its API
reference instead, replies included:
- https://grafana.com/docs/grafana/latest/developers/http_api/dashboard/ : POST /api/dashboards/db
  (200 {id, uid, url, status, version, slug}; 412 version-mismatch / name-exists without
  overwrite; 400 for a missing title or folder), GET /api/dashboards/uid/:uid (200
  {dashboard, meta}; 404 {"message": "Dashboard not found"}).
- https://grafana.com/docs/grafana/latest/developers/http_api/folder/ : GET /api/folders (limit,
  page), POST /api/folders (uid at most 40 characters; 409 for a taken uid or title).
- https://grafana.com/docs/grafana/latest/developers/http_api/auth/ : a request without valid
  credentials gets 401 and Grafana's error body.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

from tests.deploy.serving import FakeServer, serving

UNAUTHORIZED = {
    "extra": None,
    "message": "Unauthorized",
    "messageId": "auth.unauthorized",
    "statusCode": 401,
    "traceID": "",
}
_UID = re.compile(r"^[a-zA-Z0-9_-]+$")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGrafana:
    token: str | None = None
    basic: tuple[str, str] | None = None
    url: str = ""
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> folder
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)  # uid -> {dashboard, folder_uid}
    requests: list[Recorded] = field(default_factory=list)
    failures: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 0

    def fail(
        self, method: str, path: str, status: int, body: bytes = b'{"message":"Internal Server Error"}'
    ) -> None:
        """The next `method path` gets this reply instead (one time)."""
        self.failures[(method, path)] = (status, body)

    def add_folder(self, uid: str, title: str) -> dict[str, Any]:
        self._ids += 1
        folder = {"id": self._ids, "uid": uid, "title": title, "url": f"/dashboards/f/{uid}/{_slug(title)}"}
        self.folders[uid] = folder
        return folder

    def folder_of(self, uid: str) -> str:
        """The title of the folder holding dashboard `uid`, "General" at the root."""
        folder_uid = self.dashboards[uid]["folder_uid"]
        return str(self.folders[folder_uid]["title"]) if folder_uid else "General"

    def authorized(self, header: str | None) -> bool:
        if self.token is None and self.basic is None:
            return True
        if self.token is not None and header == f"Bearer {self.token}":
            return True
        if self.basic is not None:
            expected = base64.b64encode(":".join(self.basic).encode()).decode()
            return header == f"Basic {expected}"
        return False

    # -- the endpoints --------------------------------------------------------------------------

    def get_dashboard(self, uid: str) -> tuple[int, Any]:
        stored = self.dashboards.get(uid)
        if stored is None:
            return 404, {"message": "Dashboard not found"}
        board, folder_uid = stored["dashboard"], stored["folder_uid"]
        folder = self.folders.get(folder_uid)
        meta = {
            "type": "db",
            "slug": _slug(board["title"]),
            "url": f"/d/{uid}/{_slug(board['title'])}",
            "version": board["version"],
            "provisioned": False,
            "folderId": folder["id"] if folder else 0,
            "folderUid": folder_uid,
            "folderTitle": folder["title"] if folder else "General",
            "folderUrl": folder["url"] if folder else "",
        }
        return 200, {"dashboard": board, "meta": meta}

    def list_folders(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        limit = int(query.get("limit", ["1000"])[0])
        page = int(query.get("page", ["1"])[0])
        every = sorted(self.folders.values(), key=lambda f: (str(f["title"]), int(f["id"])))
        chosen = every[(page - 1) * limit : page * limit]
        return 200, [{k: f[k] for k in ("id", "uid", "title")} for f in chosen]

    def create_folder(self, body: dict[str, Any]) -> tuple[int, Any]:
        uid, title = str(body.get("uid") or f"gen{self._ids + 1}"), str(body.get("title") or "")
        if not title:
            return 400, {"message": "folder title cannot be empty"}
        if len(uid) > 40:
            return 400, {"message": "uid too long, max 40 characters"}
        if not _UID.match(uid):
            return 400, {"message": "uid contains illegal characters"}
        if uid in self.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        if any(f["title"] == title for f in self.folders.values()):
            return 409, {
                "message": "a folder or dashboard in the general folder with the same name already exists"
            }
        return 200, {**self.add_folder(uid, title), "version": 1}

    def save_dashboard(self, body: dict[str, Any]) -> tuple[int, Any]:
        board = body.get("dashboard")
        if not isinstance(board, dict):
            return 400, {"message": "bad request data"}
        if not board.get("title"):
            return 400, {"message": "Dashboard title cannot be empty", "status": "empty-name"}
        folder_uid = str(body.get("folderUid") or "")
        if folder_uid and folder_uid not in self.folders:
            return 400, {"message": "folder not found"}
        uid = str(board.get("uid") or f"auto{len(self.dashboards) + 1}")
        existing = self.dashboards.get(uid)
        overwrite = bool(body.get("overwrite"))
        if existing and not overwrite and board.get("version") != existing["dashboard"]["version"]:
            return 412, {
                "message": "The dashboard has been changed by someone else",
                "status": "version-mismatch",
            }
        same_title = [
            u
            for u, d in self.dashboards.items()
            if u != uid and d["folder_uid"] == folder_uid and d["dashboard"]["title"] == board["title"]
        ]
        if same_title and not overwrite:
            return 412, {
                "message": "A dashboard with the same name in the folder already exists",
                "status": "name-exists",
            }
        if existing:
            number, version = existing["dashboard"]["id"], existing["dashboard"]["version"] + 1
        else:
            self._ids += 1
            number, version = self._ids, 1
        stored = {**board, "id": number, "uid": uid, "version": version}
        self.dashboards[uid] = {"dashboard": stored, "folder_uid": folder_uid}
        slug = _slug(board["title"])
        reply = {"id": number, "uid": uid, "url": f"/d/{uid}/{slug}", "status": "success", "version": version}
        return 200, {**reply, "slug": slug, "folderUid": folder_uid}

    def answer(self, method: str, raw_path: str, headers: dict[str, str], body: Any) -> tuple[int, bytes]:
        with self.lock:
            parts = urllib.parse.urlsplit(raw_path)
            self.requests.append(Recorded(method, parts.path, headers, body))
            if (method, parts.path) in self.failures:
                return self.failures.pop((method, parts.path))
            if not self.authorized(headers.get("authorization")):
                return 401, json.dumps(UNAUTHORIZED).encode()
            status, reply = self.route(method, parts.path, urllib.parse.parse_qs(parts.query), body)
            return status, json.dumps(reply).encode()

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        if method == "GET" and path.startswith("/api/dashboards/uid/"):
            return self.get_dashboard(urllib.parse.unquote(path.removeprefix("/api/dashboards/uid/")))
        if (method, path) == ("GET", "/api/folders"):
            return self.list_folders(query)
        if (method, path) == ("POST", "/api/folders"):
            return self.create_folder(body if isinstance(body, dict) else {})
        if (method, path) == ("POST", "/api/dashboards/db"):
            return self.save_dashboard(body if isinstance(body, dict) else {})
        return 404, {"message": "Not found"}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        fake = cast(FakeServer, self.server).fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-insensitive
        status, reply = fake.answer(self.command, self.path, headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@contextmanager
def running_grafana(fake: FakeGrafana | None = None) -> Iterator[FakeGrafana]:
    """Serve `fake` on a free 127.0.0.1 port for the duration of the block; `fake.url` is set."""
    with serving(fake or FakeGrafana(), _Handler) as served:
        yield served
