"""Every row of a CSV file with as many fields as its first row, checked as the file is read.

pandas refuses a row with more fields than the first (naming its line) but fills a row with
fewer with missing values, silently. :func:`rows_checked` passes a file's bytes through
unchanged and refuses the first row whose field count differs from the first non-blank line's,
in either direction, with its line number, before the parser sees it.

Fields are counted with the parser's quoting rules: a ``"`` opens a quoted field only at the
start of a field, ``""`` inside one is a literal quote, and separators and newlines inside quotes
do not count. Blocks without quotes whose separator count is exactly what their lines need are
accepted with two ``bytes.count`` calls; only other blocks are examined line by line (in numpy).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any, cast

import numpy as np

from container.errors import DataError

QUOTE = ord('"')
NEWLINE = ord("\n")
RETURN = ord("\r")


def rows_checked(stream: IO[bytes], separator: str, channel: str, name: str) -> IO[bytes]:
    """``stream`` as is, but a DataError at the first row whose field count is off."""
    counter = FieldCounter(ord(separator), f"channel {channel!r}, file {name}")
    return cast(IO[bytes], io.BufferedReader(_CheckedRows(stream, counter), buffer_size=1 << 20))


class _CheckedRows(io.RawIOBase):
    def __init__(self, source: IO[bytes], counter: FieldCounter) -> None:
        self._source = source
        self._counter = counter
        self._tail = bytearray()  # the last, still incomplete line

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        if not data:
            if self._tail:
                self._counter.feed(bytes(self._tail) + b"\n")
                self._tail.clear()
            return 0
        last = data.rfind(b"\n")
        if last < 0:
            self._tail += data
        else:
            start = 0
            if self._tail:
                start = data.find(b"\n") + 1
                self._counter.feed(bytes(self._tail) + data[:start])
                self._tail.clear()
            if start <= last:
                self._counter.feed(data, start, last + 1)
            self._tail += data[last + 1 :]
        buffer[: len(data)] = data
        return len(data)


@dataclass
class FieldCounter:
    """Counts the fields of each record of blocks that end at a newline.

    Work is done on the positions of quotes, separators and newlines (a few numpy passes over
    the bytes), not byte by byte.
    """

    separator: int
    where: str
    expected: int | None = None
    expected_line: int = 0
    lines: int = 0  # newlines seen so far
    inside_quotes: bool = False
    pending_separators: int = 0  # of a record continued from an earlier block (quoted newline)
    pending_start: int = 0  # that record's first line, 0 when there is none

    def __post_init__(self) -> None:
        # the bytes after which a quote opens a field (a quote: the second of a "" pair)
        self._field_start = np.zeros(256, dtype=bool)
        self._field_start[[self.separator, NEWLINE, RETURN, QUOTE]] = True

    def feed(self, block: bytes, start: int = 0, end: int | None = None) -> None:
        """Check the records of ``block[start:end]``, which ends with a newline."""
        stop = len(block) if end is None else end
        data = np.frombuffer(block, dtype=np.uint8, count=stop - start, offset=start)
        if self._uniform(block, start, stop, data):
            self.lines += int(np.count_nonzero(data == NEWLINE))
            return
        self._examine(data)

    def _uniform(self, block: bytes, start: int, stop: int, data: np.ndarray) -> bool:
        """True when the block has no quotes and just the separators its lines need."""
        if self.expected is None or self.inside_quotes or self.pending_start:
            return False
        if block.find(b'"', start, stop) >= 0:
            return False
        separators = np.count_nonzero(data == self.separator)
        return bool(separators == (self.expected - 1) * np.count_nonzero(data == NEWLINE))

    def _examine(self, data: np.ndarray) -> None:
        newlines = np.flatnonzero(data == NEWLINE)
        toggles, carry = self._quote_toggles(data), int(self.inside_quotes)
        separators = np.flatnonzero(data == self.separator)
        separators = separators[(np.searchsorted(toggles, separators) + carry) % 2 == 0]
        ends = newlines[(np.searchsorted(toggles, newlines) + carry) % 2 == 0]
        self.inside_quotes = bool((len(toggles) + carry) % 2)
        if len(ends):
            previous = np.concatenate(([-1], ends[:-1]))
            before = np.searchsorted(separators, ends)
            fields = np.diff(before, prepend=0) + 1
            fields[0] += self.pending_separators
            lengths = ends - previous - 1
            blank = (lengths == 0) | ((lengths == 1) & (data[np.maximum(ends - 1, 0)] == RETURN))
            start_lines = self.lines + 1 + np.searchsorted(newlines, previous + 1)
            if self.pending_start:
                blank[0], start_lines[0] = False, self.pending_start
            self._check(fields, blank, start_lines)
        self._carry(len(separators), newlines, ends, np.searchsorted(separators, ends[-1:]))
        self.lines += len(newlines)

    def _carry(
        self, separators: int, newlines: np.ndarray, ends: np.ndarray, before_last: np.ndarray
    ) -> None:
        """What the block leaves of a record that goes on into the next (a quoted newline)."""
        if not self.inside_quotes:
            self.pending_separators, self.pending_start = 0, 0
        elif len(ends):
            self.pending_separators = separators - int(before_last[0])
            self.pending_start = self.lines + 1 + int(np.searchsorted(newlines, ends[-1] + 1))
        elif self.pending_start:
            self.pending_separators += separators
        else:
            self.pending_separators, self.pending_start = separators, self.lines + 1

    def _check(self, fields: np.ndarray, blank: np.ndarray, start_lines: np.ndarray) -> None:
        if self.expected is None:
            filled = np.flatnonzero(~blank)
            if len(filled) == 0:
                return
            self.expected = int(fields[filled[0]])
            self.expected_line = int(start_lines[filled[0]])
        wrong = np.flatnonzero(~blank & (fields != self.expected))
        if len(wrong):
            row = wrong[0]
            raise DataError(
                f"{self.where}, line {int(start_lines[row])}: {int(fields[row])} fields where "
                f"line {self.expected_line} has {self.expected}; every row needs the same number "
                "of fields (check for missing or extra separators, or unquoted separators in text)"
            )

    def _quote_toggles(self, data: np.ndarray) -> np.ndarray:
        """The positions of the quotes that open or close a quoted field, in order.

        A byte is inside quotes when an odd number of them (plus one if the block starts
        inside) come before it. Counting every quote (``""`` inside a field is two) gives the
        parser's answer when each field that holds a quote is quoted; a quote that opens in
        mid-field (``5'11"``) is a literal to the parser, and a block with one is walked.
        """
        quotes = np.flatnonzero(data == QUOTE)
        if len(quotes) == 0:
            return quotes
        opening = quotes[int(self.inside_quotes) :: 2]
        after_start = self._field_start[data[np.maximum(opening - 1, 0)]]
        if after_start.all():
            return quotes
        return self._walked_toggles(data, quotes)

    def _walked_toggles(self, data: np.ndarray, quotes: np.ndarray) -> np.ndarray:
        raw, size = data.tobytes(), len(data)
        starts = (self.separator, NEWLINE, RETURN)
        toggles: list[int] = []
        inside, skip = self.inside_quotes, -1
        for position in quotes.tolist():
            if position == skip:
                continue
            if not inside:
                if position == 0 or raw[position - 1] in starts:
                    inside = True
                    toggles.append(position)
            elif position + 1 < size and raw[position + 1] == QUOTE:
                skip = position + 1  # "" inside a quoted field: a literal quote
            else:
                inside = False
                toggles.append(position)
        return np.array(toggles, dtype=np.int64)
