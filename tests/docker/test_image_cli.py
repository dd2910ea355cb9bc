"""The README's Docker path through the ``byoa`` CLI: train, then a local batch transform."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FAST_HYPERPARAMETERS, REPO_ROOT

pytestmark = pytest.mark.docker


def byoa(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "container.cli", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_byoa_train_then_transform_with_the_image(
    image: str, small_bank: dict[str, Path], tmp_path: Path
) -> None:
    hyperparameters = [f"--hp={name}={value}" for name, value in FAST_HYPERPARAMETERS.items()]
    train = byoa("train", "--image", image, "--channel", f"train={small_bank['train']}",
                 "--content-type", "train=text/csv", *hyperparameters,
                 "--output", str(tmp_path / "job"))  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]
    assert "Job status: Completed" in train.stderr
    assert "validation:auc" in train.stderr

    features = tmp_path / "input" / "features.csv"
    features.parent.mkdir()
    frame = pd.read_csv(small_bank["validation"]).drop(columns=["y"]).iloc[:500]
    frame.to_csv(features, header=False, index=False)
    model, output = tmp_path / "job" / "model.tar.gz", tmp_path / "out"
    transform = byoa("transform", "--image", image, "--model", str(model),
                     "--input", str(features.parent), "--output", str(output))  # fmt: skip
    assert transform.returncode == 0, transform.stderr[-3000:]
    lines = (tmp_path / "out" / "features.csv.out").read_text().splitlines()
    assert len(lines) == 500
    assert all(0.0 <= float(line) <= 1.0 for line in lines)
    leftovers = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", "name=byoa-transform-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert leftovers == ""
