"""A channel's CSV read in chunks into compact arrays: one pass, no full text table in memory.

pandas holds a whole CSV as float64 columns and one Python string per text field, several times
the size of the float32 matrix the network needs. Here each chunk of ``CHUNK_ROWS`` rows (fewer
for wide files) is turned at once into float32 numbers (NaN where missing) and int32 category
codes (0 where missing), written into arrays sized from a line count of the files, and dropped;
the only text kept is each column's distinct values. Peak memory is the arrays plus one chunk.

A column is numeric when pandas reads it as numbers in the first chunk, or when the
``numeric_columns`` hyperparameter names it; a later text value in a numeric column is an error
that names the row. Everything else is categorical.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pandas as pd

from algorithm.features import category_keys, column_as_float, is_numeric
from byoa import (
    ChannelReader,
    DataError,
    csv_header_parameter,
    detect_separator,
    looks_like_header,
    rows_checked,
)

CHUNK_ROWS = 100_000
CHUNK_CELLS = 5_000_000  # fewer rows per chunk for wide files

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColumnPlan:
    """Which columns are the label, numeric and categorical (fixed by the train channel)."""

    columns: tuple[str, ...]
    label: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @classmethod
    def decide(
        cls,
        first: pd.DataFrame,
        label: str,
        categorical: Sequence[str] = (),
        numeric: Sequence[str] = (),
    ) -> ColumnPlan:
        columns = tuple(str(c) for c in first.columns)
        features = tuple(c for c in columns if c != label)
        _check_overrides(features, categorical, numeric)
        categorical_columns = tuple(
            c for c in features
            if c in categorical or (c not in numeric and not is_numeric(first[c]))
        )  # fmt: skip
        numeric_columns = tuple(c for c in features if c not in categorical_columns)
        return cls(columns, label, numeric_columns, categorical_columns)


@dataclass
class Codebook:
    """Distinct text values of one column in order of first appearance; code = index + 1."""

    keys: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def codes(self, values: np.ndarray) -> np.ndarray:
        inverse, distinct = pd.factorize(category_keys(values))
        lookup = np.empty(len(distinct), dtype=np.int32)
        for position, key in enumerate(distinct.tolist()):
            if key == "":
                lookup[position] = 0
                continue
            if key not in self.index:
                self.keys.append(key)
                self.index[key] = len(self.keys)
            lookup[position] = self.index[key]
        return lookup[inverse]


@dataclass
class RawTable:
    """A channel's rows: float32 numbers, int32 codes into ``codebooks``, and the label."""

    plan: ColumnPlan
    numeric: np.ndarray  # float32 (rows, numeric), raw values, NaN where missing
    categorical: np.ndarray  # int32 (rows, categorical), codes into codebooks, 0 = missing
    codebooks: list[Codebook]
    label_values: np.ndarray  # float64 label values (regression) or int32 label codes
    label_codebook: Codebook | None  # classification: the label's distinct values

    def __len__(self) -> int:
        return int(self.numeric.shape[0])

    def category_counts(self, column: int) -> np.ndarray:
        """How often each code of a categorical column occurs (index = code)."""
        size = len(self.codebooks[column].keys) + 1
        return np.bincount(self.categorical[:, column], minlength=size)


class RowStore:
    """Rows appended into one preallocated array, grown (by doubling) only past its capacity.

    Pages of ``np.empty`` that are never written are never resident, so a generous capacity
    costs no memory; with the right capacity the rows are never copied.
    """

    def __init__(self, width: int, dtype: type, capacity: int) -> None:
        self.array: np.ndarray = np.empty((max(capacity, 1), width), dtype=dtype)
        self.rows = 0

    def append(self, block: np.ndarray) -> None:
        end = self.rows + len(block)
        if end > len(self.array):
            grown = np.empty((max(end, 2 * len(self.array)), self.array.shape[1]), self.array.dtype)
            grown[: self.rows] = self.array[: self.rows]
            self.array = grown
        self.array[self.rows : end] = block
        self.rows = end

    def result(self) -> np.ndarray:
        return self.array[: self.rows]


class TableBuilder:
    """Accumulates chunks of one channel under a fixed column plan."""

    def __init__(
        self, plan: ColumnPlan, source: str, regression: bool, capacity: int = CHUNK_ROWS
    ) -> None:
        self.plan = plan
        self.source = source
        self.regression = regression
        self.codebooks = [Codebook() for _ in plan.categorical]
        self.label_codebook = None if regression else Codebook()
        self.numeric = RowStore(len(plan.numeric), np.float32, capacity)
        self.categorical = RowStore(len(plan.categorical), np.int32, capacity)
        self.labels: list[np.ndarray] = []
        self.rows = 0

    def add(self, chunk: pd.DataFrame) -> None:
        self._check_columns(chunk)
        numbers = np.empty((len(chunk), len(self.plan.numeric)), dtype=np.float32)
        for i, name in enumerate(self.plan.numeric):
            numbers[:, i] = self._as_float(chunk[name], name)
        codes = np.empty((len(chunk), len(self.plan.categorical)), dtype=np.int32)
        for i, name in enumerate(self.plan.categorical):
            codes[:, i] = self.codebooks[i].codes(chunk[name].to_numpy())
        labels = self._labels(chunk[self.plan.label])
        self.numeric.append(numbers)
        self.categorical.append(codes)
        self.labels.append(labels)
        self.rows += len(chunk)

    def finish(self) -> RawTable:
        if self.rows == 0:
            raise DataError(f"{self.source} has no data rows")
        labels = np.concatenate(self.labels)
        self.labels = []
        return RawTable(
            self.plan,
            self.numeric.result(),
            self.categorical.result(),
            self.codebooks,
            labels,
            self.label_codebook,
        )

    def _check_columns(self, chunk: pd.DataFrame) -> None:
        columns = tuple(str(c) for c in chunk.columns)
        if columns == self.plan.columns:
            return
        missing = [c for c in self.plan.columns if c not in columns]
        extra = [c for c in columns if c not in self.plan.columns]
        detail = f"missing {missing[:10]}, unexpected {extra[:10]}" if missing or extra else "order"
        raise DataError(
            f"the {self.source} channel's columns differ from train's ({detail}); give every "
            f"channel and file the same columns in the same order (train has "
            f"{list(self.plan.columns)[:25]})"
        )

    def _as_float(self, series: pd.Series, name: str) -> np.ndarray:
        try:
            return column_as_float(series, name, self.source)
        except DataError as error:
            raise DataError(_shift_row(error.reason, self.rows)) from None

    def _labels(self, series: pd.Series) -> np.ndarray:
        missing = series.isna().to_numpy()
        if missing.any():
            row = self.rows + int(np.argmax(missing)) + 1
            raise DataError(
                f"{self.source}: the label is missing in row {row}; every row needs one"
            )
        if self.label_codebook is not None:
            return self.label_codebook.codes(series.to_numpy())
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna().to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"objective is regression but the label in row {self.rows + row + 1} of "
                f"{self.source} is {str(series.iloc[row])!r}, not a number; use a "
                "classification objective or fix the label"
            )
        return converted.to_numpy(dtype=np.float64)


def _shift_row(reason: str, offset: int) -> str:
    """Chunk-relative ``row N`` in a message -> the row number in the whole channel."""
    head, marker, tail = reason.partition(" row ")
    number, space, rest = tail.partition(" ")
    if not marker or not number.isdigit():
        return reason
    return f"{head}{marker}{int(number) + offset}{space}{rest}"


def count_lines(reader: ChannelReader) -> int:
    """Newlines in the channel's files: a bound on its rows that sizes the arrays up front."""
    total = 0
    for _, stream in reader.open_streams():
        while block := stream.read(1 << 22):
            total += block.count(b"\n")
        total += 1
    return total


def read_chunks(reader: ChannelReader, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The channel's CSV files as data frames of at most ``chunk_rows`` rows."""
    header = csv_header_parameter(reader.content_type)
    for name, stream in reader.open_streams():
        yield from _file_chunks(reader.name, name, stream, header, chunk_rows)


def _file_chunks(
    channel: str, name: str, stream: IO[bytes], header: bool | None, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    head = stream.peek(65536) if hasattr(stream, "peek") else b""
    lines = head.decode("utf-8", errors="replace").splitlines()[:2]
    separator = detect_separator(lines[0] if lines else "")
    has_header = header if header is not None else looks_like_header(lines, separator)
    fields = len(lines[0].split(separator)) if lines else 1
    chunk_rows = max(1_000, min(chunk_rows, CHUNK_CELLS // fields))
    rows, columns = 0, 0
    try:
        for chunk in pd.read_csv(
            rows_checked(stream, separator, channel, name),
            sep=separator,
            header=0 if has_header else None,
            chunksize=chunk_rows,
        ):
            if not has_header:
                chunk.columns = [str(i) for i in range(chunk.shape[1])]
            rows, columns = rows + len(chunk), chunk.shape[1]
            yield chunk
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(
            f"channel {channel!r}, file {name}: not readable as CSV ({error})"
        ) from error
    log.info("channel %s: read %s (%d rows, %d columns)", channel, name, rows, columns)


def read_table(
    chunks: Iterable[pd.DataFrame],
    source: str,
    regression: bool,
    plan: ColumnPlan | None = None,
    label: str = "",
    categorical: Sequence[str] = (),
    numeric: Sequence[str] = (),
    capacity: int = CHUNK_ROWS,
) -> RawTable:
    """All chunks as one RawTable; without a ``plan`` it is decided from the first chunk.

    ``capacity`` is the expected number of rows (``count_lines`` gives a bound).
    """
    builder: TableBuilder | None = None
    for chunk in chunks:
        if builder is None:
            if plan is None:
                plan = ColumnPlan.decide(chunk, _label_name(chunk, label), categorical, numeric)
            builder = TableBuilder(plan, source, regression, capacity)
        builder.add(chunk)
    if builder is None:
        raise DataError(f"{source} has no data rows")
    return builder.finish()


def _label_name(first: pd.DataFrame, requested: str) -> str:
    """The named label column, or the first column (SageMaker's headerless convention)."""
    columns = [str(c) for c in first.columns]
    if not requested:
        return columns[0]
    if requested not in columns:
        raise DataError(
            f"label column {requested!r} is not in the training data; its columns are "
            f"{columns[:25]}; set the label hyperparameter to one of them"
        )
    return requested


def _check_overrides(
    features: tuple[str, ...], categorical: Sequence[str], numeric: Sequence[str]
) -> None:
    unknown = [c for c in (*categorical, *numeric) if c not in features]
    if unknown:
        raise DataError(
            f"categorical_columns/numeric_columns name columns that are not features of the "
            f"data: {unknown[:10]}; the feature columns are {list(features)[:25]}"
        )
    both = sorted(set(categorical) & set(numeric))
    if both:
        raise DataError(f"columns {both[:10]} are listed as both categorical and numeric")
