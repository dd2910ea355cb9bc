"""``text/csv`` in and out, the way SageMaker's built-in algorithms speak it.

Requests are headerless rows, one record per line (batch transform's ``SplitType=Line`` sends
several). Numeric bodies take a vectorised path straight to float32; bodies with text fields
(categorical columns such as ``housemaid``) fall back to the ``csv`` module and give ``str``
records. Responses hold one line per record, in request order, so ``AssembleWith=Line`` lines
up: by default the positive-class probability (binary), the value (regression) or the chosen
class's probability (multiclass); ``verbose`` adds the label and every class probability.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from serve.codecs.output import prediction_arrays
from serve.errors import BadRequest, UnsupportedMediaType
from serve.records import Records

SMALL_BODY = 64 * 1024


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    text = _text(body, parameters.get("charset", "utf-8"))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip("\n")
    if not text.strip():
        raise BadRequest("empty text/csv body: send one record per line")
    values = None if '"' in text or "\n\n" in text else _numeric(text)
    return Records(values if values is not None else _general(text))


def _text(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset)
    except LookupError:
        raise UnsupportedMediaType(f"unknown charset {charset!r} in Content-Type") from None
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid {charset}: byte {error.start}") from None


def _numeric(text: str) -> np.ndarray | None:
    """Every field a number (or empty, for missing): float32 rows; None for anything else."""
    columns = text.count(",", 0, text.find("\n") if "\n" in text else len(text)) + 1
    rows = text.count("\n") + 1
    if text.count(",") != rows * (columns - 1):
        return None
    parsed = _small(text) if len(text) < SMALL_BODY else _large(text)
    if parsed is None or parsed.size != rows * columns:
        return None
    return parsed.reshape(rows, columns)


def _small(text: str) -> np.ndarray | None:
    commas = text.count(",", 0, text.find("\n")) if "\n" in text else 0
    if "\n" in text and any(line.count(",") != commas for line in text.split("\n")):
        return None
    try:
        return np.fromstring(text.replace("\n", ","), dtype=np.float32, sep=",")
    except ValueError:
        return None


def _large(text: str) -> np.ndarray | None:
    """pandas' C parser; a row longer than the first is a ParserError, and the comma count
    already matched, so no row can be shorter either."""
    try:
        frame = pd.read_csv(
            io.StringIO(text), header=None, dtype=np.float32, skip_blank_lines=False,
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
    for number, row in enumerate(rows, start=1):
        if not row:
            raise BadRequest(f"row {number} is empty: send one record per line")
        if len(row) != width:
            raise BadRequest(
                f"row {number} has {len(row)} columns but row 1 has {width}; "
                "every row needs the same columns"
            )
    values = np.array(rows, dtype=str)
    try:
        return np.where(values == "", "nan", values).astype(np.float32)
    except ValueError:
        return values


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
