"""``byoa demo``: the README's main job, end to end (train, serve, predict) on the algorithm's
sample; here the toolkit tests' algorithm and the numpy example."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from container.plugin import ALGORITHM_VARIABLE, load_algorithm
from tests.conftest import REPO_ROOT, TOOLKIT_ALGORITHM


def demo(tmp_path: Path, *arguments: str, algorithm: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "container.cli", "demo", "--output", str(tmp_path), *arguments],
        capture_output=True, text=True, timeout=600, cwd=REPO_ROOT,
        env={**os.environ, ALGORITHM_VARIABLE: algorithm},
    )  # fmt: skip


@pytest.mark.parametrize("algorithm", [TOOLKIT_ALGORITHM, "examples.ridge"])
def test_demo_trains_on_the_sample_and_answers_in_every_response_type(
    tmp_path: Path, algorithm: str
) -> None:
    result = demo(tmp_path, algorithm=algorithm)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Job status: Completed (exit code 0)" in result.stderr
    assert (tmp_path / "job" / "model.tar.gz").exists()
    for accept in load_algorithm(algorithm).spec.response_content_types:
        assert f"Accept {accept}: HTTP 200" in result.stdout, result.stdout[-2000:]


def test_data_without_the_required_channel_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "data" / "inference").mkdir(parents=True)
    result = demo(tmp_path, "--data", str(tmp_path / "data"), algorithm=TOOLKIT_ALGORITHM)
    assert result.returncode != 0
    assert "needs one non-empty sub-folder per channel" in result.stderr
    assert "required missing: train" in result.stderr
