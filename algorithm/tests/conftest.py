"""The bundled algorithm's own test helpers: its fast hyperparameters and the train entrypoint
run on it (the toolkit's tests use their own algorithm, tests.fixtures.tabular)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping

import pytest

from container.local_tree import JobLayout
from container.plugin import ALGORITHM_VARIABLE
from tests.conftest import bank_frame, run_train, small_bank

__all__ = ["FAST_HYPERPARAMETERS", "bank_frame", "run_bundled", "small_bank", "this_algorithm"]

FAST_HYPERPARAMETERS = {
    "label": "y", "epochs": "2", "hidden_units": "32", "batch_size": "256", "ensemble_size": "1",
}  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def this_algorithm() -> Iterator[None]:
    """Every process these tests start trains or serves this folder's algorithm."""
    previous = os.environ.get(ALGORITHM_VARIABLE)
    os.environ[ALGORITHM_VARIABLE] = "algorithm"
    yield
    if previous is None:
        os.environ.pop(ALGORITHM_VARIABLE, None)
    else:
        os.environ[ALGORITHM_VARIABLE] = previous


def run_bundled(
    layout: JobLayout, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real ``train`` entrypoint on ``layout``'s tree, training this algorithm."""
    return run_train(layout, {ALGORITHM_VARIABLE: "algorithm", **(env or {})}, timeout)
