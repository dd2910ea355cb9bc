"""Gzip channel data read as a stream whose corruption is a DataError that names the file.

``gzip`` reports a damaged file in three ways while it is read: ``BadGzipFile`` (not gzip, or a
CRC mismatch), ``zlib.error`` (the deflate data is invalid) and ``EOFError`` (the file is cut
short). Each becomes one reason that says which file is damaged and what to do about it, so
the job's owner, not the algorithm's developer, is told to fix it.
"""

from __future__ import annotations

import gzip
import io
import zlib
from typing import IO, Any, cast

from container.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(stream: io.BufferedReader[Any]) -> bool:
    return stream.peek(2)[:2] == GZIP_MAGIC


def gunzipped(stream: IO[bytes], channel: str, name: str) -> IO[bytes]:
    """``stream`` inflated; a DataError naming ``channel`` and ``name`` if it is corrupt."""
    raw = _CheckedGzip(gzip.GzipFile(fileobj=stream, mode="rb"), channel, name)
    return cast(IO[bytes], io.BufferedReader(raw, buffer_size=1 << 20))


class _CheckedGzip(io.RawIOBase):
    def __init__(self, source: gzip.GzipFile, channel: str, name: str) -> None:
        self._source = source
        self._channel = channel
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._source.readinto(buffer)
        except EOFError as error:
            raise self._corrupt("it is truncated (the compressed data ends early)", error) from None
        except (gzip.BadGzipFile, zlib.error) as error:
            raise self._corrupt(f"it is not valid gzip data ({error})", error) from None

    def _corrupt(self, what: str, error: BaseException) -> DataError:
        return DataError(
            f"channel {self._channel!r}, file {self._name}: corrupt gzip compression, {what}; "
            "upload the file again, compressed with gzip, or uncompressed",
            f"{type(error).__name__}: {error}",
        )

    def close(self) -> None:
        self._source.close()
        super().close()
