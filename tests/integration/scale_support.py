"""Helpers shared by the distributed, Pipe-mode and checkpoint tests (not a test module)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from container.local_tree import JobLayout

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_ALGORITHM = "tests.fixtures.ddp_algorithm"


def write_numeric_csv(path: Path, rows: int = 400, seed: int = 0) -> Path:
    """Headerless CSV, label first, four features: a separable-ish binary problem."""
    random = np.random.RandomState(seed)
    features = random.normal(size=(rows, 4))
    labels = (features @ [1.0, -2.0, 0.5, 0.0] + random.normal(size=rows) * 0.5 > 0).astype(float)
    np.savetxt(path, np.column_stack([labels, features]), delimiter=",", fmt="%.6f")
    return path


def use_fixture_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Child ``train`` processes load the DDP fixture algorithm from this checkout."""
    monkeypatch.setenv("BYOA_ALGORITHM", FIXTURE_ALGORITHM)
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT))
    monkeypatch.setenv("BYOA_DIST_TIMEOUT_SECONDS", "60")
    monkeypatch.setenv("BYOA_PIPE_WAIT_SECONDS", "30")


def model_weights(layout: JobLayout) -> list[float]:
    weights: list[float] = json.loads((layout.base_dir / "model" / "model.json").read_text())[
        "weights"
    ]
    return weights


def hyperparameters(**values: object) -> Mapping[str, str]:
    return {"epochs": "3", **{k: str(v) for k, v in values.items()}}
