"""The CSV row check agrees with Python's csv module on where the first wrong row is."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container.csv_rows import rows_checked
from container.errors import DataError

FIELD = st.text(alphabet='a1,"\n ', max_size=6)


class Trickle(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes per read, to cut records anywhere."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._step, self._at = data, step, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data[self._at : self._at + min(self._step, len(buffer))]
        buffer[: len(chunk)] = chunk
        self._at += len(chunk)
        return len(chunk)


def first_wrong_line(text: str) -> int | None:
    """The line where the first record whose field count differs from the first one starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    expected, start = None, 1
    for record in reader:
        if record:
            expected = len(record) if expected is None else expected
            if len(record) != expected:
                return start
        start = reader.line_num + 1
    return None


def checked_wrong_line(data: bytes, step: int) -> int | None:
    stream = rows_checked(Trickle(data, step), ",", "train", "f.csv")  # type: ignore[arg-type]
    try:
        while stream.read(1 << 16):
            pass
    except DataError as error:
        return int(error.reason.split(", line ")[1].split(":")[0])
    return None


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(st.lists(FIELD, min_size=1, max_size=4), min_size=1, max_size=8),
    step=st.integers(1, 64),
    final_newline=st.booleans(),
)
def test_agrees_with_the_csv_module(
    records: list[list[str]], step: int, final_newline: bool
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    text = buffer.getvalue() if final_newline else buffer.getvalue().removesuffix("\n")
    assert checked_wrong_line(text.encode(), step) == first_wrong_line(text)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a,b,c\n1,2,3\n4,5\n", 3),
        ("a,b,c\n1,2,3,4\n", 2),
        ('a,b,c\n1,"x\ny",3\n\n4,5\n', 5),  # a quoted newline counts as a line
        ("a,b,c\r\n1,2,3\r\n\r\n4,5,6\r\n7\r\n", 5),  # blank lines are skipped, CRLF works
        ("a,b\n5'11\",x\n1\n", 3),  # a quote in mid-field is a literal, as for the parser
        ("a,b,c\n1,2,3\n4,5", 3),  # the last line, without a newline
    ],
)
def test_names_the_line_of_the_first_wrong_row(text: str, line: int) -> None:
    for step in (1, 3, 1 << 20):
        assert checked_wrong_line(text.encode(), step) == line


def test_a_good_file_passes_through_unchanged() -> None:
    data = b'y,x\n"a,b",1\n"c ""d""",2\n' * 1000
    stream = rows_checked(io.BufferedReader(io.BytesIO(data)), ",", "train", "f.csv")
    assert stream.read() == data
