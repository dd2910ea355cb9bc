"""The containers a check runs: training jobs on a local ``/opt/ml`` tree, and servers.

Unlike ``byoa train --docker`` these know nothing of the algorithm's spec: everything comes from
the ``CreateAlgorithm`` request, so any image can be checked. Every container is removed however
the run ends.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from container.check.subject import Subject
from container.docker_http import HttpClient
from container.docker_runner import (
    STARTUP_TIMEOUT_SECONDS,
    ContainerError,
    ContainerOptions,
    ServeContainer,
    hand_over,
    remove_container,
    train_command,
    unique_name,
    writable_folders,
)
from container.failure import read_failure_reason
from container.local_tree import ChannelInput, JobLayout

TRAINING_TIMEOUT_SECONDS = 1800.0
CLEANUP_GRACE_SECONDS = 5
"""A server the rules are done with is stopped with this grace (stop.serving times its own)."""
NON_ROOT = "1000:1000"


@dataclass(frozen=True)
class TrainingRun:
    layout: JobLayout
    exit_code: int
    log: str
    seconds: float

    @property
    def model_dir(self) -> Path:
        return self.layout.base_dir / "model"

    @property
    def wrote_model(self) -> bool:
        return self.model_dir.is_dir() and any(self.model_dir.iterdir())

    @property
    def failure_reason(self) -> str | None:
        return read_failure_reason(self.layout.failure_file)

    def outcome(self) -> str:
        if self.exit_code == 0:
            return f"exit 0 in {self.seconds:.1f} s"
        reason = (self.failure_reason or "").strip().splitlines()
        tail = reason[0] if reason else _last_line(self.log)
        return f"exit {self.exit_code} in {self.seconds:.1f} s: {tail[:300]}"


def _last_line(log: str) -> str:
    lines = [line for line in log.splitlines() if line.strip()]
    return lines[-1] if lines else "(no log)"


def lay_out(subject: Subject, root: Path, channels: dict[str, Path] | None = None) -> JobLayout:
    """The job tree of the profile's training job, its channels copied from the data folder
    (:meth:`Subject.validate` has checked that they are there)."""
    sources = channels or subject.channels
    inputs = [
        ChannelInput(name, path, subject.channel_content_type(name))
        for name, path in sources.items()
    ]
    layout = JobLayout(root)
    layout.create(inputs, subject.hyperparameters)
    return layout


def start_training(
    layout: JobLayout, options: ContainerOptions
) -> tuple[str, subprocess.Popen[str]]:
    name = unique_name("check-train")
    if options.user:
        hand_over(writable_folders(layout), options.user)
    process = subprocess.Popen(
        train_command(layout, options, name),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    return name, process


def train(
    subject: Subject,
    root: Path,
    options: ContainerOptions,
    channels: dict[str, Path] | None = None,
    timeout: float = TRAINING_TIMEOUT_SECONDS,
) -> TrainingRun:
    layout = lay_out(subject, root, channels)
    started = time.monotonic()
    name, process = start_training(layout, options)
    try:
        log, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        log, _ = process.communicate()
        log += f"\n(byoa check: stopped after {timeout:.0f} s)\n"
    finally:
        remove_container(name, options.docker)
    return TrainingRun(layout, process.returncode, log, time.monotonic() - started)


class LogReader:
    """Collects a process's output on a thread; ``first_line`` is set when one arrives."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.first_line = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)
            self.first_line.set()
        self.first_line.set()

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self.lines)


@dataclass
class Server:
    container: ServeContainer
    client: HttpClient
    log: io.StringIO
    first_ping_seconds: float


def copy_model(model_dir: Path, target: Path, user: str | None = None) -> Path:
    shutil.copytree(model_dir, target)
    if user:
        hand_over([target], user)
    return target


def wait_for_first_ping(
    container: ServeContainer, timeout: float = STARTUP_TIMEOUT_SECONDS
) -> tuple[HttpClient, float]:
    """The client and the seconds from start to the first 200 on ``/ping``."""
    started = time.monotonic()
    client = container.wait_until_healthy(timeout)
    return client, time.monotonic() - started


@contextlib.contextmanager
def serving(
    model_dir: Path, options: ContainerOptions, timeout: float = STARTUP_TIMEOUT_SECONDS
) -> Iterator[Server]:
    """A healthy server on ``model_dir``; ContainerError (with the log) if it never is."""
    log = io.StringIO()
    container = ServeContainer(model_dir, options, log)
    container.start()
    try:
        try:
            client, seconds = wait_for_first_ping(container, timeout)
        except ContainerError as error:
            raise ContainerError(f"{error}; log: {_last_line(log.getvalue())[:300]}") from error
        try:
            yield Server(container, client, log, seconds)
        finally:
            client.close()
    finally:
        container.stop(CLEANUP_GRACE_SECONDS)
