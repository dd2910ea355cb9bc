"""A large CSV request's numeric columns read from its text by pandas' C parser.

``Records.text`` holds a large headerless CSV body (validated by the codec: no quotes, every line
as wide as the first). ``read_csv`` of the numeric columns from it takes about a third of the
time of ``float`` field by field at 1,000 bank rows and above. Where the parser would read a field
differently from ``float`` (a field that is no number, ``nan``, a ``true``/``false`` it takes for
1 and 0), this module answers None and the caller reads the fields one by one, which names a bad
one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from byoa import BadRequest, Records

MIN_ROWS = 500  # below, pandas' set-up costs more than reading fields one by one saves
BOOLEAN_HINTS = ("rue", "RUE", "alse", "ALSE")  # in true/false, which pandas reads as numbers


def read_numbers(text: str, fields: np.ndarray, positions: Sequence[int]) -> np.ndarray | None:
    """float64 (rows, positions), NaN for empty fields; ``fields`` is the same request decoded
    (``Records.values``) and ``positions`` are places in its rows."""
    if not positions:
        return None
    try:
        frame = pd.read_csv(
            io.BytesIO(text.encode()), header=None, usecols=sorted(set(positions)),
            dtype=np.float64, engine="c", keep_default_na=False, na_values=[""],
            skip_blank_lines=False,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        return None
    numbers = frame[list(positions)].to_numpy(dtype=np.float64)
    booleans = any(hint in text for hint in BOOLEAN_HINTS)
    if booleans and _has_booleans(numbers, fields[:, list(positions)]):
        return None
    return numbers


def _has_booleans(numbers: np.ndarray, fields: np.ndarray) -> bool:
    """Whether a field that came out as 0 or 1 is no number to ``float`` (a word pandas takes
    for a boolean); ``fields`` are the same columns as text."""
    chosen = fields[(numbers == 0.0) | (numbers == 1.0)]
    try:
        Records(chosen[:, None]).floats([0])
    except BadRequest:
        return True
    return False
