"""Request bodies of each content type, made from the sample's headerless CSV rows."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from serve.codecs import CSV, JSON, JSON_LINES, LINE_ALIGNED, NPY

__all__ = ["CSV", "LINE_ALIGNED", "base_type", "body_for", "line_count", "npy_bytes"]

Value = float | int | str | None


def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def parse_value(text: str) -> Value:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def rows(lines: list[bytes]) -> list[list[Value]]:
    text = b"\n".join(lines).decode("utf-8", errors="replace")
    return [[parse_value(field) for field in row] for row in csv.reader(io.StringIO(text)) if row]


def body_for(lines: list[bytes], content_type: str) -> bytes | None:
    """The rows as ``content_type``; None for a type byoa cannot make from CSV rows."""
    kind = base_type(content_type)
    if kind == CSV:
        return b"".join(line + b"\n" for line in lines)
    table = rows(lines)
    if kind == JSON:
        return json.dumps(table).encode()
    if kind == JSON_LINES:
        return b"".join(json.dumps(row).encode() + b"\n" for row in table)
    if kind == NPY:
        return npy_bytes(table)
    return None


def npy_bytes(table: list[list[Value]]) -> bytes | None:
    """A 2-D ``.npy``: float64 when every field is a number, else unicode ("" for missing);
    None for ragged rows."""
    width = len(table[0]) if table else 0
    if not width or any(len(row) != width for row in table):
        return None
    cells = [value for row in table for value in row]
    if all(isinstance(value, int | float) for value in cells):
        array = np.array(table, dtype=np.float64)
    else:
        array = np.array([["" if v is None else str(v) for v in row] for row in table], dtype=str)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def line_count(body: bytes) -> int:
    return len([line for line in body.splitlines() if line.strip()])
