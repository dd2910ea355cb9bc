"""The bundled algorithm's model on the Bank Marketing data, and payloads cut from its test split.

The model is trained with the algorithm's default hyperparameters through the real ``train``
entrypoint (as ``byoa demo`` does) and kept in ``runs/bench-bank/`` so that later benchmark runs
reuse it; delete the folder to train again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
CACHE = REPO_ROOT / "runs" / "bench-bank"


def bank_model(root: Path = CACHE) -> Path:
    """The model folder (``model.json``, ``model.pt``), trained on the first call."""
    sys.path.insert(0, str(REPO_ROOT))
    from container import bank_data
    from container.local_tree import ChannelInput, JobLayout

    layout = JobLayout(root / "job")
    model_dir = layout.base_dir / "model"
    if (model_dir / "model.json").exists():
        return model_dir
    train_csv, _ = bank_data.write_split(root / "data")
    layout.create([ChannelInput("train", train_csv, "text/csv")], {"label": bank_data.LABEL})
    env = {**os.environ, "SAGEMAKER_BASE_DIR": str(layout.base_dir)}
    print("[bench] training the bank model (default hyperparameters, about a minute)",
          file=sys.stderr)  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "container.train"], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training the bank model failed:\n{done.stderr[-2000:]}")
    return model_dir


def bank_rows(count: int) -> list[str]:
    """``count`` headerless CSV lines of the bank test split without the label (repeated when
    more are asked for than the split holds)."""
    sys.path.insert(0, str(REPO_ROOT))
    from container import bank_data

    _, test = bank_data.split(bank_data.load())
    features = test.drop(columns=[bank_data.LABEL])
    lines = features.to_csv(header=False, index=False).splitlines()
    return [lines[i % len(lines)] for i in range(count)]


def bank_body(count: int) -> bytes:
    return ("\n".join(bank_rows(count)) + "\n").encode()
