"""One inference at a time per worker, granted in arrival order.

``threading.Lock`` and ``Semaphore`` are not fair: a thread that has just released the slot
can take it again before a thread that has waited longer, which shows as a long latency tail
when many connections share a worker. Handing the slot to the oldest waiter bounds each wait by
the work queued ahead of it.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairSlot:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._busy = False

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def __enter__(self) -> None:
        with self._lock:
            if not self._busy:
                self._busy = True
                return
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the slot passes on; it stays busy
            else:
                self._busy = False
