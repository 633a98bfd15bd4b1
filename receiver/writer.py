"""Group commit: one writer thread runs every write, many at a time, in one transaction.

Durability costs one fsync per commit. Committing each delivery alone caps a disk at a few
hundred deliveries per second; the writer instead takes every job waiting in its queue (up to
`max_batch`), runs them in one transaction, commits once, and only then wakes the callers, who
answer 2xx. A job that raises makes its batch retry job by job, so one bad job cannot fail the
others. The single writer also means no two writes of this process ever race."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from receiver.db import Database, StorageError, Tx

T = TypeVar("T")


class _Job(Generic[T]):
    __slots__ = ("done", "error", "fn", "result")

    def __init__(self, fn: Callable[[Tx], T]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


BatchObserver = Callable[[int, float], None]


class Writer:
    def __init__(
        self,
        database: Database,
        max_batch: int = 512,
        timeout: float = 10.0,
        on_batch: BatchObserver | None = None,
    ) -> None:
        self._database = database
        self._max_batch = max_batch
        self._timeout = timeout
        self._on_batch = on_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="receiver-writer", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` in a write transaction and return its result once committed.
        Raises StorageError when the commit failed or did not happen in time."""
        job: _Job[T] = _Job(fn)
        self._queue.put(job)
        if not job.done.wait(self._timeout):
            raise StorageError(f"the write was not committed within {self._timeout:g} s")
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=self._timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch: list[_Job[Any]] = [first]
            stopping = False
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            self._commit(batch)
            if stopping:
                return

    def _commit(self, batch: list[_Job[Any]]) -> None:
        started = time.perf_counter()
        try:
            self._transaction(batch)
        except StorageError as error:
            for job in batch:
                job.error = error
        except Exception:
            # Not the database: some job is at fault. Retry each alone so the rest still commit.
            for job in batch:
                try:
                    self._transaction([job])
                except Exception as error:
                    job.error = error
        if self._on_batch is not None:
            self._on_batch(len(batch), time.perf_counter() - started)
        for job in batch:
            job.done.set()

    def _transaction(self, jobs: list[_Job[Any]]) -> None:
        results = []
        with self._database.transaction() as tx:
            tx.lock_writers()
            for job in jobs:
                results.append(job.fn(tx))
        for job, result in zip(jobs, results, strict=True):
            job.result = result
