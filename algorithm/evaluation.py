"""Metrics for each objective, computed with numpy on the full data."""

from __future__ import annotations

import numpy as np

EPSILON = 1e-7


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    p = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return {
        "logloss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "auc": roc_auc(y, p),
        "accuracy": float(np.mean((p >= threshold) == (y == 1))),
    }


def multiclass_metrics(y: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    chosen = np.clip(probabilities[np.arange(len(y)), y], EPSILON, 1.0)
    return {
        "logloss": float(-np.mean(np.log(chosen))),
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == y)),
    }


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    error = predicted.astype(np.float64) - y
    return {"rmse": float(np.sqrt(np.mean(error**2))), "mae": float(np.mean(np.abs(error)))}


def roc_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties get their average rank)."""
    positives = float(np.sum(y == 1))
    negatives = float(len(y) - positives)
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(scores)]))
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)
