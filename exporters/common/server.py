"""The HTTP side of an exporter: /metrics, /health/live, /health/ready and exporter routes.

Built on the standard library's ThreadingHTTPServer: one thread per connection is enough for a
handful of Prometheus scrapers and pushing clients, and it keeps the exporters free of a web
framework. HTTP/1.1 keep-alive is on, so a client pushing many batches reuses its connection.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from exporters.common.exposition import CONTENT_TYPE
from exporters.common.registry import Registry

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]
Readiness = Callable[[], tuple[bool, str]]


def json_response(status: int, payload: Any) -> Response:
    return Response(status, json.dumps(payload).encode() + b"\n", "application/json")


def always_ready() -> tuple[bool, str]:
    return True, "ready"


@dataclass
class App:
    """What one exporter serves: its registry, its readiness and its extra routes."""

    registry: Registry
    ready: Readiness = always_ready
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)

    def handle(self, request: Request) -> Response:
        route = (request.method, request.path)
        if route == ("GET", "/metrics"):
            return Response(200, self.registry.render().encode(), CONTENT_TYPE)
        if route == ("GET", "/health/live"):
            return Response(200, b"live\n")
        if route == ("GET", "/health/ready"):
            ok, reason = self.ready()
            return Response(200 if ok else 503, reason.encode() + b"\n")
        handler = self.routes.get(route)
        if handler is not None:
            return handler(request)
        if any(path == request.path for _, path in self.routes) or request.path in (
            "/metrics",
            "/health/live",
            "/health/ready",
        ):
            return json_response(405, {"error": f"method {request.method} not allowed on {request.path}"})
        return json_response(404, {"error": f"no such path {request.path}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the body then waits for
    # the client's delayed ACK (40 ms on Linux) on every keep-alive request. socketserver's
    # StreamRequestHandler sets TCP_NODELAY when this is true.
    disable_nagle_algorithm = True
    # Socket timeout (StreamRequestHandler): a client that stalls mid-request, or keeps an idle
    # keep-alive connection, releases its thread after this long.
    timeout = 30.0
    server: _Server

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(json_response(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"}))
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        try:
            response = self.server.app.handle(request)
        except Exception:
            log.exception("handler failed for %s %s", self.command, split.path)
            response = json_response(500, {"error": "internal error, see the exporter's log"})
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


class ExporterServer:
    """A running server on a background thread; ``port`` is the bound port (0 picks a free one)."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), app)
        self.host = host
        self.port = int(self._server.server_address[1])
        # A short poll interval makes stop() prompt (serve_forever checks for shutdown between polls).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="exporter-http", daemon=True
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> ExporterServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ExporterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
