"""``byoa train`` with ``--input-mode``, ``--checkpoint-dir`` and ``--hosts``: the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.scale_support import REPO_ROOT, use_fixture_algorithm, write_numeric_csv

BYOA = [sys.executable, "-m", "container.cli", "train"]


def byoa_train(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BYOA, *arguments], capture_output=True, text=True, timeout=240, cwd=REPO_ROOT
    )


def test_pipe_mode_job_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fixture_algorithm(monkeypatch)
    data = write_numeric_csv(tmp_path / "train.csv")
    done = byoa_train(
        "--channel", f"train={data}", "--input-mode", "train=Pipe", "--hp", "epochs=2",
        "--checkpoint-dir", str(tmp_path / "checkpoints"), "--output", str(tmp_path / "job"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reading epoch 0 from FIFO" in done.stdout + done.stderr
    base = tmp_path / "job" / "opt" / "ml"
    config = json.loads((base / "input" / "config" / "inputdataconfig.json").read_text())
    assert config["train"]["TrainingInputMode"] == "Pipe"
    assert sorted(p.name for p in (base / "input" / "data").iterdir()) == []
    assert len(list((tmp_path / "checkpoints").glob("checkpoint-*.pt"))) == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input-mode", "train=Stream"], "--input-mode train=Stream: use one of File, Pipe"),
        (["--input-mode", "test=Pipe"], "--input-mode test=Pipe: no --channel named test"),
        (["--compression", "train=zip"], "--compression train=zip: use one of None, Gzip"),
        (["--hosts", "0"], "--hosts 0: need at least 1"),
    ],
)
def test_bad_scale_options_are_usage_errors(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    data = write_numeric_csv(tmp_path / "train.csv", rows=10)
    done = byoa_train("--channel", f"train={data}", "--output", str(tmp_path / "j"), *arguments)
    assert done.returncode == 2
    assert message in done.stderr
