"""Spread a per-item function over the machine's cores: forked workers, results pickled back.

Loading is the one stage of a build that is per file and CPU-bound in Python (libyaml holds the
GIL), so threads do not help it and a fresh interpreter per worker would pay the imports again.
A fork starts with everything imported and shares memory until written. Used only where it is
safe and pays: Linux, no other thread running (a fork copies only the calling thread; a lock
another thread held would stay locked in the child), and enough items.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform == "linux" and threading.active_count() == 1


def shares(count: int, workers: int, lead: float) -> list[range]:
    """Split `range(count)` into consecutive shares, one per worker that has something to do:
    the children's are equal, the first (the parent's) is `lead` times theirs plus what is left
    over, because the children also pickle what they made."""
    per_child = int(count / (lead + workers - 1))
    first = count - per_child * (workers - 1)
    ranges = [range(0, first)]
    if per_child:
        ranges += [range(start, start + per_child) for start in range(first, count, per_child)]
    return ranges


def map_forked(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    workers: int,
    detach: Callable[[Result], Result] = lambda result: result,
    lead: float = 1.0,
) -> list[Result]:
    """`[function(item) for item in items]`, in order, with all but the first share computed in
    forked children. A child passes each result through `detach` (to drop what cannot or
    should not cross, such as parser nodes) and pickles its list to a pipe. A child that fails,
    for any reason, costs time only: the parent computes that share itself."""
    ranges = shares(len(items), workers, lead) if workers > 1 and can_fork() else [range(len(items))]
    children: list[_Child] = []
    try:
        for share in ranges[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: compute, send, and leave without running any cleanup
                os.close(read_end)
                status = 1
                try:
                    payload = pickle.dumps(
                        [detach(function(items[i])) for i in share], protocol=pickle.HIGHEST_PROTOCOL
                    )
                    with os.fdopen(write_end, "wb") as pipe:
                        pipe.write(payload)
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            children.append(_Child(pid, read_end, share))
        results = [function(items[i]) for i in ranges[0]]
        for child in children:
            received = child.collect()
            results.extend(received if received is not None else [function(items[i]) for i in child.share])
    finally:
        for child in children:
            child.abandon()
    return results


class _Child:
    """A forked worker: its pipe, its share, and whether it was waited for."""

    def __init__(self, pid: int, read_end: int, share: range) -> None:
        self.pid, self.read_end, self.share = pid, read_end, share
        self.reaped = False

    def collect(self) -> list[Any] | None:
        """The child's results, or None when it failed (the caller computes the share)."""
        with os.fdopen(self.read_end, "rb") as pipe:
            self.read_end = -1
            payload = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.reaped = True
        if status != 0 or not payload:
            return None
        try:
            received = pickle.loads(payload)
        except Exception:  # a broken payload is computed again by the caller
            return None
        return received if isinstance(received, list) and len(received) == len(self.share) else None

    def abandon(self) -> None:
        """On the way out, also after an error or Ctrl-C: no fd left open, no zombie left."""
        if self.read_end >= 0:
            os.close(self.read_end)
            self.read_end = -1
        if not self.reaped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.reaped = True
