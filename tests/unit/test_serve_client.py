"""Batch transform's line splitting: whole lines, under MaxPayloadInMB, order kept."""

from __future__ import annotations

import pytest

from serve.client import mini_batches


def test_lines_are_packed_under_the_limit_in_order() -> None:
    lines = [f"{i},{'x' * 5}\n".encode() for i in range(100)]
    batches = list(mini_batches(lines, 50))
    assert all(len(b) <= 50 for b in batches)
    assert b"".join(batches) == b"".join(lines)
    assert all(b.endswith(b"\n") for b in batches)


def test_single_record_sends_one_line_each_and_adds_missing_newlines() -> None:
    assert list(mini_batches([b"1,2\n", b"3,4"], 1000, single_record=True)) == [b"1,2\n", b"3,4\n"]


def test_a_line_over_the_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="line 2 alone"):
        list(mini_batches([b"1\n", b"x" * 100 + b"\n"], 50))
