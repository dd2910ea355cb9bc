"""``byoa demo --bank``: the bundled algorithm on the full Bank Marketing split, shortened."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.mark.slow
def test_demo_trains_serves_and_scores_the_held_out_rows(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "container.cli", "demo", "--bank", "--output", str(tmp_path),
         "--hp", "epochs=1", "--hp", "ensemble_size=1"],
        capture_output=True, text=True, timeout=600, cwd=REPO_ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Job status: Completed (exit code 0)" in result.stderr
    assert re.search(r"#metric validation:auc=0\.\d+", result.stdout)
    scored = re.search(r"served 12357 test rows .*: AUC (0\.\d+)", result.stdout + result.stderr)
    assert scored is not None, result.stderr[-3000:]
    assert float(scored.group(1)) > 0.85
    assert (tmp_path / "job" / "model.tar.gz").exists()
