"""Spot-safe checkpoints in ``checkpointconfig.json``'s ``LocalPath`` (``/opt/ml/checkpoints``).

SageMaker uploads the files of ``LocalPath`` to ``CheckpointConfig.S3Uri`` while the job runs and
copies them back into ``LocalPath`` when a job (or a restarted spot job) starts. A checkpoint is
therefore a single file, written to a hidden temporary name, flushed to disk and renamed into
place, so the folder never shows a half-written checkpoint under a real name. On start, the
newest checkpoint that loads is used; one that does not load (cut short, corrupted on the way
through S3) is skipped with a warning. Older checkpoints beyond ``keep`` are deleted (SageMaker
then deletes them in S3 too).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
NAME_PATTERN = re.compile(r"^checkpoint-(\d+)\.pt$")
DEFAULT_KEEP = 2


def checkpoint_name(step: int) -> str:
    return f"checkpoint-{step:010d}.pt"


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: Path
    state: dict[str, Any]


@dataclass(frozen=True)
class SavedCheckpoint:
    path: Path
    size_bytes: int
    seconds: float


class CheckpointStore:
    """Writes and finds the checkpoints of one job in ``folder``."""

    def __init__(self, folder: Path, keep: int = DEFAULT_KEEP) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.folder = folder
        self.keep = keep

    def save(self, step: int, state: Mapping[str, Any]) -> SavedCheckpoint:
        """Write ``state`` as checkpoint ``step`` atomically; prune the older ones."""
        started = time.perf_counter()
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / checkpoint_name(step)
        temporary = self.folder / f".{final.name}.{os.getpid()}.tmp"
        with temporary.open("wb") as stream:
            torch.save({"format": FORMAT_VERSION, "step": step, "state": dict(state)}, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, final)
        _fsync_folder(self.folder)
        size = final.stat().st_size
        self._prune(keep=final)
        seconds = time.perf_counter() - started
        log.info("checkpoint %d saved to %s (%d bytes, %.3f s)", step, final, size, seconds)
        return SavedCheckpoint(final, size, seconds)

    def steps(self) -> list[tuple[int, Path]]:
        """Complete-named checkpoints, newest first (temporary files are never listed)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            match = NAME_PATTERN.match(path.name)
            if match and path.is_file():
                found.append((int(match.group(1)), path))
        return sorted(found, reverse=True)

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint that loads; unreadable ones are skipped with a warning."""
        for step, path in self.steps():
            state = _load(path)
            if state is not None:
                log.info("resuming from checkpoint %d (%s)", step, path)
                return Checkpoint(step, path, state)
        return None

    def _prune(self, keep: Path) -> None:
        for _, path in self.steps()[self.keep :]:
            if path != keep:
                path.unlink(missing_ok=True)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any unreadable checkpoint is skipped, whatever the cause
        log.warning("skipping checkpoint %s: it does not load (%s)", path, _short(error))
        return None
    if not isinstance(content, dict) or content.get("format") != FORMAT_VERSION:
        log.warning(
            "skipping checkpoint %s: not a byoa checkpoint of format %d", path, FORMAT_VERSION
        )
        return None
    state: dict[str, Any] = content["state"]
    return state


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}"


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass
class CheckpointSchedule:
    """When to save: every ``every_epochs`` epochs, every ``every_seconds``, and on a stop.

    A stop (SIGTERM) always saves: SageMaker allows 120 s before SIGKILL, and a checkpoint of a
    small model takes well under a second.
    """

    every_epochs: int = 1
    every_seconds: float | None = None
    clock: Callable[[], float] = time.monotonic
    _last_save: float | None = None

    def due(self, epoch: int, stopping: bool) -> bool:
        if stopping:
            return True
        if self.every_epochs > 0 and epoch % self.every_epochs == 0:
            return True
        if self.every_seconds is not None:
            now = self.clock()
            if self._last_save is None:
                self._last_save = now
            return now - self._last_save >= self.every_seconds
        return False

    def saved(self) -> None:
        self._last_save = self.clock()
