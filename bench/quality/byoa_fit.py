"""What both quality benchmarks share: the tutorial's XGBoost settings, byoa trained through the
real ``train`` entrypoint (timed as a whole process and as the fit it logs), its predictions on
held-out rows as a server would decode them, and a timer."""

from __future__ import annotations

import io
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from algorithm import SPEC, model_fn, predict_fn
from container.local_job import run_job
from container.local_tree import ChannelInput, JobLayout
from serve.records import Predictions, Records

# The SageMaker XGBoost tutorial's hyperparameters (objective set per task)
TUTORIAL_XGBOOST = {
    "max_depth": 5,
    "learning_rate": 0.2,
    "gamma": 4,
    "min_child_weight": 6,
    "subsample": 0.8,
    "n_estimators": 100,
}
FITTED = re.compile(r"Fitted in ([0-9.]+) s")


@dataclass(frozen=True)
class TrainedByoa:
    model: Any
    seconds: float  # the whole entrypoint process
    fit_seconds: float | None  # the fit inside it, as the entrypoint logs it


def train_byoa(root: Path, train_csv: Path, hyperparameters: dict[str, str]) -> TrainedByoa:
    """byoa-tabular trained on ``train_csv`` through the real entrypoint on an /opt/ml tree."""
    layout = JobLayout(root)
    layout.create([ChannelInput("train", train_csv)], hyperparameters)
    log = io.StringIO()
    started = time.perf_counter()
    result = run_job(layout, SPEC, echo=log)
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        sys.stderr.write(log.getvalue())
        raise SystemExit(f"byoa training failed in {root}: {result.failure_reason}")
    fitted = FITTED.search(log.getvalue())
    model = model_fn(layout.base_dir / "model")
    return TrainedByoa(model, seconds, float(fitted.group(1)) if fitted else None)


def predict_rows(trained: TrainedByoa, features: pd.DataFrame) -> Predictions:
    """``predict_fn`` on the rows as text with "" for a missing field, as the CSV decoder
    gives them."""
    text = features.astype(object).where(features.notna(), "").astype(str)
    predictions: Predictions = predict_fn(
        Records(text.to_numpy(), tuple(features.columns)), trained.model
    )
    return predictions


def timed(fit: Callable[[], object], repeats: int = 1) -> float:
    """The shortest of ``repeats`` wall-clock times of ``fit()``."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fit()
        best = min(best, time.perf_counter() - started)
    return best
