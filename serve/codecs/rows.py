"""Rows decoded from JSON (lists, or objects keyed by feature name) as :class:`Records`."""

from __future__ import annotations

from typing import Any

import numpy as np

from serve.errors import BadRequest
from serve.records import Records

MAX_CELLS_PER_VALUE = 4
"""Records given as objects become a table of every feature any of them names; the table holds
at most this many cells per value sent (plus :data:`SMALL_TABLE`), so records may leave some
features out (missing) but records with disjoint keys cannot grow it quadratically."""

MAX_TEXT_PADDING = 64
"""Text values become a NumPy string array, each as long as the longest: at most this many
characters per character sent (plus 256 per :data:`SMALL_TABLE` cell), or one long value among
many short ones could take memory quadratic in the body."""

SMALL_TABLE = 4096
"""Cells any request may have, whatever the two ratios above say."""

LARGEST_FLOAT = 2**1024  # above float64's largest finite value: Python refuses to convert it


def rows_to_records(rows: list[Any], unit: str = "instance") -> Records:
    """``rows`` all lists (positional) or all objects (named); ``unit`` names them in errors."""
    if not rows:
        raise BadRequest(f"no {unit}s in the request: send at least one record")
    rows = [_unwrap(row) for row in rows]
    if all(isinstance(row, list) for row in rows):
        return Records(_positional(rows, unit))
    if all(isinstance(row, dict) for row in rows):
        return _named(rows, unit)
    kinds = sorted({type(row).__name__ for row in rows})
    raise BadRequest(
        f"each {unit} must be a list of values or an object keyed by feature name; got {kinds}"
    )


def _unwrap(row: Any) -> Any:
    """SageMaker's built-in format ``{"features": [...]}`` is a positional row."""
    if isinstance(row, dict) and len(row) == 1 and isinstance(row.get("features"), list):
        return row["features"]
    return row


def _positional(rows: list[list[Any]], unit: str) -> np.ndarray:
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise BadRequest(
                f"{unit} {number} has {len(row)} values but {unit} 1 has {width}; "
                f"every {unit} needs the same columns"
            )
    numbers = _float_values(rows, unit)
    return numbers if numbers is not None else _text_values(rows, unit)


def _named(rows: list[dict[str, Any]], unit: str) -> Records:
    columns = tuple(dict.fromkeys(key for row in rows for key in row))
    values = sum(len(row) for row in rows)
    if len(rows) * len(columns) > MAX_CELLS_PER_VALUE * values + SMALL_TABLE:
        raise BadRequest(
            f"the {len(rows)} {unit}s name {len(columns)} different features, but hold only "
            f"{values} values: send records that share their features"
        )
    table = [[row.get(column) for column in columns] for row in rows]
    numbers = _float_values(table, unit, columns)
    if numbers is not None:
        return Records(numbers, columns)
    return Records(_text_values(table, unit, columns), columns)


def _float_values(
    rows: list[list[Any]], unit: str, columns: tuple[str, ...] | None = None
) -> np.ndarray | None:
    """float32 when every value is a number or null (beyond float32 is inf); None otherwise."""
    try:
        with np.errstate(over="ignore"):
            values = np.array(rows, dtype=np.float32)
    except OverflowError:
        raise _too_large(rows, unit, columns) from None
    except (ValueError, TypeError):
        return None
    return values if values.ndim == 2 else None  # more dimensions: nested lists


def _too_large(rows: list[list[Any]], unit: str, columns: tuple[str, ...] | None) -> BadRequest:
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            if isinstance(value, int) and abs(value) > LARGEST_FLOAT:
                digits = len(str(abs(value)))
                return BadRequest(
                    f"{unit} {number}, column {_column(position, columns)}: an integer of "
                    f"{digits} digits is beyond float64, the widest number a feature can be"
                )
    return BadRequest(f"a number in the {unit}s is beyond float64")


def _column(position: int, columns: tuple[str, ...] | None) -> str:
    return repr(columns[position]) if columns else str(position + 1)


def _text_values(
    rows: list[list[Any]], unit: str, columns: tuple[str, ...] | None = None
) -> np.ndarray:
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            if isinstance(value, list | dict):
                raise BadRequest(
                    f"{unit} {number}, column {_column(position, columns)}: nested "
                    f"{type(value).__name__} values are not features; send numbers, strings "
                    "or null"
                )
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    lengths = [len(text) for row in texts for text in row]
    check_padding(max(lengths, default=0), len(lengths), sum(lengths))
    return np.array(texts, dtype=str)


def check_padding(longest: int, count: int, characters: int) -> None:
    """A BadRequest when ``count`` values of ``characters`` in all would take more than
    :data:`MAX_TEXT_PADDING` times that padded to the ``longest`` one's width."""
    if count * longest > MAX_TEXT_PADDING * characters + SMALL_TABLE * 256:
        raise BadRequest(
            f"a value of {longest} characters would pad all {count} values to its "
            "length; send long texts in a request of their own or shorten them"
        )
