"""One inference at a time per worker, granted in arrival order.

``threading.Lock`` and ``Semaphore`` are not fair: a thread that has just released the slot
can take it again before a thread that has waited longer, which shows as a long latency tail
when many connections share a worker. Handing the slot to the oldest waiter bounds each wait by
the work queued ahead of it. The holder may enter again (a caller that wants its write inside
the slot, around a call that takes the slot itself).
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
        self._holder: int | None = None
        self._depth = 0

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def __enter__(self) -> None:
        me = threading.get_ident()
        if self._holder == me:
            self._depth += 1
            return
        with self._lock:
            if not self._busy:
                self._busy = True
                self._holder = me
                return
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()
        self._holder = me

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._depth:
            self._depth -= 1
            return
        self._holder = None
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the slot passes on; it stays busy
            else:
                self._busy = False
