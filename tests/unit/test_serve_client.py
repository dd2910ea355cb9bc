"""Batch transform's line splitting: whole lines, under MaxPayloadInMB, order kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from serve.client import mini_batches, records


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


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 1024])
def test_records_read_in_chunks_match_the_whole_file_split(
    tmp_path: Path, chunk_bytes: int
) -> None:
    text = b"1,a\r\n2,b\n\n  \n3,c\r4,d\r\n\r\n5,e"
    source = tmp_path / "rows.csv"
    source.write_bytes(text)
    whole = [line for line in text.splitlines(keepends=True) if line.strip()]
    streamed = list(records(source, chunk_bytes))
    assert list(mini_batches(streamed, 1000, single_record=True)) == list(
        mini_batches(whole, 1000, single_record=True)
    )
