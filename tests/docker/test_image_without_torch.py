"""An algorithm without torch gets an image without torch: ``examples/ridge`` built as the image's
algorithm (``--build-arg ALGORITHM=examples/ridge``), trained and served in containers."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from container.docker_runner import ContainerOptions, ServeContainer, train_in_container
from container.local_tree import ChannelInput, JobLayout
from container.plugin import load_algorithm
from tests.conftest import REPO_ROOT
from tests.docker.conftest import extract_model
from tests.docker.test_image_metadata import inspect

pytestmark = pytest.mark.docker

RIDGE = load_algorithm("examples.ridge")
SIZE_LIMIT_BYTES = 400_000_000  # the aim for an algorithm without torch


@pytest.fixture(scope="module")
def ridge_image(image: str) -> str:
    """The image under test rebuilt with examples/ridge as its algorithm (the toolkit's layers
    are cached from it)."""
    tag = f"{image}-ridge"
    build = subprocess.run(
        ["bash", "scripts/build-image.sh", "--build-arg", "ALGORITHM=examples/ridge"],
        cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "BYOA_TEST_IMAGE": tag},
    )  # fmt: skip
    assert build.returncode == 0, f"{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    return tag


def test_the_image_has_no_torch_and_is_small(ridge_image: str) -> None:
    probe = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "python", ridge_image,
         "-c", "import importlib.util as u, algorithm; print(algorithm.SPEC.name, "
         "u.find_spec('torch') is None, u.find_spec('sagemaker_training') is not None)"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert probe.stdout.split() == [RIDGE.spec.name, "True", "True"], probe.stderr[-2000:]
    size = int(inspect(ridge_image)["Size"])
    print(f"{ridge_image}: {size / 1e6:.0f} MB")
    assert size < SIZE_LIMIT_BYTES, f"{size / 1e6:.0f} MB"


def test_it_trains_and_serves_in_containers(ridge_image: str, tmp_path: Path) -> None:
    sample = RIDGE.sample_dir
    assert sample is not None
    layout = JobLayout(tmp_path / "job")
    channels = [ChannelInput(name, sample / name, "text/csv") for name in ("train", "validation")]
    layout.create(channels, dict(RIDGE.spec.validation_hyperparameters))
    result = train_in_container(layout, RIDGE.spec, ContainerOptions(ridge_image))
    assert result.exit_code == 0, result.failure_reason
    assert "validation:rmse" in result.metrics
    model_dir = extract_model(layout.model_archive, tmp_path / "model")
    rows = (sample / "inference" / "inference.csv").read_bytes()
    with ServeContainer(model_dir, ContainerOptions(ridge_image)) as container:
        client = container.wait_until_healthy()
        answer = client.request("POST", "/invocations", rows,
                                {"Content-Type": "text/csv", "Accept": "text/csv"})  # fmt: skip
        client.close()
    assert answer.status == 200, answer.body[:500]
    assert len(answer.body.splitlines()) == len(rows.splitlines())
