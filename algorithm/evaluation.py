"""Metrics for each objective, the confusion matrix and the ROC and precision-recall curves.

The metric names are the ones the spec declares (``validation:auc`` ...), computed with numpy on
the full data: log loss, ROC AUC and accuracy for classifiers, RMSE and MAE for regression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithm.target import Target

EPSILON = 1e-7


def metrics_for(
    target: Target, labels: np.ndarray, predicted: np.ndarray, threshold: float
) -> dict[str, float]:
    if target.objective == "binary":
        return binary_metrics(labels, predicted, threshold)
    if target.objective == "multiclass":
        return multiclass_metrics(labels, predicted)
    return regression_metrics(labels, predicted)


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    if len(y) == 0:
        return {"logloss": float("nan"), "auc": float("nan"), "accuracy": float("nan")}
    p = np.clip(p.astype(np.float64), EPSILON, 1 - EPSILON)
    return {
        "logloss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "auc": roc_auc(y, p),
        "accuracy": float(np.mean((p >= threshold) == (y == 1))),
    }


def multiclass_metrics(y: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    if len(y) == 0:
        return {"logloss": float("nan"), "accuracy": float("nan")}
    chosen = np.clip(probabilities[np.arange(len(y)), y].astype(np.float64), EPSILON, 1.0)
    return {
        "logloss": float(-np.mean(np.log(chosen))),
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == y)),
    }


def regression_metrics(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    if len(y) == 0:
        return {"rmse": float("nan"), "mae": float("nan")}
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
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(scores)]))
    average_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.repeat(average_rank, ends - starts)
    rank_sum = float(ranks[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


@dataclass(frozen=True)
class Curve:
    x: np.ndarray
    y: np.ndarray
    thresholds: np.ndarray


def roc_curve(y: np.ndarray, scores: np.ndarray) -> Curve:
    """False- and true-positive rates at every distinct score, from (0, 0) to (1, 1)."""
    true_positives, false_positives, thresholds = _cumulative_counts(y, scores)
    positives, negatives = max(true_positives[-1], 1), max(false_positives[-1], 1)
    return Curve(
        np.concatenate(([0.0], false_positives / negatives)),
        np.concatenate(([0.0], true_positives / positives)),
        np.concatenate(([np.inf], thresholds)),
    )


def precision_recall_curve(y: np.ndarray, scores: np.ndarray) -> Curve:
    """Recall (x) and precision (y) at every distinct score, highest score first."""
    true_positives, false_positives, thresholds = _cumulative_counts(y, scores)
    precision = true_positives / np.maximum(true_positives + false_positives, 1)
    recall = true_positives / max(true_positives[-1], 1)
    return Curve(np.concatenate(([0.0], recall)), np.concatenate(([1.0], precision)),
                 np.concatenate(([np.inf], thresholds)))  # fmt: skip


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    curve = precision_recall_curve(y, scores)
    return float(np.sum(np.diff(curve.x) * curve.y[1:]))


def _cumulative_counts(
    y: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_y = scores[order], (y[order] == 1).astype(np.float64)
    last_of_run = np.concatenate((np.flatnonzero(np.diff(sorted_scores)), [len(scores) - 1]))
    true_positives = np.cumsum(sorted_y)[last_of_run]
    false_positives = (last_of_run + 1) - true_positives
    return true_positives, false_positives, sorted_scores[last_of_run]


def confusion_matrix(actual: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Counts with actual classes as rows and predicted classes as columns."""
    flat = actual.astype(np.int64) * classes + predicted.astype(np.int64)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)
