"""Request bodies of each content type, made from the sample's headerless CSV rows."""

from __future__ import annotations

import csv
import io
import json
import struct

CSV = "text/csv"
JSON = "application/json"
JSON_LINES = "application/jsonlines"
NPY = "application/x-npy"
LINE_ALIGNED = (CSV, JSON_LINES)
NPY_MAGIC = b"\x93NUMPY\x01\x00"
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
    """A 2-D ``.npy`` (format 1.0): float64 when every field is a number, else unicode."""
    width = len(table[0]) if table else 0
    if not width or any(len(row) != width for row in table):
        return None
    cells = [value for row in table for value in row]
    if all(isinstance(value, int | float) for value in cells):
        descr = "<f8"
        data = struct.pack(f"<{len(cells)}d", *(float(v) for v in cells))  # type: ignore[arg-type]
    else:
        texts = ["" if value is None else str(value) for value in cells]
        size = max(1, *(len(t) for t in texts))
        descr = f"<U{size}"
        data = b"".join(t.ljust(size, "\0").encode("utf-32-le") for t in texts)
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({len(table)}, {width}), }}"
    padding = 64 - (len(NPY_MAGIC) + 2 + len(header) + 1) % 64
    header += " " * (padding % 64) + "\n"
    return NPY_MAGIC + struct.pack("<H", len(header)) + header.encode("latin-1") + data


def line_count(body: bytes) -> int:
    return len([line for line in body.splitlines() if line.strip()])
