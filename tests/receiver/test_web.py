"""The web page at `/`, rendered by a real headless Chromium against a real receiver: active
incidents with ack buttons, history, and values shown as text, never as markup."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from receiver.app import Running, Settings
from receiver.config import Config
from tests.receiver.conftest import alert, body


class Cells(html.parser.HTMLParser):
    """The text of every table row, by table id, and the buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.table = ""
        self.buttons: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.table = dict(attrs).get("id") or ""
        elif tag == "tr" and any(name == "data-id" for name, _ in attrs):  # an incident's row
            self.rows.setdefault(self.table, []).append([])
        elif tag in ("td", "button"):
            self._in = tag
            if tag == "td" and self.table in self.rows:
                self.rows[self.table][-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "button"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "button":
            self.buttons.append(data)
        elif self._in == "td" and self.table in self.rows:
            self.rows[self.table][-1][-1] += data


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    settings = Settings("127.0.0.1", 0, f"sqlite:///{tmp_path / 'r.db'}", Config(), token=None)
    server = Running(settings).start()
    yield server
    server.stop()


def _render(url: str, tmp_path: Path) -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian package chromium)")
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # tests run as root in CI containers
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--enable-logging=stderr",
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def test_the_page_lists_incidents_with_ack_buttons_and_escapes_values(
    running: Running, tmp_path: Path
) -> None:
    receiver = running.receiver
    receiver.ingest(body(alert("f1", service="<script>alert(1)</script>")))
    receiver.ingest(body(alert("f2", alertname="DiskFull", severity="warning"), group_key="2"))
    receiver.ingest(body(alert("f3", alertname="Gone", status="resolved"), group_key="3"))
    receiver.ack(2, "ann", "mine", None)
    dom, log = _render(f"http://127.0.0.1:{running.port}/", tmp_path)
    assert "Uncaught" not in log, log[-2000:]
    cells = Cells()
    cells.feed(dom)
    active = {row[1]: row for row in cells.rows["active"]}
    assert set(active) == {"HighLatency", "DiskFull"}
    assert active["HighLatency"][4] == "<script>alert(1)</script>"  # shown as text
    assert active["DiskFull"][8] == "ann"
    assert sorted(cells.buttons) == ["Ack", "Unack"]
    history = {row[1]: row[4] for row in cells.rows["history"]}
    assert history == {"HighLatency": "firing", "DiskFull": "firing", "Gone": "resolved"}
    assert '<span id="active-total">2</span>' in dom and '<span id="history-total">3</span>' in dom
