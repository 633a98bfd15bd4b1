"""The HTTP interface: routing, the `{"success": ..., "data": ...}` envelope, auth, size limits.

Standard library `http.server` with one thread per connection: Alertmanager keeps connections
alive, the work per request is small, and the time goes into the database commit, which the
group-commit writer shares between threads. A framework would add dependencies and no speed.
Client mistakes get a 4xx with a message; only storage failures answer 5xx, so that
Alertmanager retries exactly the deliveries that were not stored."""

from __future__ import annotations

import hmac
import logging
import math
import re
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from receiver.db import StorageError
from receiver.openapi import openapi_document
from receiver.payload import PayloadError
from receiver.queries import MAX_LIMIT, IncidentFilter
from receiver.service import NotFound, Receiver, Refused, UpstreamError
from receiver.timeutil import parse_duration, parse_rfc3339
from receiver.web import PAGE

log = logging.getLogger("receiver")

MAX_API_BODY = 64 * 1024
# [0-9], not \d: \d also matches other scripts' digits.
_INCIDENT_ACTION = re.compile(r"^/api/alerts/([0-9]{1,18})/(ack|unack)$")
_INCIDENT = re.compile(r"^/api/alerts/([0-9]{1,18})$")


def _is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', which int() refuses."""
    return text.isascii() and text.isdigit()


class ClientError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


Reply = tuple[HTTPStatus, bytes, str]


def _json(status: HTTPStatus, payload: dict[str, Any]) -> Reply:
    return status, orjson.dumps(payload), "application/json"


def ok(data: Any) -> Reply:
    return _json(HTTPStatus.OK, {"success": True, "data": data})


def error(status: HTTPStatus, message: str) -> Reply:
    return _json(status, {"success": False, "error": message})


class Query:
    """Query-string parameters, each checked with a message naming it."""

    def __init__(self, query: str) -> None:
        self._values = {name: values[-1] for name, values in parse_qs(query, keep_blank_values=True).items()}

    def text(self, name: str) -> str | None:
        value = self._values.get(name) or None
        if value is not None and "\x00" in value:
            raise ClientError(HTTPStatus.BAD_REQUEST, f"{name}: must not contain NUL characters")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self._values.get(name)
        if raw is None:
            return default
        if not _is_number(raw) or not low <= int(raw) <= high:
            raise ClientError(
                HTTPStatus.BAD_REQUEST, f"{name}: expected an integer from {low} to {high}, got {raw!r}"
            )
        return int(raw)

    def time(self, name: str) -> float | None:
        raw = self._values.get(name)
        if not raw:
            return None
        try:
            number = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
        try:
            parsed = parse_rfc3339(raw)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ClientError(
                HTTPStatus.BAD_REQUEST, f"{name}: expected an RFC 3339 time or Unix seconds, got {raw!r}"
            )
        return parsed

    def page(self) -> tuple[int, int]:
        return self.integer("limit", 100, 1, MAX_LIMIT), self.integer("offset", 0, 0, 10**12)


def _filter(query: Query, status: str | None) -> IncidentFilter:
    limit, offset = query.page()
    status = status or query.text("status")
    if status not in (None, "firing", "resolved"):
        raise ClientError(HTTPStatus.BAD_REQUEST, f"status: expected 'firing' or 'resolved', got {status!r}")
    return IncidentFilter(
        team=query.text("team"),
        service=query.text("service"),
        severity=query.text("severity"),
        status=status,
        since=query.time("since"),
        until=query.time("until"),
        limit=limit,
        offset=offset,
    )


def _api_body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as problem:
        raise ClientError(HTTPStatus.BAD_REQUEST, f"body is not valid JSON: {problem}") from None
    if not isinstance(body, dict):
        raise ClientError(HTTPStatus.BAD_REQUEST, "body: expected a JSON object")
    return body


def _field(body: dict[str, Any], name: str, required: bool) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or "\x00" in value:
        raise ClientError(HTTPStatus.BAD_REQUEST, f"{name}: expected a non-empty string without NUL")
    return value


class App:
    """Routes a request to the receiver; knows nothing about sockets (tests call `handle`)."""

    def __init__(self, receiver: Receiver, token: str | None) -> None:
        self.receiver = receiver
        self.token = token
        self.max_body = receiver.config.max_body_bytes
        self._table: dict[str, dict[str, Callable[[str, Query, bytes], Reply]]] = {
            "/webhook": {"POST": self.webhook},
            "/api/alerts/active": {"GET": self.active},
            "/api/alerts/history": {"GET": self.history},
            "/api/notifications": {"GET": self.notifications},
            "/metrics": {"GET": self.metrics},
            "/health/live": {"GET": self.live},
            "/health/ready": {"GET": self.ready},
            "/": {"GET": self.page},
            "/openapi.json": {"GET": self.openapi},
        }

    def authorized(self, header: str | None) -> bool:
        if self.token is None:
            return True
        expected = f"Bearer {self.token}".encode()
        return header is not None and hmac.compare_digest(header.encode(), expected)

    def handle(self, method: str, target: str, body: bytes, authorization: str | None) -> tuple[str, Reply]:
        """(route name for metrics, reply)."""
        url = urlsplit(target)
        path, query = url.path, Query(url.query)
        route, run = self._route(method, path)
        if run is None:
            return route, error(
                HTTPStatus.NOT_FOUND if route == "unknown" else HTTPStatus.METHOD_NOT_ALLOWED,
                f"no route for {method} {path}",
            )
        if method == "POST" and not self.authorized(authorization):
            return route, error(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token")
        try:
            return route, run(path, query, body)
        except ClientError as problem:
            return route, error(problem.status, str(problem))
        except (PayloadError, Refused) as problem:
            return route, error(HTTPStatus.BAD_REQUEST, str(problem))
        except NotFound as problem:
            return route, error(HTTPStatus.NOT_FOUND, str(problem))
        except UpstreamError as problem:
            return route, error(HTTPStatus.BAD_GATEWAY, str(problem))
        except StorageError as problem:
            log.warning("storage failure: %s", problem)
            return route, error(HTTPStatus.SERVICE_UNAVAILABLE, f"storage unavailable, retry: {problem}")

    def _route(self, method: str, path: str) -> tuple[str, Callable[[str, Query, bytes], Reply] | None]:
        table = self._table
        if path in table:
            return path, table[path].get(method)
        if _INCIDENT_ACTION.match(path):
            return "/api/alerts/{id}/" + path.rsplit("/", 1)[1], self.action if method == "POST" else None
        if _INCIDENT.match(path):
            return "/api/alerts/{id}", self.incident if method == "GET" else None
        return "unknown", None

    def webhook(self, path: str, query: Query, body: bytes) -> Reply:
        stored = self.receiver.ingest(body)
        return ok({"deliveryId": stored.delivery_id, "duplicate": stored.duplicate})

    def active(self, path: str, query: Query, body: bytes) -> Reply:
        alerts, total = self.receiver.incidents(_filter(query, "firing"))
        return ok({"alerts": alerts, "total": total})

    def history(self, path: str, query: Query, body: bytes) -> Reply:
        alerts, total = self.receiver.incidents(_filter(query, None))
        return ok({"alerts": alerts, "total": total})

    def incident(self, path: str, query: Query, body: bytes) -> Reply:
        return ok(self.receiver.incident(int(path.rsplit("/", 1)[1])))

    def action(self, path: str, query: Query, body: bytes) -> Reply:
        _, _, number, verb = path.split("/")[1:5]
        incident_id = int(number)
        fields = _api_body(body)
        who = _field(fields, "who", required=True)
        if verb == "unack":
            return ok(self.receiver.unack(incident_id, who))
        comment = _field(fields, "comment", required=False)
        silence = fields.get("silence")
        seconds = None
        if silence is not None:
            try:
                seconds = parse_duration(silence) if isinstance(silence, str) else None
            except ValueError:
                seconds = None
            if not seconds:
                raise ClientError(
                    HTTPStatus.BAD_REQUEST, f"silence: expected a duration such as 2h, got {silence!r}"
                )
        return ok(self.receiver.ack(incident_id, who, comment, seconds))

    def notifications(self, path: str, query: Query, body: bytes) -> Reply:
        limit, offset = query.page()
        items, total = self.receiver.notifications(
            query.text("receiver"), query.time("since"), query.time("until"), limit, offset
        )
        return ok({"notifications": items, "total": total})

    def metrics(self, path: str, query: Query, body: bytes) -> Reply:
        return HTTPStatus.OK, self.receiver.instruments.registry.render(), "text/plain; version=0.0.4"

    def page(self, path: str, query: Query, body: bytes) -> Reply:
        return HTTPStatus.OK, PAGE, "text/html; charset=utf-8"

    def openapi(self, path: str, query: Query, body: bytes) -> Reply:
        return HTTPStatus.OK, orjson.dumps(openapi_document()), "application/json"

    def live(self, path: str, query: Query, body: bytes) -> Reply:
        return ok({"status": "live"})

    def ready(self, path: str, query: Query, body: bytes) -> Reply:
        try:
            ready = self.receiver.ready()
        except StorageError as problem:
            return error(HTTPStatus.SERVICE_UNAVAILABLE, f"database unavailable: {problem}")
        if not ready:
            return error(HTTPStatus.SERVICE_UNAVAILABLE, "the writer thread has stopped")
        return ok({"status": "ready"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Alertmanager and API clients reuse connections
    # Headers and body leave in two writes; with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms on Linux), which would be most of every request's latency.
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Per-request logging costs throughput; /metrics has the request counts instead."""

    def _serve(self, method: str) -> None:
        started = time.perf_counter()
        app = self.server.app
        length_header = self.headers.get("Content-Length")
        body = b""
        limit = app.max_body if self.path.startswith("/webhook") else MAX_API_BODY
        route = "/webhook" if self.path.startswith("/webhook") else "body"
        if method == "POST" and length_header is None:
            self.close_connection = True
            reply = error(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        elif length_header is not None and (not _is_number(length_header) or int(length_header) > limit):
            # The body is not read; the connection closes so its bytes are not taken as a request.
            self.close_connection = True
            reply = error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE if _is_number(length_header) else HTTPStatus.BAD_REQUEST,
                f"body must be at most {limit} bytes (Content-Length: {length_header})",
            )
        else:
            body = self.rfile.read(int(length_header)) if length_header else b""
            try:
                route, reply = app.handle(method, self.path, body, self.headers.get("Authorization"))
            except Exception:
                # A bug, not the client's fault: answer (Alertmanager will retry) and log it.
                log.exception("unexpected error for %s %s", method, self.path)
                reply = error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; see the receiver's log")
        status, payload, content_type = reply
        if 400 <= status < 500 and route == "/webhook":
            app.receiver.instruments.deliveries.inc("rejected")
        elif status >= 500 and route == "/webhook":
            app.receiver.instruments.deliveries.inc("failed")
        # One write for status line, headers and body: send_response/end_headers would send the
        # headers and the body in two system calls, a measurable share of each request's cost.
        head = (
            f"HTTP/1.1 {int(status)} {HTTPStatus(status).phrase}\r\nDate: {self.date_time_string()}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
            + ("Connection: close\r\n" if self.close_connection else "")
            + "\r\n"
        )
        self.wfile.write(head.encode("latin-1") + payload)
        app.receiver.instruments.requests.observe(time.perf_counter() - started, route, str(int(status)))

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the default 5 drops connections under a burst of deliveries

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, Handler)
