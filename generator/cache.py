"""Skip a build whose inputs and outputs are exactly as the last build left them.

Like make, but by content: the last successful build records a fingerprint of everything that
decides its output (every file under the input folders, files they `!include` from elsewhere, the
generator's own code, the environment and the output folder) and a SHA-256 of each file it wrote.
A build whose fingerprint matches and whose output files still hash as recorded has nothing to
do, and says so without parsing anything. Any doubt (no record, a changed byte anywhere, a
hand-edited output) means a full build. The record lives in `.gen-cache/` (git-ignored).

This module is imported on the fast path, before pydantic and the parsers: keep its imports light.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from generator.conventions import INPUT_DIRS

CACHE_DIR = ".gen-cache"
_GENERATOR = Path(__file__).resolve().parent


def _state_file(root: Path, environment: str | None, out: Path) -> Path:
    key = hashlib.sha256(f"{environment}\0{out.resolve()}".encode()).hexdigest()[:16]
    return root / CACHE_DIR / f"build-{environment or 'default'}-{key}.json"


def _in_input_dirs(name: str) -> bool:
    return name.split("/", 1)[0] in INPUT_DIRS


def _files_under(folder: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        found.extend(Path(dirpath) / name for name in sorted(filenames))
    return found


class Inputs:
    """The digest of everything a build reads, taken before it reads anything: a file edited
    while the build runs then makes the record disagree, and the next build builds again
    (fingerprinting after the build recorded such an edit as built, and the stale output was
    then called up to date). Files `!include`d from outside the input folders are known only
    after the build; `finish` adds them."""

    def __init__(self, root: Path, environment: str | None, out: Path) -> None:
        self.root = root
        digest = hashlib.sha256()
        digest.update(f"env={environment}\0out={out.resolve()}\0".encode())
        sources = [
            (p.relative_to(_GENERATOR).as_posix(), p) for p in _files_under(_GENERATOR) if p.suffix == ".py"
        ]
        inputs = [
            (p.relative_to(root).as_posix(), p) for folder in INPUT_DIRS for p in _files_under(root / folder)
        ]
        _add(digest, "generator", sources)
        _add(digest, "inputs", inputs)
        self._digest = digest

    def finish(self, extra_inputs: list[str]) -> str:
        digest = self._digest.copy()
        extra = [(name, self.root / name) for name in sorted(extra_inputs) if not _in_input_dirs(name)]
        if extra:
            _add(digest, "included", extra)
        return digest.hexdigest()


def _add(digest: Any, label: str, group: list[tuple[str, Path]]) -> None:
    digest.update(f"[{label}]\0".encode())
    for name, path in group:
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\0missing"
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def up_to_date(root: Path, environment: str | None, out: Path, inputs: Inputs | None = None) -> bool:
    """True when the last build's record matches the inputs and the files on disk."""
    try:
        state = json.loads(_state_file(root, environment, out).read_text(encoding="utf-8"))
        recorded: dict[str, str] = state["outputs"]
        extra: list[str] = state["extra_inputs"]
        expected: str = state["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if (inputs or Inputs(root, environment, out)).finish(extra) != expected:
        return False
    return all(_sha256(out / path) == digest for path, digest in recorded.items())


def record(
    root: Path,
    environment: str | None,
    out: Path,
    inputs: list[str],
    files: dict[str, bytes],
    before: Inputs | None = None,
) -> None:
    """Remember a successful build, by the inputs as they were `before` it (see `Inputs`).
    Failing to write the record only costs the next build time."""
    state = {
        "fingerprint": (before or Inputs(root, environment, out)).finish(inputs),
        "extra_inputs": sorted(name for name in inputs if not _in_input_dirs(name)),
        "outputs": {path: hashlib.sha256(content).hexdigest() for path, content in sorted(files.items())},
    }
    path = _state_file(root, environment, out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / ".gitignore").write_text("*\n", encoding="utf-8")
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
