"""One HTTP or TCP check on asyncio streams.

Why not threads and http.client: a scrape of 1,000 targets would need 1,000 threads (or queue
behind a pool and miss the deadline), and http.client costs more CPU per request than this small
HTTP/1.1 exchange on asyncio streams; the CPU per probe is what the issue's target counts.
The request says ``Connection: close`` and the body is read only when a regex needs it.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from exporters.probe.certificate import not_after
from exporters.probe.config import HttpCheck, TcpCheck

MAX_BODY_BYTES = 1024 * 1024
_USER_AGENT = "monitoring-as-code-probe/1"


class CheckFailed(Exception):
    """The target answered, but not as the check expects (the message says how)."""


@dataclass
class HttpResult:
    status_code: int = 0
    cert_expiry: float | None = None


def tls_context(check: HttpCheck) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(check.ca_file) if check.ca_file else None)
    if check.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def check_tcp(check: TcpCheck) -> None:
    host, _, port = check.address.rpartition(":")
    _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
    writer.close()


async def check_http(check: HttpCheck, context: ssl.SSLContext | None, result: HttpResult) -> None:
    """Fills ``result`` as it goes, so a timeout still reports the status and certificate seen."""
    url = urlsplit(check.url)
    host = url.hostname or ""
    port = url.port or (443 if url.scheme == "https" else 80)
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname=host if context else None
    )
    try:
        if context is not None:
            der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
            if der:
                result.cert_expiry = not_after(der)
                _check_expiry(check, result.cert_expiry)
        writer.write(_request(check, host, url.port, url.path or "/", url.query))
        status_line = await reader.readline()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise CheckFailed(f"not an HTTP response: {status_line[:80]!r}")
        result.status_code = int(parts[1])
        headers = await _headers(reader)
        if not _status_ok(check, result.status_code):
            raise CheckFailed(f"status {result.status_code} is not expected")
        if check.body_regex is not None:
            body = await _body(reader, headers)
            if not re.search(check.body_regex, body.decode("utf-8", "replace")):
                raise CheckFailed(f"body does not match {check.body_regex!r}")
    finally:
        writer.close()


def _request(check: HttpCheck, host: str, port: int | None, path: str, query: str) -> bytes:
    target = f"{path}?{query}" if query else path
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets (RFC 9110 7.2)
    authority = f"{name}:{port}" if port else name
    lines = [f"{check.method} {target} HTTP/1.1", f"Host: {authority}", f"User-Agent: {_USER_AGENT}"]
    lines += [f"{name}: {value}" for name, value in check.headers.items()]
    lines += ["Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _check_expiry(check: HttpCheck, expiry: float) -> None:
    if check.tls_expiry_days is not None:
        days_left = (expiry - time.time()) / 86400
        if days_left < check.tls_expiry_days:
            raise CheckFailed(
                f"certificate expires in {days_left:.1f} days, fewer than {check.tls_expiry_days:g}"
            )


def _status_ok(check: HttpCheck, status: int) -> bool:
    return status in check.expected_status if check.expected_status else 200 <= status < 300


async def _headers(reader: asyncio.StreamReader) -> dict[str, str]:
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return await _chunked(reader)
    if "content-length" in headers:
        length = min(int(headers["content-length"]), MAX_BODY_BYTES)
        return await reader.readexactly(length)
    return await reader.read(MAX_BODY_BYTES)  # until the server closes (we asked it to)


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    """RFC 9112 section 7.1: hex size line, data, CRLF; a zero size ends the body."""
    chunks: list[bytes] = []
    total = 0
    while total < MAX_BODY_BYTES:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        chunks.append(await reader.readexactly(size))
        total += size
        await reader.readline()
    return b"".join(chunks)
