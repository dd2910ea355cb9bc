"""Shared fixtures: small slices of the bundled data and a way to run the real train entrypoint."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pytest

from container import bank_data
from container.local_job import TRAIN_COMMAND, local_environment
from container.local_tree import ChannelInput, JobLayout

REPO_ROOT = Path(__file__).resolve().parent.parent
FAST_HYPERPARAMETERS = {
    "label": "y", "epochs": "2", "hidden_units": "32", "batch_size": "256", "ensemble_size": "1",
}  # fmt: skip


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
