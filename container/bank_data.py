"""The bundled Bank Marketing data (UCI id 222, CC BY 4.0; Moro, Cortez and Rita, 2014).

The split is the one the SageMaker tutorial's comparison uses: rows shuffled with
``numpy.random.RandomState(1729).permutation``, the first 70 % for training, the rest held out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA_FILE = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "bank-marketing"
    / "bank-additional-full.csv.gz"
)
LABEL = "y"
SPLIT_SEED = 1729
TRAIN_SHARE = 0.7


def load(path: Path = DATA_FILE) -> pd.DataFrame:
    return pd.read_csv(path, sep=";")


def split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.RandomState(SPLIT_SEED).permutation(len(frame))
    cut = int(TRAIN_SHARE * len(frame))
    return frame.iloc[order[:cut]], frame.iloc[order[cut:]]


def write_split(folder: Path) -> tuple[Path, Path]:
    """``folder/train/train.csv`` and ``folder/test/test.csv``, comma-separated with a header."""
    train, test = split(load())
    paths = folder / "train" / "train.csv", folder / "test" / "test.csv"
    for frame, path in zip((train, test), paths, strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
    return paths
