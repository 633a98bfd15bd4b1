"""The one HTTP client of `gen deploy`: urllib with a timeout, errors that name the URL."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from generator.deploy.changes import DeployError

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> Reply:
    """Any HTTP status comes back as a Reply (callers judge it); no answer at all is a DeployError."""
    prepared = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.read())
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeployError(f"{method} {url}: no answer ({reason})") from None


def short(reply: Reply, limit: int = 300) -> str:
    """A server's reply for an error message, trimmed."""
    text = reply.text().strip()
    return text if len(text) <= limit else text[:limit] + "…"
