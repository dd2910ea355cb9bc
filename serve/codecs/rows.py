"""Rows decoded from JSON (lists, or objects keyed by feature name) as :class:`Records`."""

from __future__ import annotations

from typing import Any

import numpy as np

from serve.errors import BadRequest
from serve.records import Records


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
    try:
        return np.array(rows, dtype=np.float32)
    except (ValueError, TypeError):
        return _text_values(rows, unit)


def _named(rows: list[dict[str, Any]], unit: str) -> Records:
    columns = tuple(dict.fromkeys(key for row in rows for key in row))
    table = [[row.get(column) for column in columns] for row in rows]
    try:
        return Records(np.array(table, dtype=np.float32), columns)
    except (ValueError, TypeError):
        return Records(_text_values(table, unit, columns), columns)


def _text_values(
    rows: list[list[Any]], unit: str, columns: tuple[str, ...] | None = None
) -> np.ndarray:
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            if isinstance(value, list | dict):
                where = repr(columns[position]) if columns else str(position + 1)
                raise BadRequest(
                    f"{unit} {number}, column {where}: nested {type(value).__name__} values are "
                    "not features; send numbers, strings or null"
                )
    return np.array([["" if v is None else str(v) for v in row] for row in rows], dtype=str)
