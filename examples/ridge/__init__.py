"""A numpy-only ridge regression: an algorithm that never imports torch.

Run it with ``BYOA_ALGORITHM=examples.ridge``. It shows the whole plug-in interface in one
small module: its own spec, ``train`` with an optional validation channel, ``model_fn``,
``predict_fn`` on the default ``Records``, and an ``output_fn`` that answers JSON as one
document while declining CSV to the default (line-per-record) encoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from byoa import (
    AlgorithmSpec,
    BadRequest,
    Channel,
    DataError,
    Direction,
    Metric,
    Predictions,
    Records,
    TrainingJob,
    continuous,
    free_text,
)

SPEC = AlgorithmSpec(
    name="ridge-regression",
    description="Ridge regression on numeric CSV columns (closed form, numpy only).",
    hyperparameters=(
        free_text("label", "Label column name when the CSV has a header; empty: the first.", ""),
        continuous("l2", "Ridge penalty on the standardised weights.", 1.0, 0.0, 1e6, tunable=True),
    ),
    channels=(
        Channel("train", "Training rows: the label and numeric features."),
        Channel("validation", "Rows scored after training.", required=False),
    ),
    metrics=(
        Metric("train:rmse", Direction.MINIMIZE),
        Metric("validation:rmse", Direction.MINIMIZE),
    ),
    request_content_types=("text/csv", "application/json"),
    response_content_types=("application/json", "text/csv"),
    training_instance_types=("ml.m5.large", "ml.m5.xlarge"),
    realtime_instance_types=("ml.m5.large", "ml.m5.xlarge"),
    transform_instance_types=("ml.m5.large", "ml.m5.xlarge"),
    validation_hyperparameters={"l2": "1.0"},  # on examples/ridge/sample/
)

MODEL_FILE = "ridge.json"


def train(job: TrainingJob) -> None:
    label = job.hyperparameters.get_str("label")
    features, target = _split(job.channel("train").read_csv(), label, "train")
    model = _fit(features, target, job.hyperparameters.get_float("l2"))
    job.metrics.log("train:rmse", _rmse(model, features, target))
    validation = job.optional_channel("validation")
    if validation is not None:
        features, target = _split(validation.read_csv(), label, "validation")
        job.metrics.log("validation:rmse", _rmse(model, features, target))
    (job.model_dir / MODEL_FILE).write_text(json.dumps(model))


def model_fn(model_dir: Path) -> dict[str, Any]:
    return dict(json.loads((model_dir / MODEL_FILE).read_text()))


def predict_fn(data: Records, model: dict[str, Any]) -> Predictions:
    width = len(model["weights"])
    if data.values.shape[1] != width:
        raise BadRequest(f"each row needs {width} numeric fields, got {data.values.shape[1]}")
    try:
        values = data.values.astype(np.float64)
    except ValueError as error:
        raise BadRequest(f"every field must be a number ({error})") from None
    return Predictions(scores=_score(model, values))


def output_fn(prediction: Predictions, accept: str) -> bytes | None:
    if accept != "application/json":
        return None
    return json.dumps({"predictions": prediction.scores.tolist()}).encode()


def _split(table: Any, label: str, channel: str) -> tuple[np.ndarray, np.ndarray]:
    column = label or table.columns[0]
    if column not in table.columns:
        raise DataError(f"channel {channel!r} has no label column {column!r}; set label")
    try:
        features = table.drop(columns=[column]).to_numpy(dtype=np.float64)
        target = table[column].to_numpy(dtype=np.float64)
    except ValueError as error:
        raise DataError(f"channel {channel!r}: every column must be numeric ({error})") from None
    if not np.isfinite(features).all() or not np.isfinite(target).all():
        raise DataError(f"channel {channel!r} has missing or infinite values")
    return features, target


def _fit(features: np.ndarray, target: np.ndarray, l2: float) -> dict[str, Any]:
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (features - mean) / scale
    gram = standard.T @ standard + l2 * np.eye(standard.shape[1])
    weights = np.linalg.solve(gram, standard.T @ (target - target.mean()))
    return {
        "mean": mean.tolist(), "scale": scale.tolist(),
        "weights": weights.tolist(), "intercept": float(target.mean()),
    }  # fmt: skip


def _score(model: dict[str, Any], features: np.ndarray) -> np.ndarray:
    standard = (features - np.asarray(model["mean"])) / np.asarray(model["scale"])
    return np.asarray(standard @ np.asarray(model["weights"]) + model["intercept"])


def _rmse(model: dict[str, Any], features: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((_score(model, features) - target) ** 2)))
