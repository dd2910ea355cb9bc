"""The server fixes glibc's mmap threshold unless the environment chose one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from serve import allocator

PROBE = "from serve.allocator import return_large_allocations as r; print(r())"


def _probe(env: dict[str, str]) -> str:
    """What the call returns in a fresh interpreter with ``env``."""
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    return done.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_threshold_is_fixed_on_glibc() -> None:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    assert _probe(env) == "True"


def test_an_operator_threshold_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    assert allocator.return_large_allocations() is False
    assert _probe({**os.environ, "MALLOC_MMAP_THRESHOLD_": "1048576"}) == "False"
