"""Rows per gradient step: the batch size shrinks with the data set, never grows past it."""

from __future__ import annotations

import pytest

from algorithm.training import SMALLEST_STEP_ROWS, STEPS_PER_EPOCH, step_rows


@pytest.mark.parametrize(
    ("batch_size", "rows", "expected"),
    [
        (1024, 1_000_000, 1024),  # a large data set: batch_size
        (4096, 1_000_000, 4096),
        (1024, 50_000, 500),  # a hundredth of the rows
        (1024, 26_000, 260),
        (1024, 2_000, SMALLEST_STEP_ROWS),  # never under the floor ...
        (64, 2_000, 64),  # ... unless batch_size asks for less
        (1024, 0, SMALLEST_STEP_ROWS),
    ],
)
def test_step_rows(batch_size: int, rows: int, expected: int) -> None:
    assert step_rows(batch_size, rows) == expected


def test_an_epoch_of_a_mid_sized_data_set_is_about_the_target_number_of_steps() -> None:
    rows = 40_000
    steps = rows / step_rows(1024, rows)
    assert STEPS_PER_EPOCH <= steps < STEPS_PER_EPOCH + 1
