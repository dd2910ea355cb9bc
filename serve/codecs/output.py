"""What ``predict_fn`` returned, as the columns and records the encoders write.

The bundled algorithm returns :class:`~serve.records.Predictions`; an algorithm may also return
a plain array or list (one row per record), which is written as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from serve.errors import InferenceError
from serve.records import Predictions


def as_predictions(prediction: object) -> Predictions:
    if isinstance(prediction, Predictions):
        return prediction
    if isinstance(prediction, np.ndarray | list | tuple):
        scores = np.asarray(prediction)
        if scores.ndim in (1, 2):
            return Predictions(scores=scores)
    raise InferenceError(
        f"predict_fn returned {type(prediction).__name__}; return serve.records.Predictions or a "
        "1-D/2-D array, or define output_fn to encode it"
    )


def prediction_arrays(prediction: object, verbose: bool) -> list[np.ndarray]:
    """The output columns, one entry per record in each: scores, or label + probabilities."""
    result = as_predictions(prediction)
    if verbose and result.labels is not None and result.probabilities is not None:
        probabilities = np.asarray(result.probabilities)
        return [
            np.asarray(result.labels),
            *(probabilities[:, i] for i in range(probabilities.shape[1])),
        ]
    scores = np.asarray(result.scores)
    if scores.ndim == 2:
        return [scores[:, i] for i in range(scores.shape[1])]
    return [scores]


def records(prediction: object, verbose: bool) -> list[Any]:
    """One JSON value per record: ``{"score", "predicted_label"[, "probabilities"]}`` or a row."""
    result = as_predictions(prediction)
    scores = _rounded(result.scores)
    if result.labels is None:
        return [{"score": s} for s in scores] if np.ndim(result.scores) == 1 else scores
    labels = np.asarray(result.labels).tolist()
    entries = [
        {"score": s, "predicted_label": label} for s, label in zip(scores, labels, strict=True)
    ]
    if verbose and result.probabilities is not None:
        for entry, row in zip(entries, _rounded(result.probabilities), strict=True):
            entry["probabilities"] = dict(zip(result.classes, row, strict=True))
    return entries


def _rounded(values: np.ndarray) -> list[Any]:
    array = np.asarray(values)
    if array.dtype.kind != "f":
        return list(array.tolist())
    return list(np.round(array.astype(np.float64), 7).tolist())
