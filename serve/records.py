"""What the default codecs hand to ``predict_fn`` and what they expect back from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Records:
    """Decoded request rows, in request order.

    ``values`` is 2-D: float32 when every field was numeric, otherwise ``str`` (unicode) with
    missing fields as ``""``. ``columns`` names the fields when the request named them (JSON
    objects); otherwise the fields are positional, in the training data's feature order.
    """

    values: np.ndarray
    columns: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return int(self.values.shape[0])


@dataclass(frozen=True)
class Predictions:
    """One prediction per input row.

    ``scores`` is what SageMaker's built-in algorithms return by default: the positive-class
    probability for binary classification, the value for regression, and for multiclass the
    predicted label's probability. ``labels`` and ``probabilities`` (columns in ``classes``
    order) are filled for classifiers and give the richer output.
    """

    scores: np.ndarray
    labels: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    classes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.scores.shape[0])
