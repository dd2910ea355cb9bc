"""Each worker hands freed memory back to the kernel once after each stretch of requests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from serve import allocator
from serve.watchdog import InferenceClock


def _trims_after(clock: InferenceClock, idle_seconds: float) -> threading.Event:
    done = threading.Event()
    assert allocator.trim_when_idle(clock, done.set, idle_seconds) is not None
    return done


def test_nothing_is_trimmed_before_the_first_request_or_while_one_runs() -> None:
    clock = InferenceClock()
    done = _trims_after(clock, 0.05)
    assert not done.wait(0.3)
    clock.begin("r1")
    assert not done.wait(0.3)
    clock.end()
    assert done.wait(10)


def test_one_trim_per_stretch_of_requests() -> None:
    clock = InferenceClock()
    calls: list[float] = []
    allocator.trim_when_idle(clock, lambda: calls.append(time.monotonic()), 0.05)
    for stretch in (1, 2):
        clock.begin("r")
        clock.end()
        deadline = time.monotonic() + 10
        while len(calls) < stretch and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # idle well past the threshold: still one trim for this stretch
        assert len(calls) == stretch


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_glibc_malloc_trim_is_found_and_runs() -> None:
    trim = allocator.malloc_trim()
    assert trim is not None
    assert trim() in (0, 1)  # 1: memory was released, 0: there was none to release


PROBE = "from serve.allocator import share_arenas; print(share_arenas())"


def _probe(env: dict[str, str]) -> str:
    """What the call returns in a fresh interpreter with ``env``."""
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_arenas_are_limited_on_glibc() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert _probe(env) == "True"


def test_an_operator_arena_count_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert allocator.share_arenas() is False
    assert _probe({**os.environ, "MALLOC_ARENA_MAX": "4"}) == "False"
