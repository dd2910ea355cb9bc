"""Large allocations from the kernel and back to it, so memory returns after large requests.

glibc's malloc serves blocks of 128 KiB and more with ``mmap`` (freed, they go straight back to
the kernel), but each time such a block is freed it raises that threshold to the block's size,
up to 32 MiB. After the first large request, a 10,000-row request's arrays (a few MB each) come
from the heap arenas instead, one per serving thread, which keep the pages: measured on the bank
model, two workers stayed at 3x their idle PSS after a burst of such requests. Fixing the
threshold, as ``MALLOC_MMAP_THRESHOLD_`` does, keeps them ``mmap``'ed (1.1x idle after the same
burst). Set in the server before the workers fork, so every worker inherits it.
"""

from __future__ import annotations

import ctypes
import logging
import os

log = logging.getLogger("byoa.serve")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
THRESHOLD_BYTES = 128 * 1024  # glibc's default, kept fixed instead of growing


def return_large_allocations() -> bool:
    """Fix glibc's mmap threshold; False where the environment chose one or libc is not glibc."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False  # the operator's own choice stands
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl, macOS): nothing to fix this way
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    fixed = bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
    log.debug("malloc mmap threshold fixed at %d bytes: %s", THRESHOLD_BYTES, fixed)
    return fixed
