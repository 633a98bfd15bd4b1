"""A throw-away PostgreSQL cluster for tests: Debian's `postgresql` server binaries, a fresh
cluster in a temporary directory, on a free port of 127.0.0.1, trust auth, removed afterwards.

Wrap `start_cluster`/`stop_cluster` in a session fixture (tests/receiver/conftest.py has one,
`postgres_cluster`) and call `fresh_database(cluster)` for an empty database per test. initdb refuses to run as root, so as root the cluster belongs
to the `postgres` system user and commands run through `runuser`. Skipped only when the server
binaries are not installed (scripts/bootstrap.sh --test installs them)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Cluster:
    port: int
    directory: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


def _bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb and Path(initdb).resolve().parent.joinpath("pg_ctl").exists():
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_cluster() -> Cluster:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="pg-test-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data, port = directory / "data", _free_port()

    def run(command: list[str]) -> None:
        done = subprocess.run(_as_owner(command), capture_output=True, text=True, cwd=directory, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {done.stdout}{done.stderr}")

    run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=200"
    run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(directory / "log"), "-w", "start"])
    return Cluster(port=port, directory=directory)


def stop_cluster(cluster: Cluster) -> None:
    bindir = _bindir()
    assert bindir is not None
    subprocess.run(
        _as_owner([str(bindir / "pg_ctl"), "-D", str(cluster.directory / "data"), "-m", "immediate", "stop"]),
        capture_output=True,
        check=False,
        cwd=cluster.directory,
    )
    shutil.rmtree(cluster.directory, ignore_errors=True)


def fresh_database(cluster: Cluster) -> str:
    """The URL of a new, empty database in the cluster."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(cluster.url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return cluster.url(name)
