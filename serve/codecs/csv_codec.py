"""``text/csv`` in and out, the way SageMaker's built-in algorithms speak it.

Requests are headerless rows, one record per line (batch transform's ``SplitType=Line`` sends
several). Numeric bodies take a vectorised path straight to float32; bodies with text fields
(categorical columns such as ``housemaid``) give ``str`` records, split by a vectorised path
too when no field is quoted, else by the ``csv`` module. Responses hold one line per record,
in request order, so ``AssembleWith=Line`` lines up: by default the positive-class probability
(binary), the value (regression) or the chosen class's probability (multiclass); ``verbose``
adds the label and every class probability.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from serve.codecs.output import prediction_arrays
from serve.codecs.rows import check_padding
from serve.codecs.text import body_text
from serve.errors import BadRequest
from serve.records import Records

SMALL_BODY = 4 * 1024
LARGE_BODY = 128 * 1024


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    text = body_text(body, parameters.get("charset", "utf-8"), "the body")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip("\n")
    if not text.strip():
        raise BadRequest("empty text/csv body: send one record per line")
    if '"' in text or "\n\n" in text:
        return Records(_general(text))
    values = _numeric(text) if _numbers_only(text.partition("\n")[0]) else None
    if values is not None:
        return Records(values)
    return Records(_fields(text), text=_kept(text))


def _kept(text: str) -> str | None:
    """The text for :attr:`Records.text` (it is in memory anyway): none with a NUL, which CSV
    readers in C take for the end of a field."""
    return None if "\0" in text else text


def _numeric(text: str) -> np.ndarray | None:
    """Every field a number (or empty, for missing): float32 rows; None for anything else.

    Three parsers, by body size, each the fastest there: numpy's for a few rows (no set-up, but
    about 180 ns a value), pandas' C parser on the fields as one column for up to a few hundred
    rows (its set-up is per column: 0.2 ms instead of 0.85 ms for 60 columns), and pandas
    column by column above that, where its per-row cost dominates (100 rows of 60: 1.07 ms,
    0.35 ms and 0.96 ms).
    """
    first_line = text.find("\n")
    columns = text.count(",", 0, first_line if first_line >= 0 else len(text)) + 1
    rows = text.count("\n") + 1
    if text.count(",") != rows * (columns - 1):
        return None
    if len(text) >= LARGE_BODY:
        parsed = _pandas(text)
    elif rows > 1 and any(line.count(",") != columns - 1 for line in text.split("\n")):
        return None  # the fields alone no longer show where a row ends
    elif len(text) < SMALL_BODY:
        parsed = _numpy(text.replace("\n", ","))
    else:
        parsed = _pandas(text.replace(",", "\n"))
    if parsed is None or parsed.size != rows * columns:
        return None
    return parsed.reshape(rows, columns)


def _numbers_only(line: str) -> bool:
    """Whether every field of ``line`` (the first row) is a number or empty: one text field
    settles that the body takes the text path, without parsing all of it as numbers first."""
    try:
        for field in line.split(","):
            if field:
                float(field)
    except ValueError:
        return False
    return True


def _fields(text: str) -> np.ndarray:
    """A body without quotes as ``str`` rows, the fields found with numpy in the text's code
    points: every byte is looked at a few times in C, no Python object per field."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    is_delimiter = (points == ord(",")) | (points == ord("\n"))
    delimiters = np.flatnonzero(is_delimiter)
    line_ends = np.flatnonzero(points[delimiters] == ord("\n"))
    counts = np.diff(line_ends, prepend=-1, append=len(delimiters))  # fields per row
    width = int(counts[0])
    ragged = np.flatnonzero(counts != width)
    if ragged.size:
        number = int(ragged[0]) + 1
        raise BadRequest(
            f"row {number} has {counts[number - 1]} columns but row 1 has {width}; "
            "every row needs the same columns"
        )
    # Each field padded with NULs to the longest one's width: a row of the table per field,
    # filled through a mask of the places its characters go (twice as fast as np.repeat)
    bounds = np.empty(len(delimiters) + 2, dtype=np.intp)
    bounds[0], bounds[1:-1], bounds[-1] = -1, delimiters, len(points)
    lengths = np.diff(bounds) - 1
    longest = max(int(lengths.max()), 1)
    check_padding(longest, len(lengths), len(points) - len(delimiters))
    table = np.zeros((len(lengths), longest), dtype=np.uint32)
    table[np.arange(longest) < lengths[:, None]] = points[~is_delimiter]
    values = table.view(f"<U{longest}").reshape(len(counts), width)
    return _as_numbers(values)


def _as_numbers(values: np.ndarray) -> np.ndarray:
    """float32 when every field is a number (the first row decides cheaply), else the text."""
    try:
        np.where(values[:1] == "", "nan", values[:1]).astype(np.float32)
        return np.where(values == "", "nan", values).astype(np.float32)
    except ValueError:
        return values


def _numpy(fields: str) -> np.ndarray | None:
    try:
        return np.fromstring(fields, dtype=np.float32, sep=",")
    except ValueError:
        return None


def _pandas(text: str) -> np.ndarray | None:
    """pandas' C parser; a row longer than the first is a ParserError, and the comma count
    already matched, so no row can be shorter either. It reads bytes: from a ``str`` it encodes
    chunk by chunk, a third slower at 2.4 MB."""
    try:
        frame = pd.read_csv(
            io.BytesIO(text.encode()), header=None, dtype=np.float32, skip_blank_lines=False,
            engine="c", na_filter=True, keep_default_na=False, na_values=[""],
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        return None
    return frame.to_numpy(dtype=np.float32)


def _general(text: str) -> np.ndarray:
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise BadRequest(f"row {reader.line_num}: malformed CSV ({error})") from None
    width = len(rows[0])
    lengths = [len(field) for row in rows for field in row]
    check_padding(max(lengths, default=0), len(lengths), sum(lengths))
    for number, row in enumerate(rows, start=1):
        if not row:
            raise BadRequest(f"row {number} is empty: send one record per line")
        if len(row) != width:
            raise BadRequest(
                f"row {number} has {len(row)} columns but row 1 has {width}; "
                "every row needs the same columns"
            )
    return _as_numbers(np.array(rows, dtype=str))


def encode(prediction: object, verbose: bool) -> bytes:
    arrays = prediction_arrays(prediction, verbose)
    fields = [_column_text(column) for column in arrays]
    if len(fields) == 1:
        return ("\n".join(fields[0]) + "\n").encode()
    return ("\n".join(",".join(row) for row in zip(*fields, strict=True)) + "\n").encode()


def _column_text(column: np.ndarray) -> list[str]:
    if column.dtype.kind == "f":
        return ("%.7g\n" * len(column) % tuple(column.tolist())).split("\n")[:-1]
    return [_quote(str(value)) for value in column.tolist()]


def _quote(text: str) -> str:
    if any(char in text for char in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text
