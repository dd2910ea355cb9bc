"""Docker fixtures: the image under test (built once if missing) and a model trained in it.

Without a Docker engine these tests skip locally with a loud reason and FAIL when ``CI=true``:
CI must never pass by skipping the image.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from algorithm import SPEC, model_fn, predict_fn
from container.build_context import context_tag
from container.docker_runner import (
    ContainerOptions,
    docker_available,
    image_exists,
    train_in_container,
)
from container.local_job import JobResult
from container.local_tree import JobLayout
from serve.codecs import csv_codec
from tests.conftest import FAST_HYPERPARAMETERS, REPO_ROOT, make_job

# An explicit BYOA_TEST_IMAGE is used as it is; by default, the image of this very source.
IMAGE = os.environ.get("BYOA_TEST_IMAGE") or f"byoa:{context_tag(REPO_ROOT)}"
CSV = {"train": "text/csv", "validation": "text/csv"}


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Docker tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"DOCKER TESTS SKIPPED: {reason} (with CI=true this is a failure)")


@pytest.fixture(scope="session")
def image() -> str:
    if shutil.which("docker") is None:
        unavailable("no docker CLI; run `make setup-system` as root")
    if not docker_available():
        unavailable("the Docker engine does not answer `docker info`; run `make setup-system`")
    if not image_exists(IMAGE):
        build = subprocess.run(
            ["bash", "scripts/build-image.sh"], cwd=REPO_ROOT, capture_output=True, text=True,
            env={**os.environ, "BYOA_TEST_IMAGE": os.environ.get("BYOA_TEST_IMAGE", "byoa:dev")},
        )  # fmt: skip
        if build.returncode != 0:
            pytest.fail(f"building {IMAGE} failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}")
        if not image_exists(IMAGE):
            pytest.fail(f"scripts/build-image.sh did not tag {IMAGE}:\n{build.stdout[-2000:]}")
    return IMAGE


@dataclass(frozen=True)
class TrainedJob:
    layout: JobLayout
    result: JobResult
    log: str


def train_job(
    root: Path,
    channels: dict[str, Path],
    options: ContainerOptions,
    prepare: Callable[[Path], None] | None = None,
    **hyperparameters: str,
) -> TrainedJob:
    """Lay out the job tree (``prepare`` may then adjust it), run ``train`` in a container."""
    hp = {**FAST_HYPERPARAMETERS, **hyperparameters}
    layout = make_job(root, channels, hp, CSV)
    if prepare is not None:
        prepare(root)
    log = io.StringIO()
    result = train_in_container(layout, SPEC, options, echo=log)
    return TrainedJob(layout, result, log.getvalue())


@pytest.fixture(scope="session")
def trained(
    image: str, small_bank: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> TrainedJob:
    """One ``train`` run in a container (root, --network none), shared by the serving tests."""
    job = train_job(tmp_path_factory.mktemp("docker-train"), small_bank, ContainerOptions(image))
    assert job.result.exit_code == 0, job.log[-3000:]
    return job


def extract_model(archive: Path, target: Path) -> Path:
    """What SageMaker does before ``serve``: model.tar.gz unpacked into /opt/ml/model."""
    target.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(target, filter="data")
    return target


@pytest.fixture(scope="session")
def request_csv(small_bank: dict[str, Path]) -> bytes:
    """200 validation rows, label dropped, no header: SageMaker's CSV inference convention."""
    frame = pd.read_csv(small_bank["validation"]).drop(columns=["y"]).iloc[:200]
    return frame.to_csv(header=False, index=False).encode()


def in_process_scores(model_dir: Path, body: bytes) -> np.ndarray:
    """The container-free path: the same decoder, ``model_fn`` and ``predict_fn``, in-process."""
    predictions = predict_fn(csv_codec.decode(body, {}), model_fn(model_dir))
    return np.asarray(predictions.scores, dtype=np.float64)


def csv_scores(body: bytes) -> np.ndarray:
    return np.array([float(line) for line in body.decode().splitlines() if line], dtype=np.float64)
