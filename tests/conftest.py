"""Shared fixtures: small slices of the bundled data, a way to run the real train entrypoint,
and a check that the session leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import psutil
import pytest

from container import bank_data
from container.local_job import TRAIN_COMMAND, local_environment
from container.local_tree import ChannelInput, JobLayout
from container.plugin import ALGORITHM_VARIABLE, algorithm_path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The toolkit's tests train and serve their own algorithm, never the installed one, so they pass
# whatever algorithm/ holds; the conformance suite, the Docker tests (the image holds the
# installed one) and algorithm/tests/ test INSTALLED_ALGORITHM.
TOOLKIT_ALGORITHM = "tests.fixtures.tabular"
INSTALLED_ALGORITHM = algorithm_path()
FAST_HYPERPARAMETERS = {"label": "y", "epochs": "30"}


SESSION_MARKER = "BYOA_TEST_SESSION"
LEFTOVER_GRACE_S = 15.0


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Fail the run if a process this session started is still running at its end.

    The session's processes are the pytest process's descendants and, since every child
    inherits the environment, any process whose environment holds this session's marker (a
    server whose parent died is reparented to PID 1 but keeps its environment). Processes of
    other runs on the machine carry another marker or none, so they are never counted. Leftovers
    get a grace period to exit, are then killed, and fail the run with their command lines.
    """
    marker = f"{os.getpid()}-{uuid.uuid4().hex}"
    os.environ[SESSION_MARKER] = marker
    yield
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while (leftovers := session_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not leftovers:
        return
    described = [f"{p.pid}: {' '.join(command_line(p))[:200]}" for p in leftovers]
    for process in leftovers:
        with contextlib.suppress(psutil.Error):
            process.kill()
    pytest.fail("processes left running by the tests (now killed):\n" + "\n".join(described))


def session_processes(marker: str) -> list[psutil.Process]:
    """Live processes of this session: descendants of pytest, or holders of its marker."""
    me = psutil.Process()
    found = {p.pid: p for p in me.children(recursive=True)}
    for process in psutil.process_iter():
        if process.pid not in found and process.pid != me.pid and holds_marker(process, marker):
            found[process.pid] = process
    return [p for p in found.values() if is_running(p)]


def holds_marker(process: psutil.Process, marker: str) -> bool:
    try:
        return process.environ().get(SESSION_MARKER) == marker
    except (psutil.Error, OSError):
        return False  # another user's process, or gone


def is_running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def command_line(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return ["(gone)"]


@pytest.fixture(scope="session", autouse=True)
def toolkit_algorithm() -> Iterator[None]:
    """Every process the toolkit's tests start, and the CLI run in-process, use
    :data:`TOOLKIT_ALGORITHM` unless a test names another."""
    with algorithm_named(TOOLKIT_ALGORITHM):
        yield


@contextlib.contextmanager
def algorithm_named(name: str) -> Iterator[None]:
    """``BYOA_ALGORITHM=name`` in this process's environment for the block, as it was after."""
    previous = os.environ.get(ALGORITHM_VARIABLE)
    os.environ[ALGORITHM_VARIABLE] = name
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ALGORITHM_VARIABLE, None)
        else:
            os.environ[ALGORITHM_VARIABLE] = previous


@pytest.fixture(scope="session")
def bank_frame() -> pd.DataFrame:
    return bank_data.load()


@pytest.fixture(scope="session")
def small_bank(
    tmp_path_factory: pytest.TempPathFactory, bank_frame: pd.DataFrame
) -> dict[str, Path]:
    """3,000 training and 1,000 validation rows of the bank data, as CSV files with a header."""
    folder = tmp_path_factory.mktemp("bank")
    train, validation = bank_data.split(bank_frame)
    paths = {"train": folder / "train.csv", "validation": folder / "validation.csv"}
    train.iloc[:3000].to_csv(paths["train"], index=False)
    validation.iloc[:1000].to_csv(paths["validation"], index=False)
    return paths


def make_job(
    root: Path,
    channels: Mapping[str, Path],
    hyperparameters: Mapping[str, str] | None = None,
    content_types: Mapping[str, str] | None = None,
) -> JobLayout:
    layout = JobLayout(root)
    inputs = [ChannelInput(n, p, (content_types or {}).get(n)) for n, p in channels.items()]
    layout.create(
        inputs, dict(FAST_HYPERPARAMETERS if hyperparameters is None else hyperparameters)
    )
    return layout


def run_train(
    layout: JobLayout, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The real ``train`` entrypoint as a child process on ``layout``'s tree."""
    return subprocess.run(
        list(TRAIN_COMMAND), env=local_environment(layout, env),
        capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
    )  # fmt: skip


def stop_after_first_checkpoint(layout: JobLayout, checkpoints: Path, timeout: float = 120) -> str:
    """Start the job's real ``train`` entrypoint, SIGTERM it once a checkpoint exists, and
    return its log; the stopped job must exit 0."""
    process = subprocess.Popen(
        list(TRAIN_COMMAND), env=local_environment(layout),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not list(checkpoints.glob("checkpoint-*.pt")) and process.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint was written"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output[-3000:]
    return output
