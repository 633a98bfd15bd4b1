"""Secret-looking values written into definitions: reported before anything is built.

Definitions live in git and what they say lands in generated files, so a secret written inline
leaks twice. Fields that hold secrets exist only as `*_file` (the spec refuses `password:` and
friends); this scan catches secrets pasted into any other field, by their well-known shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.diagnostics import Diagnostic, Location
from generator.load import RawDocument
from generator.source import PosDict, PosList

# (what it is, its shape). Shapes from the issuers' documentation; kept specific to avoid noise.
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Slack webhook URL", re.compile(r"https://hooks\.slack\.com/(services|workflows)/\S+")),
    ("Slack token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{30,}")),
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("JSON web token", re.compile(r"\beyJ[0-9A-Za-z_-]{10,}\.eyJ[0-9A-Za-z_-]{10,}\.")),
    ("bearer token", re.compile(r"\bBearer\s+[0-9A-Za-z._~+/-]{16,}")),
    ("password inside a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")),
)


# One search per string for the common case, no secret at all; the shapes are tried one by one
# only on a hit, to name what was found. (Eight searches per string were 10% of a build of 500
# hand-written dashboards, bench/RESULTS.md.)
ANY_SHAPE = re.compile("|".join(f"(?:{shape.pattern})" for _, shape in SHAPES))


def _strings(tree: Any, location: Location) -> Iterator[tuple[str, Location]]:
    if isinstance(tree, PosDict):
        for key, value in tree.items():
            yield from _strings(value, tree.value_locations.get(key, location))
    elif isinstance(tree, PosList):
        for value, where in zip(tree, tree.item_locations, strict=True):
            yield from _strings(value, where)
    elif isinstance(tree, str):
        yield tree, location


def scan(documents: list[RawDocument]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for document in documents:
        for text, location in _strings(document.data, document.data.location):
            if ANY_SHAPE.search(text) is None:
                continue
            for what, shape in SHAPES:
                if shape.search(text):
                    found.append(
                        Diagnostic(
                            location,
                            f"this value looks like a {what}: secrets never go into definitions",
                            code="secret",
                            hint="write it to a file on the host and refer to the file "
                            "(`*_file`, `credentials_file`); rotate it if it was committed",
                        )
                    )
                    break
    return found
