"""Memory freed by large requests goes back to the kernel once the worker is idle.

glibc's malloc serves blocks of 128 KiB and more with ``mmap``, but each time such a block is
freed it raises that threshold to the block's size (up to 32 MiB): after the first large request,
a 10,000-row request's arrays (a few MB each) come from the heap arenas, one per serving thread,
which keep the pages. Measured on the bank model, two workers stayed at 3x their idle PSS after a
burst of such requests. Fixing the threshold (``MALLOC_MMAP_THRESHOLD_``) keeps them ``mmap``'ed,
but then every large array is fresh pages, faulted in one by one: a batch transform of 52,600-row
mini-batches spent 0.42 s of system time per batch against 0.10 s (5.7 page faults for 1), and
ran at 0.44 of the in-process floor against 0.69. So the threshold is left to glibc, and each
worker calls ``malloc_trim(0)`` (every arena's free pages back to the kernel) once its inference
slot has been idle for :data:`IDLE_SECONDS` after a request: back-to-back requests reuse the warm
pages, and memory returns when they stop. The workers' threads share :data:`ARENAS` arenas
instead of glibc's eight per core (only one of them scores at a time): after a burst of 10,000-row
requests two workers' PSS fell back to 1.09x idle instead of 1.22x, with the same transform
speed. Both are set in the server before the workers fork, unless ``MALLOC_ARENA_MAX`` is.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from serve.watchdog import InferenceClock

IDLE_SECONDS = 1.0
ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def share_arenas() -> bool:
    """Limit glibc's arenas to :data:`ARENAS`; False where the environment chose a number or
    libc is not glibc."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False  # the operator's own choice stands
    mallopt = _glibc("mallopt", [ctypes.c_int, ctypes.c_int])
    return mallopt is not None and bool(mallopt(M_ARENA_MAX, ARENAS))


def malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``; None where libc is not glibc (musl, macOS)."""
    trim = _glibc("malloc_trim", [ctypes.c_size_t])
    return None if trim is None else lambda: trim(0)


def _glibc(name: str, argtypes: list[Any]) -> Any:
    """The C library's function ``name`` returning an int, or None where it has none."""
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    function.argtypes, function.restype = argtypes, ctypes.c_int
    return function


def trim_when_idle(
    clock: InferenceClock,
    trim: Callable[[], object] | None = None,
    idle_seconds: float = IDLE_SECONDS,
) -> threading.Thread | None:
    """A daemon thread that trims once after each stretch of requests, when the clock's slot
    has been idle for ``idle_seconds``; None where there is nothing to call."""
    release = trim or malloc_trim()
    if release is None:
        return None

    def run() -> None:
        trimmed_after: float | None = None
        while True:
            time.sleep(idle_seconds / 2)
            ended = clock.idle_since()
            if ended is None or ended == trimmed_after:
                continue
            if time.monotonic() - ended >= idle_seconds:
                release()
                trimmed_after = ended

    thread = threading.Thread(target=run, name="byoa-trim", daemon=True)
    thread.start()
    return thread
