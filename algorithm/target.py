"""The label: which column it is, and how it is encoded for each objective."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from algorithm.features import category_keys
from container.errors import DataError


def label_column(frame: pd.DataFrame, requested: str) -> str:
    """The named label column, or the first column (SageMaker's headerless convention)."""
    columns = [str(c) for c in frame.columns]
    if not requested:
        return columns[0]
    if requested not in columns:
        raise DataError(
            f"label column {requested!r} is not in the training data; its columns are "
            f"{columns[:25]}; set the label hyperparameter to one of them"
        )
    return requested


@dataclass(frozen=True)
class Target:
    """Classes of a classifier, or the centre and scale a regression label is trained in."""

    objective: str
    classes: tuple[str, ...] = ()
    center: float = 0.0
    scale: float = 1.0

    @classmethod
    def fit(cls, labels: pd.Series, objective: str) -> Target:
        _check_no_missing(labels)
        if objective == "regression":
            values = _as_float(labels)
            spread = float(values.std())
            return cls(objective, center=float(values.mean()), scale=spread if spread > 0 else 1.0)
        classes = tuple(sorted(set(category_keys(labels.to_numpy()))))
        if len(classes) < 2:
            raise DataError(
                f"the label has a single class ({classes[0]!r}); a classifier needs at least two "
                "— check the label column and the data split"
            )
        if objective == "binary" and len(classes) > 2:
            raise DataError(
                f"objective is binary but the label has {len(classes)} classes "
                f"({', '.join(classes[:10])}); set objective=multiclass"
            )
        return cls(objective, classes)

    @property
    def outputs(self) -> int:
        return 1 if self.objective in ("binary", "regression") else len(self.classes)

    def encode(self, labels: pd.Series, source: str) -> np.ndarray:
        _check_no_missing(labels, source)
        if self.objective == "regression":
            return _as_float(labels).astype(np.float32)
        keys = category_keys(labels.to_numpy())
        codes = pd.Index(self.classes).get_indexer(pd.Index(keys))
        if (codes < 0).any():
            unseen = sorted(set(keys[codes < 0]))[:5]
            raise DataError(
                f"{source}: label values {unseen} are not among the training labels "
                f"{list(self.classes)[:10]}; every class must appear in train"
            )
        return codes.astype(np.float32 if self.objective == "binary" else np.int64)

    def to_json(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "classes": list(self.classes),
            "center": self.center,
            "scale": self.scale,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        return cls(data["objective"], tuple(data["classes"]), data["center"], data["scale"])


def _check_no_missing(labels: pd.Series, source: str = "train") -> None:
    missing = labels.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing)) + 1
        raise DataError(f"{source}: the label is missing in row {row}; every row needs a label")


def _as_float(labels: pd.Series) -> np.ndarray:
    converted = pd.to_numeric(labels, errors="coerce")
    if converted.isna().any():
        row = int(np.argmax(converted.isna().to_numpy()))
        raise DataError(
            f"objective is regression but label row {row + 1} is {labels.iloc[row]!r}, "
            "not a number; use a classification objective or fix the label"
        )
    return converted.to_numpy(dtype=np.float64)
