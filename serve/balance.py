"""Spread connections evenly over the workers.

All workers accept on one listening socket, and a kept-alive connection stays with the worker
that accepted it. Left to the race for ``accept``, a burst of new connections (a load balancer
opening its pool, batch transform's ``MaxConcurrentTransforms`` clients) can all land on one
worker while another idles. Each worker publishes its open-connection count on a board in
shared memory and accepts only while it holds no more than the least-loaded other worker, so
the least-loaded worker always accepts (a new connection, a ``/ping``, never waits for one).
The rule is that strict because a worker still counts a connection its client has closed until
the request in flight on it ends: with a slack of two, four connections opened just after
others were dropped mid-request landed all on one worker 6 times in 10
(``bench/serve/bench_balance.py --stale``), and stayed there for the whole run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger(__name__)

SLACK = 1
RECHECK_S = 0.01


class ConnectionBoard:
    """Per-worker slots in shared memory: (pid, open connections); pid 0 marks a free slot."""

    def __init__(self, workers: int) -> None:
        self.size = 2 * workers + 2
        self.cells = multiprocessing.RawArray("q", 2 * self.size)
        self.lock = multiprocessing.Lock()

    def claim(self, pid: int) -> int | None:
        with self.lock:
            for slot in range(self.size):
                if self.cells[2 * slot] == 0:
                    self.cells[2 * slot], self.cells[2 * slot + 1] = pid, 0
                    return slot
        return None

    def release(self, pid: int) -> None:
        with self.lock:
            for slot in range(self.size):
                if self.cells[2 * slot] == pid:
                    self.cells[2 * slot], self.cells[2 * slot + 1] = 0, 0

    def publish(self, slot: int, connections: int) -> None:
        self.cells[2 * slot + 1] = connections

    def fewest_elsewhere(self, slot: int) -> int | None:
        counts = [
            self.cells[2 * other + 1]
            for other in range(self.size)
            if other != slot and self.cells[2 * other] != 0
        ]
        return min(counts) if counts else None


BOARD: ConnectionBoard | None = None


def install(workers: int) -> ConnectionBoard | None:
    """Create the board in the master, before the workers fork (None: shared memory refused)."""
    global BOARD
    try:
        BOARD = ConnectionBoard(workers)
    except OSError as error:
        log.warning("connections will not be balanced over workers: %s", error)
        BOARD = None
    return BOARD


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook (master): free the slot of a worker that exited."""
    if BOARD is not None:
        BOARD.release(worker.pid)


class BalancedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's ``gthread`` worker that accepts only while it is not ahead of the others."""

    _slot: int | None = None
    _limit: int = 1000

    def init_process(self) -> None:
        if BOARD is not None:
            self._slot = BOARD.claim(os.getpid())
        super().init_process()

    @property
    def worker_connections(self) -> int:
        if BOARD is None or self._slot is None:
            return self._limit
        BOARD.publish(self._slot, self.nr_conns)
        fewest = BOARD.fewest_elsewhere(self._slot)
        return self._limit if fewest is None else min(self._limit, fewest + SLACK)

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._limit = value

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """While not accepting, look at the board again every ``RECHECK_S``: nothing else may
        wake this loop for a second (its connections can be busy in pool threads)."""
        super().wait_for_and_dispatch_events(timeout if self._accepting else RECHECK_S)
