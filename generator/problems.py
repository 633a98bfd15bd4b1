"""Collecting problems while resolving: shared by the resolvers of every target."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, urlsplit

from generator.diagnostics import Diagnostic
from generator.source import format_path, locate
from generator.spec.validate import ParsedDocument

_SECRET_QUERY = re.compile(r"(token|key|secret|password|passwd|auth|signature|sig)", re.IGNORECASE)


class Problems:
    """Diagnostics found so far, each placed at a path inside a definition."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(
        self,
        document: ParsedDocument,
        path: Sequence[str | int],
        message: str,
        hint: str = "",
        *,
        key: bool = False,
        code: str = "definitions",
    ) -> None:
        location = locate(document.raw.data, path, key=key)
        self.items.append(Diagnostic(location, message, path=format_path(path), hint=hint, code=code))

    def check_url(self, document: ParsedDocument, path: Sequence[str | int], url: str, instead: str) -> None:
        """URLs land in generated files: refuse ones that are not http(s) or carry credentials.
        `instead` says where the secret belongs for this field."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.add(document, path, f"expected an http(s) URL, got {url!r}")
            return
        if parts.password is not None or (parts.username and "@" in parts.netloc):
            self.add(
                document,
                path,
                "the URL carries credentials, which would land in generated files",
                hint=instead,
            )
        for name, _ in parse_qsl(parts.query):
            if _SECRET_QUERY.search(name):
                self.add(
                    document, path, f"the URL's query parameter {name!r} looks like a secret", hint=instead
                )


def did_you_mean(value: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, sorted(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
