"""``docker run IMAGE train`` as SageMaker runs it: model archive, failure file, SIGTERM."""

from __future__ import annotations

import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from container.docker_runner import (
    TRAINING_GRACE_SECONDS,
    ContainerOptions,
    remove_container,
    train_command,
    unique_name,
)
from tests.conftest import FAST_HYPERPARAMETERS, make_job
from tests.docker.conftest import CSV, TrainedJob, extract_model, in_process_scores, train_job

pytestmark = pytest.mark.docker


def test_train_in_a_container_writes_model_tar_gz(
    trained: TrainedJob, request_csv: bytes, tmp_path: Path
) -> None:
    assert trained.result.status == "Completed"
    with tarfile.open(trained.layout.model_archive) as archive:
        assert all(not name.startswith(("/", "model/")) for name in archive.getnames())
    assert_loadable(extract_model(trained.layout.model_archive, tmp_path / "model"), request_csv)
    assert 0.5 < trained.result.metrics["validation:auc"] <= 1.0
    assert not trained.layout.failure_file.exists()


def test_bad_hyperparameter_exits_non_zero_with_reason_on_the_host(
    image: str, small_bank: dict[str, Path], tmp_path: Path
) -> None:
    job = train_job(tmp_path, small_bank, ContainerOptions(image), epochs="0")
    assert job.result.exit_code != 0
    first_line = job.layout.failure_file.read_text().splitlines()[0]
    assert "epochs" in first_line
    assert job.result.failure_reason is not None
    assert job.result.failure_reason.startswith(first_line)


def test_entrypoint_explains_an_unknown_command(image: str) -> None:
    run = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image, "predict"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert "expected 'train' or 'serve', got predict" in run.stderr


def test_docker_stop_saves_the_model_and_exits_within_the_grace_period(
    image: str, small_bank: dict[str, Path], request_csv: bytes, tmp_path: Path
) -> None:
    hyperparameters = {**FAST_HYPERPARAMETERS, "epochs": "1000",
                       "early_stopping_patience": "1000", "batch_size": "16"}  # fmt: skip
    layout = make_job(tmp_path, small_bank, hyperparameters, CSV)
    name = unique_name("stop-test")
    command = train_command(layout, ContainerOptions(image), name)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        log = _read_until_first_metric(process)
        started = time.monotonic()
        subprocess.run(["docker", "stop", "--time", str(TRAINING_GRACE_SECONDS), name],
                       capture_output=True, check=True)  # fmt: skip
        elapsed = time.monotonic() - started
        log += process.stdout.read() if process.stdout else ""
        code = process.wait(timeout=30)
    finally:
        remove_container(name)
    assert code == 0, log[-3000:]
    assert elapsed < TRAINING_GRACE_SECONDS / 2, f"stop took {elapsed:.1f} s"
    assert "received SIGTERM" in log
    assert_loadable(layout.base_dir / "model", request_csv)


def assert_loadable(model_dir: Path, body: bytes) -> None:
    """The saved state is a working model: ``model_fn`` loads it, ``predict_fn`` scores rows."""
    scores = in_process_scores(model_dir, body)
    assert len(scores) == body.count(b"\n")
    assert ((scores >= 0.0) & (scores <= 1.0)).all()


def _read_until_first_metric(process: subprocess.Popen[str]) -> str:
    """Training is under way once the first epoch's metrics are logged."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("#metric"):
            return "".join(lines)
    pytest.fail("training ended before its first metric line:\n" + "".join(lines)[-3000:])
