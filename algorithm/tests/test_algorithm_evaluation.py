"""Metrics and curves against brute-force definitions; the SVG pictures parse."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree

import numpy as np

from algorithm.evaluation import (
    average_precision,
    binary_metrics,
    confusion_matrix,
    multiclass_metrics,
    precision_recall_curve,
    regression_metrics,
    roc_auc,
    roc_curve,
)
from algorithm.svg import unit_square_chart


def _pairwise_auc(y: np.ndarray, p: np.ndarray) -> float:
    pairs = list(itertools.product(p[y == 1], p[y == 0]))
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)


def test_auc_matches_the_pairwise_definition_with_ties() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.round(rng.random(300) * 0.5 + y * 0.3, 1)  # coarse, so many ties
    assert abs(roc_auc(y, p) - _pairwise_auc(y, p)) < 1e-12
    assert np.isnan(roc_auc(np.ones(5), np.arange(5.0)))


def test_roc_curve_runs_from_origin_to_one_and_its_area_is_the_auc() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 500)
    p = rng.random(500) + 0.4 * y
    curve = roc_curve(y, p)
    assert (curve.x[0], curve.y[0], curve.x[-1], curve.y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(curve.x) >= 0) and np.all(np.diff(curve.y) >= 0)
    assert abs(np.trapezoid(curve.y, curve.x) - roc_auc(y, p)) < 1e-9


def test_precision_recall_curve_and_average_precision() -> None:
    y = np.array([1, 0, 1, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.1])
    curve = precision_recall_curve(y, p)
    assert curve.x.tolist() == [0.0, 1 / 3, 1 / 3, 2 / 3, 1.0, 1.0]
    assert curve.y.tolist() == [1.0, 1.0, 0.5, 2 / 3, 0.75, 0.6]
    assert abs(average_precision(y, p) - (1 / 3 * 1.0 + 1 / 3 * 2 / 3 + 1 / 3 * 0.75)) < 1e-12


def test_binary_multiclass_and_regression_metrics() -> None:
    y = np.array([0.0, 1.0, 1.0, 0.0])
    metrics = binary_metrics(y, np.array([0.2, 0.6, 0.4, 0.1]), threshold=0.5)
    assert metrics["accuracy"] == 0.75 and metrics["auc"] == 1.0
    assert abs(metrics["logloss"] - -np.mean(np.log([0.8, 0.6, 0.4, 0.9]))) < 1e-9
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    multi = multiclass_metrics(np.array([0, 1]), probabilities)
    assert multi["accuracy"] == 0.5 and abs(multi["logloss"] + np.mean(np.log([0.7, 0.1]))) < 1e-9
    regression = regression_metrics(np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    assert regression == {"rmse": np.sqrt(2.5), "mae": 1.5}


def test_confusion_matrix_has_actual_rows_and_predicted_columns() -> None:
    matrix = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_chart_is_valid_svg_with_the_curve() -> None:
    x = np.linspace(0, 1, 2000)
    document = unit_square_chart("ROC <test>", "fpr", "tpr", x, np.sqrt(x), diagonal=True)
    root = ElementTree.fromstring(document)
    assert root.tag.endswith("svg")
    polyline = next(e for e in root.iter() if e.tag.endswith("polyline"))
    assert 100 < len(polyline.attrib["points"].split()) <= 600
    assert "ROC <test>" in "".join(root.itertext())
