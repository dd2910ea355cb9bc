"""Pipe mode: a channel streamed through the FIFOs ``/opt/ml/input/data/<channel>_<epoch>``.

SageMaker creates ``<channel>_0`` first; the algorithm reads it to the end (or closes it early),
then opens ``<channel>_1`` for the next pass, and so on. The next FIFO may not exist yet when
the algorithm asks for it, so opening retries until it appears. The data is never written to
disk: it is read from the FIFO straight into memory. Gzip data (``CompressionType: Gzip``) is
recognised by its magic bytes and gunzipped, so a stream that arrives already inflated also works.
"""

from __future__ import annotations

import io
import logging
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from container.errors import DataError
from container.gzip_stream import gunzipped, is_gzip
from container.training_settings import DEFAULT_PIPE_WAIT_SECONDS

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05


def fifo_path(data_dir: Path, channel: str, epoch: int) -> Path:
    return data_dir / f"{channel}_{epoch}"


@dataclass
class PipeChannel:
    """The FIFOs of one Pipe-mode channel; each :meth:`open_epoch` call reads the next one."""

    name: str
    data_dir: Path
    compression: str = "None"
    wait_seconds: float = DEFAULT_PIPE_WAIT_SECONDS  # BYOA_PIPE_WAIT_SECONDS
    next_epoch: int = 0

    def open_epoch(self) -> Iterator[tuple[str, IO[bytes]]]:
        """The next epoch's FIFO as one binary stream (gunzipped when gzip), then closed."""
        epoch = self.next_epoch
        self.next_epoch += 1
        path = wait_for_fifo(fifo_path(self.data_dir, self.name, epoch), self.wait_seconds)
        log.info("channel %s: reading epoch %d from FIFO %s", self.name, epoch, path)
        with path.open("rb", buffering=0) as raw:
            yield path.name, self._decoded(raw, path.name)

    def _decoded(self, raw: IO[bytes], name: str) -> IO[bytes]:
        buffered = io.BufferedReader(raw, buffer_size=1 << 20)  # type: ignore[type-var]
        if is_gzip(buffered):
            return gunzipped(buffered, self.name, name)
        if self.compression == "Gzip":
            log.info(
                "channel %s: CompressionType Gzip but the stream is plain; reading as is", self.name
            )
        return buffered


def wait_for_fifo(path: Path, wait_seconds: float) -> Path:
    """``path`` once it exists as a FIFO; SageMaker may create it a little after it is asked for."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None:
            if not stat.S_ISFIFO(mode):
                raise DataError(
                    f"{path} is not a FIFO; a Pipe-mode channel is read from named pipes "
                    "(set the channel's TrainingInputMode to File for a folder of files)"
                )
            return path
        if time.monotonic() >= deadline:
            raise DataError(
                f"Pipe-mode FIFO {path} did not appear within {wait_seconds:g} s; "
                "check that the channel's TrainingInputMode is Pipe and its S3 data exists"
            )
        time.sleep(POLL_SECONDS)
