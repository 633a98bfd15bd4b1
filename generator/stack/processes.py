"""Child processes of `gen dev`: started with their output in a log file, ready when an HTTP
endpoint answers, stopped with SIGTERM (then SIGKILL) in reverse order."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


class StackError(Exception):
    """A component could not start; the message names it and ends with its log."""


def find_binary(*names: str) -> str | None:
    """The first of `names` on PATH (Debian and upstream name some binaries differently)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Process:
    name: str
    command: list[str]
    ready_url: str
    log: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.ready_url):
            if not self.running() or time.monotonic() > deadline:
                self.stop()
                raise StackError(f"{self.name} did not become ready at {self.ready_url}:\n{self.tail()}")
            time.sleep(0.05)

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def tail(self, lines: int = 20) -> str:
        if not self.log.is_file():
            return "(no output)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
