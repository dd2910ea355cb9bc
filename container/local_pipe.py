"""The local runner's side of Pipe mode: a channel's files fed through FIFOs as SageMaker does.

For epoch 0, 1, 2, ... a FIFO ``<channel>_<epoch>`` is created next to the channel folders; the
channel's files are written into it, one after the other, once the algorithm opens it; the FIFO
is removed after the pass and the next one is created. An algorithm that closes a FIFO early
simply ends that pass. Feeding stops when the job ends.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from container.pipe import fifo_path

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
POLL_SECONDS = 0.02
PIPE_BUFFER_BYTES = 1 << 20
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def source_files(source: Path) -> list[Path]:
    """The files that feed a channel: ``source`` itself, or a folder's files in key order."""
    if source.is_file():
        return [source]
    found = [
        p for p in source.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(source).parts)
    ]  # fmt: skip
    return sorted(found, key=lambda p: p.relative_to(source).as_posix())


class FifoFeeder:
    """Feeds one channel, epoch after epoch, until :meth:`stop`."""

    def __init__(self, data_dir: Path, channel: str, source: Path) -> None:
        self.data_dir = data_dir
        self.channel = channel
        self.files = source_files(source)
        self.epochs_fed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pipe-{channel}", daemon=True)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        epoch = 0
        while not self._stop.is_set():
            path = fifo_path(self.data_dir, self.channel, epoch)
            path.unlink(missing_ok=True)
            os.mkfifo(path)
            try:
                descriptor = self._open_when_read(path)
                if descriptor is None:
                    return
                self._feed(descriptor, epoch)
            finally:
                path.unlink(missing_ok=True)
            epoch += 1

    def _open_when_read(self, path: Path) -> int | None:
        """A blocking write descriptor once a reader has opened ``path``; None when stopped."""
        while not self._stop.is_set():
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO:
                    raise
                self._stop.wait(POLL_SECONDS)
                continue
            os.set_blocking(descriptor, True)
            _enlarge_pipe_buffer(descriptor)
            return descriptor
        return None

    def _feed(self, descriptor: int, epoch: int) -> None:
        with os.fdopen(descriptor, "wb", buffering=0) as pipe:
            try:
                for chunk in self._chunks():
                    pipe.write(chunk)
            except BrokenPipeError:
                log.info("channel %s: the algorithm closed epoch %d early", self.channel, epoch)
                return
        self.epochs_fed += 1

    def _chunks(self) -> Iterator[bytes]:
        for path in self.files:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK_BYTES):
                    yield chunk


def _enlarge_pipe_buffer(descriptor: int) -> None:
    """A 1 MiB pipe buffer (Linux) instead of 64 KiB: fewer switches between feeder and reader."""
    with suppress(OSError):
        fcntl.fcntl(descriptor, F_SETPIPE_SZ, PIPE_BUFFER_BYTES)


@contextmanager
def feeding(feeders: list[FifoFeeder]) -> Iterator[list[FifoFeeder]]:
    """Run ``feeders`` for the duration of the block."""
    for feeder in feeders:
        feeder.start()
    try:
        yield feeders
    finally:
        for feeder in feeders:
            feeder.stop()
