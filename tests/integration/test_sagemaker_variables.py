"""The algorithm's process sees the SM_* variables script-mode code expects."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REPO_ROOT, make_job, run_train

PROBE = REPO_ROOT / "tests" / "fixtures" / "contract"


def test_sm_variables_describe_the_job(tmp_path: Path, small_bank: dict[str, Path]) -> None:
    layout = make_job(tmp_path, small_bank)
    result = run_train(layout, env={"PYTHONPATH": str(PROBE), "BYOA_ALGORITHM": "env_probe"})
    assert result.returncode == 0, result.stderr
    seen = json.loads((layout.base_dir / "model" / "environment.json").read_text())
    assert seen["SM_MODEL_DIR"] == str(layout.base_dir / "model")
    assert seen["SM_CHANNEL_TRAIN"] == str(layout.base_dir / "input" / "data" / "train")
    assert json.loads(seen["SM_HOSTS"]) == ["algo-1"]
    assert seen["SM_CURRENT_HOST"] == "algo-1"
    assert seen["SM_NUM_GPUS"] == "0"
