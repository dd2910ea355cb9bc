"""The evaluation report of the validation data, left in the job's ``output_data_dir``.

SageMaker uploads ``/opt/ml/output/data`` as ``output.tar.gz``. The report holds
``evaluation.json`` (metrics, the confusion matrix at the decision threshold, the curve data),
``confusion_matrix.csv`` for classifiers, and for binary classifiers ``roc.svg`` and
``precision_recall.svg``: pictures any browser opens offline.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from algorithm.evaluation import (
    average_precision,
    confusion_matrix,
    metrics_for,
    precision_recall_curve,
    roc_auc,
    roc_curve,
)
from algorithm.model_files import TrainedModel
from algorithm.svg import unit_square_chart

REPORT = "evaluation.json"
CONFUSION = "confusion_matrix.csv"
ROC = "roc.svg"
PRECISION_RECALL = "precision_recall.svg"


def write_report(
    folder: Path, model: TrainedModel, labels: np.ndarray, predicted: np.ndarray, source: str
) -> dict[str, Any]:
    """Write the report of ``predicted`` against ``labels``; returns ``evaluation.json``'s data."""
    folder.mkdir(parents=True, exist_ok=True)
    target = model.target
    report: dict[str, Any] = {
        "data": source,
        "rows": len(labels),
        "objective": target.objective,
        "ensemble_size": len(model.networks),
        "metrics": metrics_for(target, labels, predicted, model.threshold),
    }
    if target.objective == "binary":
        report.update(_binary_report(folder, model, labels, predicted))
    elif target.objective == "multiclass":
        chosen = predicted.argmax(axis=1) if len(predicted) else np.zeros(0, dtype=np.int64)
        report["confusion_matrix"] = _confusion(folder, target.classes, labels, chosen)
    (folder / REPORT).write_text(json.dumps(report, indent=2, allow_nan=True) + "\n")
    return report


def _binary_report(
    folder: Path, model: TrainedModel, labels: np.ndarray, scores: np.ndarray
) -> dict[str, Any]:
    chosen = (scores >= model.threshold).astype(np.int64)
    part: dict[str, Any] = {
        "threshold": model.threshold,
        "positive_class": model.target.classes[1],
        "confusion_matrix": _confusion(folder, model.target.classes, labels, chosen),
    }
    if len(np.unique(labels)) < 2:
        part["curves"] = "not drawn: the validation data holds a single class"
        return part
    roc = roc_curve(labels, scores)
    pr = precision_recall_curve(labels, scores)
    precision = average_precision(labels, scores)
    auc = roc_auc(labels, scores)
    (folder / ROC).write_text(
        unit_square_chart(f"ROC curve (validation, AUC {auc:.4f})", "false positive rate",
                          "true positive rate", roc.x, roc.y, diagonal=True)
    )  # fmt: skip
    (folder / PRECISION_RECALL).write_text(
        unit_square_chart(f"Precision-recall curve (validation, AP {precision:.4f})", "recall",
                          "precision", pr.x, pr.y)
    )  # fmt: skip
    part["average_precision"] = precision
    part["curves"] = {"roc": ROC, "precision_recall": PRECISION_RECALL}
    return part


def _confusion(
    folder: Path, classes: tuple[str, ...], actual: np.ndarray, predicted: np.ndarray
) -> dict[str, Any]:
    matrix = confusion_matrix(actual, predicted, len(classes))
    with (folder / CONFUSION).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["actual \\ predicted", *classes])
        for name, row in zip(classes, matrix.tolist(), strict=True):
            writer.writerow([name, *row])
    return {"classes": list(classes), "rows_actual_columns_predicted": matrix.tolist()}
