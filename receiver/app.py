"""Wiring: settings in, a running receiver out. The one place that picks real implementations
(system clock, urllib client, the database named by the URL)."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from receiver.api import App, Server
from receiver.clock import Clock, SystemClock
from receiver.config import Config
from receiver.db import Database
from receiver.httpclient import HttpClient, UrllibClient
from receiver.instruments import Instruments
from receiver.metrics import Registry
from receiver.scheduler import Scheduler
from receiver.schema import migrate
from receiver.service import Receiver

log = logging.getLogger("receiver")


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    database_url: str
    config: Config
    token: str | None


def read_token(path: Path) -> str:
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"{path}: the token file is empty")
    return token


def build(
    database_url: str, config: Config, clock: Clock | None = None, http: HttpClient | None = None
) -> Receiver:
    """A receiver on a migrated database, ready to serve."""
    database = Database(database_url)
    migrate(database)
    return Receiver(database, config, clock or SystemClock(), http or UrllibClient(), Instruments(Registry()))


class Running:
    """A receiver serving HTTP and running its background loop, until `stop()`."""

    def __init__(
        self, settings: Settings, clock: Clock | None = None, http: HttpClient | None = None
    ) -> None:
        self.receiver = build(settings.database_url, settings.config, clock, http)
        self.scheduler = Scheduler(self.receiver)
        self.server = Server((settings.host, settings.port), App(self.receiver, settings.token))
        self.port = int(self.server.server_address[1])
        # A short poll interval makes stop() quick (serve_forever checks for shutdown that often).
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="receiver-http", daemon=True
        )

    def start(self) -> Running:
        self.scheduler.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.scheduler.stop()
        self.receiver.close()


def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT."""
    running = Running(settings).start()
    log.info(
        "receiver listening on %s:%d, database %s",
        settings.host,
        running.port,
        settings.database_url.split("@")[-1],
    )
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    running.stop()
