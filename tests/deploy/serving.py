"""Serving a fake on a free 127.0.0.1 port for a block: the one serve loop of the fakes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, TypeVar


class Served(Protocol):
    url: str


Fake = TypeVar("Fake", bound=Served)


class FakeServer(ThreadingHTTPServer):
    fake: Any  # the handler's `self.server.fake`


@contextmanager
def serving(fake: Fake, handler: type[BaseHTTPRequestHandler]) -> Iterator[Fake]:
    """`fake.url` is set for the duration of the block; the server stops when it ends."""
    server = FakeServer(("127.0.0.1", 0), handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
