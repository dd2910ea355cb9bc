"""The CSV handling the comparison apps share, written with pandas as tutorials write it.

``classic_app`` and ``fastapi_app`` parse bodies and write answers the same way, so the
benchmark compares serving stacks, not parsers: ``pandas.read_csv`` infers each column's type,
numeric frames go to the model as float32, frames with text columns as text.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from serve.records import Predictions, Records


def read_records(text: str) -> Records:
    """The body's rows: float32 when every column parsed as a number, else every field as text
    with missing fields empty."""
    frame = pd.read_csv(io.StringIO(text), header=None)
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes):
        return Records(frame.to_numpy(dtype=np.float32))
    return Records(frame.astype(object).where(frame.notna(), "").to_numpy(dtype=str))


def write_scores(predictions: Predictions) -> str:
    """One score a line, as ``DataFrame.to_csv`` writes it."""
    out = io.StringIO()
    pd.DataFrame({"results": predictions.scores}).to_csv(out, header=False, index=False)
    return out.getvalue()
