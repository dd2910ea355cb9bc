"""What the default codecs hand to ``predict_fn`` and what they expect back from it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from serve.errors import BadRequest


@dataclass(frozen=True)
class Records:
    """Decoded request rows, in request order.

    ``values`` is 2-D: float32 when every field was numeric, otherwise ``str`` (unicode) with
    missing fields as ``""``. ``columns`` names the fields when the request named them (JSON
    objects); otherwise the fields are positional, in the training data's feature order.
    ``text`` is the body itself when it was CSV with text fields and no quotes (``\n`` line
    ends, one record per line, every line as wide as ``values``): an algorithm may parse the
    columns it needs from it with a CSV reader of its own, faster than reading ``values`` field
    by field.
    """

    values: np.ndarray
    columns: tuple[str, ...] | None = None
    text: str | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def floats(self, positions: Sequence[int], names: Sequence[str] | None = None) -> np.ndarray:
        """The columns at ``positions`` as float64, NaN for empty fields, each field read as
        Python's ``float`` reads it; a BadRequest names the first field that is not a number by
        its row and its column (``names[i]`` for ``positions[i]``, else the position)."""
        block = self.values[:, list(positions)]
        if block.dtype.kind in "fiub":
            return block.astype(np.float64)
        return _parsed_fields(block, names or [str(p + 1) for p in positions])


def _parsed_fields(block: np.ndarray, names: Sequence[str]) -> np.ndarray:
    try:
        parsed = [float(text) if text else math.nan for text in block.ravel().tolist()]
        return np.array(parsed, dtype=np.float64).reshape(block.shape)
    except (ValueError, TypeError):
        pass  # found below, by row and column
    for (row, column), text in np.ndenumerate(block):
        if not _is_number(text):
            raise BadRequest(
                f"row {row + 1}, column {names[column]!r}: {str(text)!r} is not a number"
            )
    raise AssertionError("unreachable: some field failed to parse")


def _is_number(value: object) -> bool:
    if value == "" or value is None:
        return True
    try:
        float(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False
    return True


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
