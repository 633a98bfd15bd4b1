"""Connections to SQLite or PostgreSQL behind one small interface, so the SQL is written once.

Queries use `?` placeholders; the PostgreSQL side rewrites them to psycopg's `%s` (our SQL holds
no literal question marks or percent signs). Each dialect also supplies the few DDL words that
differ and the lock that serializes writers when several receivers share one PostgreSQL."""

from __future__ import annotations

import contextlib
import queue
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

Row = tuple[Any, ...]
Params = Sequence[Any]


class StorageError(RuntimeError):
    """The database failed in a way a retry may cure (locked, disconnected, disk full)."""


class Cursor(Protocol):
    def execute(self, sql: str, params: Params = ()) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def close(self) -> None: ...


class Tx:
    """One transaction's view of a connection: `?` SQL in, tuples out."""

    def __init__(self, cursor: Cursor, postgres: bool) -> None:
        self._cursor = cursor
        self.postgres = postgres

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: Params = ()) -> None:
        self._cursor.execute(self._sql(sql), params)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        self._cursor.execute(self._sql(sql), params)
        row = self._cursor.fetchone()
        return None if row is None else tuple(row)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        self._cursor.execute(self._sql(sql), params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT ... RETURNING id (SQLite >= 3.35 and PostgreSQL both support it)."""
        row = self.one(sql + " RETURNING id", params)
        assert row is not None
        return int(row[0])

    def lock_writers(self) -> None:
        """Serialize write transactions across receiver replicas sharing one PostgreSQL database
        (a transaction-scoped advisory lock). SQLite has one writer per file already."""
        if self.postgres:
            self._cursor.execute("SELECT pg_advisory_xact_lock(7007007)")


class Database:
    """A pool of connections to one database; `transaction()` borrows one for a unit of work."""

    def __init__(self, url: str, busy_timeout: float = 5.0) -> None:
        self.url = url
        self._busy_timeout = busy_timeout
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative.db and sqlite:////absolute/path.db, as in SQLAlchemy URLs.
            self.postgres = False
            self._path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
            if not self._path:
                raise ValueError(f"{url!r}: expected sqlite:///path.db")
        elif parts.scheme in ("postgresql", "postgres"):
            self.postgres = True
            self._path = ""
        else:
            raise ValueError(f"{url!r}: expected sqlite:///path.db or postgresql://user@host:port/name")
        # Connections are opened on demand and kept; LIFO reuses the warm ones first.
        self._pool: queue.LifoQueue[Connection] = queue.LifoQueue()

    def _connect(self) -> Connection:
        if self.postgres:
            import psycopg  # imported here: SQLite users do not need libpq

            return psycopg.connect(self.url, connect_timeout=max(1, round(self._busy_timeout)))
        connection = sqlite3.connect(
            self._path, timeout=self._busy_timeout, check_same_thread=False, isolation_level=None
        )
        # WAL lets readers run beside the one writer. synchronous=FULL fsyncs the WAL at every
        # commit, so a committed delivery survives power loss, not only a process crash
        # (https://www.sqlite.org/pragma.html#pragma_synchronous); group commit pays for it.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        return connection

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        """Commit on normal exit, roll back on error; database errors become StorageError.
        A SQLite write transaction takes the write lock up front (BEGIN IMMEDIATE), so it never
        fails half-way on a lock upgrade; reads begin deferred and do not block the writer."""
        try:
            connection = self._pool.get_nowait()
        except queue.Empty:
            connection = self._open()
        broken = False
        try:
            cursor = connection.cursor()
            if not self.postgres:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(cursor, self.postgres)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
        except (sqlite3.OperationalError, sqlite3.DatabaseError) as error:
            raise StorageError(str(error)) from error
        except Exception as error:
            if self.postgres and _is_psycopg_error(error):
                broken = True
                raise StorageError(str(error)) from error
            raise
        finally:
            if broken:
                _close_quietly(connection)
            else:
                self._pool.put(connection)

    def _open(self) -> Connection:
        try:
            return self._connect()
        except sqlite3.Error as error:
            raise StorageError(str(error)) from error
        except Exception as error:
            if _is_psycopg_error(error):
                raise StorageError(str(error)) from error
            raise

    def close(self) -> None:
        while True:
            try:
                _close_quietly(self._pool.get_nowait())
            except queue.Empty:
                return


def _is_psycopg_error(error: BaseException) -> bool:
    return type(error).__module__.startswith("psycopg")


def _close_quietly(connection: Connection) -> None:
    # The connection is being thrown away because it failed; its close may fail too.
    with contextlib.suppress(Exception):
        connection.close()
