"""Forked workers: same results as a loop, in order; any failure costs time, never a result."""

from __future__ import annotations

import os
import threading

import pytest

from generator import forks


def _square_with_pid(value: int) -> tuple[int, int]:
    return value * value, os.getpid()


def test_shares_cover_every_item_once_in_order_and_the_parent_takes_more() -> None:
    ranges = forks.shares(10, 3, 2.0)
    assert [i for r in ranges for i in r] == list(range(10))
    assert [len(r) for r in ranges] == [6, 2, 2]
    assert forks.shares(1, 4, 1.0) == [range(0, 1)]  # nothing for the children: no child
    assert [len(r) for r in forks.shares(500, 2, 1.25)] == [278, 222]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_results_are_those_of_a_loop_and_children_did_their_share(workers: int) -> None:
    assert forks.can_fork(), "the tests run without other threads"
    results = forks.map_forked(_square_with_pid, list(range(40)), workers=workers)
    assert [value for value, _ in results] == [i * i for i in range(40)]
    pids = {pid for _, pid in results}
    assert len(pids) == workers and os.getpid() in pids


def test_detach_runs_in_the_children_only() -> None:
    results = forks.map_forked(
        _square_with_pid, list(range(20)), workers=2, detach=lambda pair: (pair[0], -1)
    )
    assert [value for value, _ in results] == [i * i for i in range(20)]
    assert {pid for _, pid in results} == {os.getpid(), -1}


def test_a_failing_child_costs_time_only_the_parent_computes_its_share() -> None:
    parent = os.getpid()

    def fails_in_children(value: int) -> tuple[int, int]:
        if os.getpid() != parent:
            raise RuntimeError("a child's bad day")
        return value * value, os.getpid()

    results = forks.map_forked(fails_in_children, list(range(30)), workers=3)
    assert results == [(i * i, parent) for i in range(30)]


def test_an_unpicklable_result_is_computed_by_the_parent() -> None:
    parent = os.getpid()
    results = forks.map_forked(
        lambda value: (lambda: value) if os.getpid() != parent else value, list(range(8)), workers=2
    )
    assert results == list(range(8))


def test_no_fork_while_another_thread_runs() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forks.can_fork()
        results = forks.map_forked(_square_with_pid, list(range(10)), workers=4)
    finally:
        stop.set()
        other.join()
    assert {pid for _, pid in results} == {os.getpid()}


def test_an_error_in_the_parent_leaves_no_child_behind() -> None:
    parent = os.getpid()

    def fails_in_parent(value: int) -> int:
        if os.getpid() == parent:
            raise KeyError(value)
        return value

    with pytest.raises(KeyError):
        forks.map_forked(fails_in_parent, list(range(10)), workers=3)
    with pytest.raises(ChildProcessError):  # every child was waited for
        os.waitpid(-1, os.WNOHANG)
