"""Stage 5, write: the only code that serializes artifacts and touches the output folder.

- Deterministic: block YAML in the compiler's key order, JSON with sorted keys, a header naming the
  sources, no timestamps or versions.
- Nothing is written unless the whole build succeeded (the pipeline calls us last).
- Each changed file is replaced atomically (temporary file in the same folder, rename), so a
  reader never sees half a file. No fsync: the files are rebuilt from the definitions at will, and
  after a crash the build cache, which re-hashes every output before it trusts them, finds a torn
  file and rewrites it. A per-file fsync cost 0.5-2 s of a cold build writing 1,400 files
  (bench/RESULTS.md). Files whose bytes are unchanged are not touched at all (their
  mtime stays, Prometheus' and Grafana's file watchers stay quiet). We replace files rather than
  swapping the whole folder because the stack bind-mounts folders of `generated/`: a swapped
  folder would leave running containers looking at the old, deleted one.
- Files a previous build wrote (listed in the manifest) and this build no longer produces are
  removed; files we never wrote are left alone.
- `--check` mode writes nothing and reports a unified diff.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from generator import conventions as names
from generator.compile import Artifact
from generator.yamlout import dump

WRITE_THREADS = 8


def header_lines(artifact: Artifact, environment: str | None) -> list[str]:
    lines = [names.GENERATED_HEADER]
    if artifact.sources:
        lines.append("Source: " + ", ".join(artifact.sources))
    if environment:
        lines.append(f"Environment: {environment}")
    return lines


def serialize(artifact: Artifact, environment: str | None) -> bytes:
    if artifact.format == "json":
        # JSON has no comments; Grafana and editors read these files, so no header either.
        # orjson, not `json.dumps(indent=2)`: with an indent the standard library falls back to its
        # pure-Python encoder, which was 60% of a cold build with 1,000 SLO dashboards
        # (bench/RESULTS.md). Same layout as json.dumps(indent=2, sort_keys=True,
        # ensure_ascii=False); floats are written in their shortest form (1e-05 as 0.00001).
        return orjson.dumps(artifact.content, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    if artifact.format == "verbatim":
        # Templates and copies of users' files: their own syntax carries any header they need.
        return str(artifact.content).encode()
    header = "".join(f"# {line}\n" for line in header_lines(artifact, environment))
    body = artifact.content if artifact.format == "text" else dump(artifact.content)
    return (header + body).encode()


def render(artifacts: Iterable[Artifact], environment: str | None) -> dict[str, bytes]:
    """All output files as bytes, keyed by path, plus the manifest listing them."""
    files = {a.path: serialize(a, environment) for a in artifacts}
    manifest = "".join(f"# {line}\n" for line in (names.GENERATED_HEADER, "Files written by the last build:"))
    manifest += "".join(f"{path}\n" for path in sorted(files))
    files[names.MANIFEST_FILE] = manifest.encode()
    return dict(sorted(files.items()))


@dataclass
class Plan:
    """What writing would change."""

    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def clean(self) -> bool:
        return not (self.created or self.changed or self.removed)


def _previous_files(out: Path) -> list[str]:
    try:
        text = (out / names.MANIFEST_FILE).read_text(encoding="utf-8")
    except OSError:
        return []
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def plan(out: Path, files: dict[str, bytes]) -> Plan:
    result = Plan()
    for path, content in files.items():
        existing = _read(out / path)
        if existing is None:
            result.created.append(path)
        elif existing != content:
            result.changed.append(path)
        else:
            result.unchanged += 1
    result.removed = sorted(p for p in _previous_files(out) if p not in files and (out / p).is_file())
    return result


def diff(out: Path, files: dict[str, bytes], result: Plan) -> str:
    """A unified diff from what is on disk to what the build produces."""
    chunks: list[str] = []
    for path in sorted([*result.created, *result.changed, *result.removed]):
        old = (_read(out / path) or b"").decode(errors="replace").splitlines(keepends=True)
        new = files.get(path, b"").decode(errors="replace").splitlines(keepends=True)
        chunks.extend(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"))
    return "".join(chunks)


def diffstat(out: Path, files: dict[str, bytes], result: Plan) -> list[tuple[str, str, int, int]]:
    """Per changed file: a status letter (A added, M modified, D deleted), lines added and removed."""
    rows: list[tuple[str, str, int, int]] = []
    for status, paths in (("A", result.created), ("M", result.changed), ("D", result.removed)):
        for path in paths:
            new = files.get(path, b"").decode(errors="replace").splitlines()
            if status == "A":
                rows.append((path, status, len(new), 0))
                continue
            old = (_read(out / path) or b"").decode(errors="replace").splitlines()
            added = removed = 0
            for line in difflib.unified_diff(old, new, lineterm="", n=0):
                if line.startswith("+") and not line.startswith("+++"):
                    added += 1
                elif line.startswith("-") and not line.startswith("---"):
                    removed += 1
            rows.append((path, status, added, removed))
    return sorted(rows)


def _stage(path: Path, content: bytes) -> Path:
    """Write `content` to a temporary file beside `path`; return the temporary's path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def write(out: Path, files: dict[str, bytes], result: Plan) -> None:
    """Write the build into `out`: a new folder in one rename, an existing one file by file."""
    if not out.exists() and not result.removed:
        _write_new_folder(out, files)
    else:
        _write_files(out, files, result)


def _write_new_folder(out: Path, files: dict[str, bytes]) -> None:
    """A first build: every file goes into a staging folder beside `out`, which is then renamed
    to `out`. Readers see no folder or the whole one, and no file needs its own temporary and
    rename (a cold build of 500 dashboards spent 0.3 s of 1.2 s on those, bench/RESULTS.md).
    Nothing can be mounting a folder that does not exist yet, so the reason `_write_files`
    replaces files in place does not apply."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        made: set[Path] = {staging}
        for path, content in files.items():
            target = staging / path
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "wb") as handle:
                os.fchmod(handle.fileno(), 0o644)  # whatever the umask, as `_stage` does
                handle.write(content)
        os.chmod(staging, 0o755)
        os.rename(staging, out)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not out.is_dir():
            raise
        # Somebody created `out` meanwhile (another build): fall back to replacing files.
        _write_files(out, files, plan(out, files))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_files(out: Path, files: dict[str, bytes], result: Plan) -> None:
    """Apply a plan in two phases: stage every new and changed file as a temporary file,
    then rename them all into place (the manifest last) and remove stale files. A failure while
    staging (disk full, permissions) removes the temporaries and leaves the folder as it was; the
    renames that follow are each atomic and take microseconds, so readers see whole files only."""
    manifest = names.MANIFEST_FILE
    paths = [p for p in [*result.created, *result.changed] if p != manifest]
    if manifest in result.created or manifest in result.changed:
        paths.append(manifest)
    staged: list[tuple[Path, Path]] = []
    # Creating a file can block for a millisecond or more on ext4 while the journal commits (it
    # did, 1,400 files took 1.3 s after the folder had just been removed): a few threads overlap
    # those waits. The order of the renames below does not depend on which thread finished first.
    with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:
        futures = [(pool.submit(_stage, out / path, files[path]), out / path) for path in paths]
        failure: BaseException | None = None
        for future, target in futures:
            try:
                staged.append((future.result(), target))
            except BaseException as error:  # keep collecting, so no temporary file leaks
                failure = failure or error
    if failure is not None:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise failure
    for temporary, target in staged:
        os.replace(temporary, target)
    for path in result.removed:
        (out / path).unlink(missing_ok=True)
        _prune_empty_dirs((out / path).parent, out)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
