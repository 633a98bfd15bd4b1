"""Secret-looking values written into definitions: reported before anything is built.

Definitions live in git and what they say lands in generated files, so a secret written inline
leaks twice. Fields that hold secrets exist only as `*_file` (the spec refuses `password:` and
friends); this scan catches secrets pasted into any other field, by their well-known shapes.
"""

from __future__ import annotations

import re

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


def scan(documents: list[RawDocument]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    # Values repeat (units, types, legend modes, titles): 4,000 distinct among 48,500 strings of
    # 500 dashboards. Each distinct clean text is searched once; the walk is a loop, not a
    # recursive generator, and a location is computed for a hit only (see `generator.source`).
    # Together: the scan went from 0.10 to 0.02 s of that build (bench/RESULTS.md).
    clean: set[str] = set()
    for document in documents:
        pending: list[PosDict | PosList] = [document.data]
        while pending:
            container = pending.pop()
            entries = container.items() if isinstance(container, PosDict) else enumerate(container)
            for key, value in entries:
                if isinstance(value, str):
                    if value in clean:
                        continue
                    if ANY_SHAPE.search(value) is None:
                        clean.add(value)
                        continue
                    found.append(_finding(value, _location(container, key)))
                elif isinstance(value, PosDict | PosList):
                    pending.append(value)
    # The walk goes depth first from the end; report in the order the lines are written.
    return sorted(found, key=Diagnostic.sort_key)


def _location(container: PosDict | PosList, key: str | int) -> Location:
    if isinstance(container, PosDict):
        return container.value_location(str(key))
    return container.item_location(int(key))


def _finding(text: str, location: Location) -> Diagnostic:
    what = next(what for what, shape in SHAPES if shape.search(text))
    return Diagnostic(
        location,
        f"this value looks like a {what}: secrets never go into definitions",
        code="secret",
        hint="write it to a file on the host and refer to the file "
        "(`*_file`, `credentials_file`); rotate it if it was committed",
    )
