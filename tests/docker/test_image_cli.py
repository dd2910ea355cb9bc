"""The README's Docker path through the ``byoa`` CLI: train, then a local batch transform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from container.plugin import ALGORITHM_VARIABLE
from tests.conftest import INSTALLED_ALGORITHM, REPO_ROOT
from tests.docker.conftest import INSTALLED, SampleRequest, channel_types, sample_channels

pytestmark = pytest.mark.docker


def byoa(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The CLI as the seller runs it, on the algorithm the image holds."""
    return subprocess.run(
        [sys.executable, "-m", "container.cli", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, ALGORITHM_VARIABLE: INSTALLED_ALGORITHM},
    )  # fmt: skip


def test_byoa_train_then_transform_with_the_image(
    image: str, sample_request: SampleRequest, tmp_path: Path
) -> None:
    if not sample_request.line_aligned:
        pytest.skip("the algorithm declares no line-per-record request and response type")
    spec = INSTALLED.spec
    arguments = [f"--hp={name}={value}" for name, value in spec.validation_hyperparameters.items()]
    for name, path in sample_channels().items():
        arguments += [
            "--channel",
            f"{name}={path}",
            "--content-type",
            f"{name}={channel_types()[name]}",
        ]
    train = byoa("train", "--image", image, *arguments, "--output", str(tmp_path / "job"))
    assert train.returncode == 0, train.stderr[-3000:]
    assert "Job status: Completed" in train.stderr
    assert any(f"{metric.name}" in train.stderr for metric in spec.metrics)

    features = tmp_path / "input" / "features"
    features.parent.mkdir()
    features.write_bytes(sample_request.body)
    model, output = tmp_path / "job" / "model.tar.gz", tmp_path / "out"
    transform = byoa("transform", "--image", image, "--model", str(model),
                     "--input", str(features.parent), "--output", str(output),
                     "--content-type", sample_request.content_type,
                     "--accept", sample_request.accept)  # fmt: skip
    assert transform.returncode == 0, transform.stderr[-3000:]
    lines = (tmp_path / "out" / "features.out").read_bytes().splitlines()
    assert len(lines) == sample_request.records
    leftovers = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", "name=byoa-transform-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert leftovers == ""
