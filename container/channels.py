"""Channel readers: the data of ``/opt/ml/input/data/<channel>`` as files, streams or a table.

File mode keeps the S3 key tree, so files are found recursively (hidden files skipped) in a
stable order. CSV files may be gzipped (detected by content, not by name; a damaged one is named
as such), have a header row or not (``text/csv;header=present|absent`` decides; otherwise it is
detected) and use ``,``, ``;``, tab or ``|`` as the separator. A row with more or fewer fields
than the first is refused with its line number (:mod:`container.csv_rows`).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd

from container.csv_rows import rows_checked
from container.environment import ChannelConfig
from container.errors import DataError
from container.gzip_stream import gunzipped, is_gzip
from container.pipe import PipeChannel

log = logging.getLogger(__name__)

SEPARATORS = ",;\t|"
SAMPLE_BYTES = 1 << 20


@dataclass(frozen=True)
class ChannelReader:
    name: str
    path: Path
    config: ChannelConfig
    pipe: PipeChannel | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.pipe is None and self.config.input_mode == "Pipe":
            pipe = PipeChannel(self.name, self.path.parent, self.config.compression)
            object.__setattr__(self, "pipe", pipe)

    @property
    def content_type(self) -> str | None:
        return self.config.content_type

    def files(self) -> list[Path]:
        """Every data file of the channel, recursively, sorted by relative path."""
        if not self.path.is_dir():
            raise DataError(f"channel {self.name!r}: folder {self.path} does not exist")
        found = [p for p in self.path.rglob("*") if p.is_file() and not self._hidden(p)]
        return sorted(found, key=lambda p: p.relative_to(self.path).as_posix())

    def _hidden(self, path: Path) -> bool:
        return any(part.startswith(".") for part in path.relative_to(self.path).parts)

    def data_files(self) -> list[Path]:
        """The non-empty files; a DataError when there are none."""
        files = [p for p in self.files() if p.stat().st_size > 0]
        if not files:
            raise DataError(
                f"channel {self.name!r} is empty: no data files under {self.path}; "
                "check the channel's S3 prefix"
            )
        return files

    def open_streams(self) -> Iterator[tuple[str, IO[bytes]]]:
        """Each file as a binary stream, gunzipped when it is gzip data.

        In Pipe mode: the next epoch's FIFO as one stream (each call reads the next epoch).
        """
        if self.pipe is not None:
            yield from self.pipe.open_epoch()
            return
        for path in self.data_files():
            name = str(path.relative_to(self.path))
            with path.open("rb") as raw:
                yield name, _maybe_gunzip(raw, self.name, name)

    def read_csv(self) -> pd.DataFrame:
        """Every CSV file of the channel as one table; columns are numbered when headerless."""
        header = csv_header_parameter(self.content_type)
        frames = [
            _read_csv_stream(name, stream, header, self.name)
            for name, stream in self.open_streams()
        ]
        _check_same_columns(self.name, frames)
        table = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        if table.empty:
            raise DataError(f"channel {self.name!r} has a header but no data rows")
        return table


def _maybe_gunzip(raw: IO[bytes], channel: str, name: str) -> IO[bytes]:
    buffered = io.BufferedReader(cast(io.RawIOBase, raw))
    if is_gzip(buffered):
        return gunzipped(cast(IO[bytes], buffered), channel, name)
    return cast(IO[bytes], buffered)


def csv_header_parameter(content_type: str | None) -> bool | None:
    """``header=present`` -> True, ``header=absent`` -> False, otherwise None (detect)."""
    for parameter in (content_type or "").split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "header":
            return value.strip().lower() == "present"
    return None


def _read_csv_stream(
    name: str, stream: IO[bytes], header: bool | None, channel: str
) -> pd.DataFrame:
    head, stream = read_head(stream)
    first_lines = head.decode("utf-8", errors="replace").splitlines()[:2]
    separator = detect_separator(first_lines[0] if first_lines else "")
    has_header = header if header is not None else looks_like_header(first_lines, separator)
    try:
        frame = pd.read_csv(
            rows_checked(stream, separator, channel, name),
            sep=separator,
            header=0 if has_header else None,
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(
            f"channel {channel!r}, file {name}: not readable as CSV ({error})"
        ) from error
    if not has_header:
        frame.columns = [str(i) for i in range(frame.shape[1])]
    log.info("channel %s: read %s (%d rows, %d columns)", channel, name, *frame.shape)
    return frame


def read_head(stream: IO[bytes], size: int = SAMPLE_BYTES) -> tuple[bytes, IO[bytes]]:
    """The first ``size`` bytes, and a stream that still yields everything from the start."""
    head = stream.read(size)
    rest = _PrefixedStream(head, stream)
    return head, cast(IO[bytes], io.BufferedReader(rest, buffer_size=1 << 20))


class _PrefixedStream(io.RawIOBase):
    def __init__(self, prefix: bytes, stream: IO[bytes]) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            count = min(len(buffer), len(self._prefix))
            buffer[:count] = self._prefix[:count]
            self._prefix = self._prefix[count:]
            return count
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def detect_separator(line: str) -> str:
    counts = {sep: _count_outside_quotes(line, sep) for sep in SEPARATORS}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, separator: str) -> int:
    try:
        fields = next(csv.reader([line], delimiter=separator))
    except (csv.Error, StopIteration):
        return 0
    return len(fields) - 1


def looks_like_header(lines: list[str], separator: str) -> bool:
    """A first row with no number in it, above a row with a number in the same column."""
    rows = [next(csv.reader([line], delimiter=separator)) for line in lines if line]
    if not rows or any(_is_number(field) for field in rows[0]):
        return False
    if len(rows) == 1:
        return True
    numeric_below = any(_is_number(f) for f in rows[1])
    if not numeric_below:
        log.warning(
            "cannot tell whether the first CSV row is a header (no numbers in the first two rows);"
            " assuming it is. Set the channel ContentType to text/csv;header=absent if not."
        )
    return True


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_same_columns(channel: str, frames: list[pd.DataFrame]) -> None:
    first = list(frames[0].columns)
    for index, frame in enumerate(frames[1:], start=2):
        if list(frame.columns) != first:
            raise DataError(
                f"channel {channel!r}: file {index} has columns {list(frame.columns)[:5]}..., "
                f"the first file has {first[:5]}...; all files of a channel need the same columns"
            )
