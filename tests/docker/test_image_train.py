"""``docker run IMAGE train`` as SageMaker runs it: model archive, failure file, SIGTERM."""

from __future__ import annotations

import math
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
from tests.conftest import make_job
from tests.docker.conftest import (
    INSTALLED,
    SampleRequest,
    TrainedJob,
    channel_types,
    extract_model,
    in_process_answer,
    sample_channels,
    train_job,
)

pytestmark = pytest.mark.docker


def test_train_in_a_container_writes_model_tar_gz(
    trained: TrainedJob, sample_request: SampleRequest, tmp_path: Path
) -> None:
    assert trained.result.status == "Completed"
    with tarfile.open(trained.layout.model_archive) as archive:
        assert all(not name.startswith(("/", "model/")) for name in archive.getnames())
    model = extract_model(trained.layout.model_archive, tmp_path / "model")
    assert_loadable(model, sample_request)
    declared = {metric.name for metric in INSTALLED.spec.metrics}
    assert trained.result.metrics, "no metric line was scraped from the container's log"
    assert set(trained.result.metrics) <= declared
    assert all(math.isfinite(value) for value in trained.result.metrics.values())
    assert not trained.layout.failure_file.exists()


def test_bad_hyperparameter_exits_non_zero_with_reason_on_the_host(
    image: str, tmp_path: Path
) -> None:
    options = ContainerOptions(image)
    job = train_job(tmp_path, sample_channels(), options, no_such_setting="1")
    assert job.result.exit_code != 0
    first_line = job.layout.failure_file.read_text().splitlines()[0]
    assert "unknown hyperparameter 'no_such_setting'" in first_line
    assert job.result.failure_reason is not None
    assert job.result.failure_reason.startswith(first_line)


def test_entrypoint_explains_an_unknown_command(image: str) -> None:
    run = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image, "predict"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2
    assert "expected 'train' or 'serve', got predict" in run.stderr


def test_docker_stop_ends_training_within_the_grace_period(image: str, tmp_path: Path) -> None:
    """``docker stop`` as SageMaker stops a job: SIGTERM, then SIGKILL after the grace period.
    The job must end by itself well within it, with a model or a failure reason (a model that
    trains faster than the stop arrives has simply completed)."""
    hyperparameters = dict(INSTALLED.spec.validation_hyperparameters)
    layout = make_job(tmp_path, sample_channels(), hyperparameters, channel_types())
    name = unique_name("stop-test")
    command = train_command(layout, ContainerOptions(image), name)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        log = process.stdout.readline()  # the entrypoint has started and logs
        started = time.monotonic()
        subprocess.run(["docker", "stop", "--time", str(TRAINING_GRACE_SECONDS), name],
                       capture_output=True)  # fmt: skip
        elapsed = time.monotonic() - started
        log += process.stdout.read()
        code = process.wait(timeout=30)
    finally:
        remove_container(name)
    assert elapsed < TRAINING_GRACE_SECONDS / 2, f"stop took {elapsed:.1f} s"
    assert code in (0, 1), log[-3000:]
    if code == 1:
        assert layout.failure_file.read_text().strip(), log[-3000:]
    else:
        assert any((layout.base_dir / "model").iterdir()), log[-3000:]


def assert_loadable(model_dir: Path, request: SampleRequest) -> None:
    """The saved state is a working model: the service answers the sample request with it."""
    answer = in_process_answer(model_dir, request).body
    assert answer.strip()
    if request.line_aligned:
        assert len(answer.splitlines()) == request.records
