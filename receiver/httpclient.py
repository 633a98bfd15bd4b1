"""Outgoing HTTP as an injected dependency (Alertmanager's API, the fallback webhook)."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Protocol


class HttpError(RuntimeError):
    """The request did not get a 2xx answer (or no answer at all)."""


class HttpClient(Protocol):
    def request(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """The response body of a 2xx answer; HttpError otherwise."""


class UrllibClient:
    """The standard library's client, with a timeout on every request."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._timeout = timeout

    def request(
        self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as error:
            raise HttpError(f"{method} {url}: HTTP {error.code}: {error.read()[:200]!r}") from None
        except (OSError, ValueError) as error:
            raise HttpError(f"{method} {url}: {error}") from None
