"""``byoa train``: the local job runner as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.conftest import REPO_ROOT

BYOA = [sys.executable, "-m", "container.cli"]


def byoa(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BYOA, *arguments], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT
    )


def test_train_lays_out_the_tree_and_packs_like_sagemaker(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    result = byoa(
        "train",
        *("--channel", f"train={small_bank['train']}"),
        *("--channel", f"validation={small_bank['validation']}"),
        *("--content-type", "train=text/csv", "--hp", "label=y", "--hp", "epochs=1"),
        *("--output", str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    assert "Job status: Completed (exit code 0)" in result.stderr
    assert "validation:accuracy" in result.stderr
    config = tmp_path / "opt" / "ml" / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == {
        "label": "y",
        "epochs": "1",
    }
    channels = json.loads((config / "inputdataconfig.json").read_text())
    assert channels["train"]["ContentType"] == "text/csv"
    assert channels["validation"]["TrainingInputMode"] == "File"
    resources = json.loads((config / "resourceconfig.json").read_text())
    assert (resources["current_host"], resources["hosts"]) == ("algo-1", ["algo-1"])
    with tarfile.open(tmp_path / "model.tar.gz") as archive:
        assert set(archive.getnames()) == {"softmax.json"}
    with tarfile.open(tmp_path / "output.tar.gz") as archive:
        assert "evaluation.json" in archive.getnames()


def test_failed_job_prints_the_failure_reason(tmp_path: Path, small_bank: dict[str, Path]) -> None:
    result = byoa(
        "train",
        "--channel",
        f"train={small_bank['train']}",
        "--hp",
        "epochs=-3",
        "--output",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert "Job status: Failed" in result.stderr
    assert (
        "Failure reason: hyperparameter 'epochs': -3 is out of range [1, 100000]" in result.stderr
    )
    assert not (tmp_path / "model.tar.gz").exists()


def test_malformed_hp_and_missing_path_are_usage_errors(tmp_path: Path) -> None:
    malformed = byoa(
        "train", "--channel", f"train={tmp_path}", "--hp", "epochs", "--output", str(tmp_path)
    )
    assert malformed.returncode == 2
    assert "malformed --hp 'epochs': expected NAME=VALUE" in malformed.stderr
    missing = byoa("train", "--channel", "train=/no/such/data.csv", "--output", str(tmp_path))
    assert missing.returncode == 2
    assert "--channel train=/no/such/data.csv: no such file or folder" in missing.stderr
