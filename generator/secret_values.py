"""Secret-looking values written into definitions: reported before anything is built.

Definitions live in git and what they say lands in generated files, so a secret written inline
leaks twice. Fields that hold secrets exist only as `*_file` (the spec refuses `password:` and
friends); this scan catches secrets pasted into any other field, by their well-known shapes.
"""

from __future__ import annotations

import re

from generator.diagnostics import Diagnostic, Location

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


# Every shape above holds one of these literals, and a YAML file spells a value's literal as it
# is, unless an escape (`\x41KIA`) hides it: a file whose text has none of them, and no
# backslash, holds no secret-shaped value, and its values need not be looked at one by one.
# (Line folding turns line breaks into spaces, which none of these contain.)
LITERALS = re.compile(rb"hooks\.slack\.com|xox|gh[pousr]_|AKIA|ASIA|-----BEGIN|eyJ|Bearer|://|\\")


def may_hold_secrets(text: bytes | str) -> bool:
    """Whether any value of a definition file with this text can have a secret's shape."""
    data = text.encode("utf-8", errors="replace") if isinstance(text, str) else text
    return LITERALS.search(data) is not None


class SecretShapes:
    """Tells whether a text has a secret's shape. The loader asks for every string value as it
    builds the trees, so no second walk is needed; values repeat (units, types, titles: 4,000
    distinct among 48,500 strings of 500 dashboards), so each distinct clean text is searched
    once. Scanning went from 0.10 s to under 0.01 s of that build (bench/RESULTS.md)."""

    def __init__(self) -> None:
        self.clean: set[str] = set()

    def what(self, text: str) -> str | None:
        """What the text looks like (`"Slack token"`), or None for an ordinary value."""
        if text in self.clean:
            return None
        if ANY_SHAPE.search(text) is None:
            self.clean.add(text)
            return None
        return next(what for what, shape in SHAPES if shape.search(text))


def finding(what: str, location: Location) -> Diagnostic:
    return Diagnostic(
        location,
        f"this value looks like a {what}: secrets never go into definitions",
        code="secret",
        hint="write it to a file on the host and refer to the file "
        "(`*_file`, `credentials_file`); rotate it if it was committed",
    )
