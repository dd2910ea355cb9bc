"""The bundled algorithm's own test helpers: its fast hyperparameters, and every process these
tests start (``tests.conftest.run_train`` and the rest) on it; the toolkit's tests use their own
algorithm, tests.fixtures.tabular."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import algorithm_named, bank_frame, small_bank

__all__ = ["FAST_HYPERPARAMETERS", "bank_frame", "small_bank", "this_algorithm"]

THIS_ALGORITHM = "algorithm"
FAST_HYPERPARAMETERS = {
    "label": "y", "epochs": "2", "hidden_units": "32", "batch_size": "256", "ensemble_size": "1",
}  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def this_algorithm() -> Iterator[None]:
    """Every process these tests start trains or serves this folder's algorithm."""
    with algorithm_named(THIS_ALGORITHM):
        yield
