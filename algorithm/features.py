"""The feature transform fitted on the training data and saved with the weights.

Numeric columns are standardised (missing values become the training mean, i.e. 0 after
scaling, plus a missing-value indicator column). Categorical columns become integer codes for
embeddings: 0 is reserved for missing and unseen values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from container.errors import DataError
from serve.errors import BadRequest
from serve.records import Records

MAX_CATEGORIES = 10_000


@dataclass(frozen=True)
class EncodedFeatures:
    numeric: np.ndarray  # float32 (rows, numeric columns + missing indicators)
    categorical: np.ndarray  # int64 (rows, categorical columns)


@dataclass(frozen=True)
class FeatureTransform:
    columns: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    vocabularies: tuple[tuple[str, ...], ...]

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, categorical: Sequence[str] = (), numeric: Sequence[str] = ()
    ) -> FeatureTransform:
        columns = tuple(str(c) for c in frame.columns)
        _check_overrides(columns, categorical, numeric)
        categorical_columns = tuple(
            c for c in columns
            if c in categorical or (c not in numeric and not _is_numeric(frame[c]))
        )  # fmt: skip
        numeric_columns = tuple(c for c in columns if c not in categorical_columns)
        numbers = [column_as_float(frame[c], c, "train") for c in numeric_columns]
        means = tuple(_finite_mean(x) for x in numbers)
        scales = tuple(_finite_scale(x) for x in numbers)
        vocabularies = tuple(_vocabulary(frame[c]) for c in categorical_columns)
        return cls(columns, numeric_columns, categorical_columns, means, scales, vocabularies)

    @property
    def numeric_width(self) -> int:
        return 2 * len(self.numeric)

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(len(v) + 1 for v in self.vocabularies)

    def encode_frame(self, frame: pd.DataFrame, source: str) -> EncodedFeatures:
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise DataError(
                f"{source} lacks the training columns {missing[:5]}; "
                "every channel needs the same columns as train"
            )
        numbers = [column_as_float(frame[c], c, source) for c in self.numeric]
        codes = [category_codes(frame[c].to_numpy(), v) for c, v in zip(self.categorical, self.vocabularies, strict=True)]
        return self._assemble(numbers, codes, len(frame))

    def encode_records(self, records: Records) -> EncodedFeatures:
        values = self._ordered(records)
        index = {name: i for i, name in enumerate(self.columns)}
        numbers = [_records_column_as_float(values[:, index[c]], c) for c in self.numeric]
        codes = [
            category_codes(values[:, index[c]], v)
            for c, v in zip(self.categorical, self.vocabularies, strict=True)
        ]
        return self._assemble(numbers, codes, len(records))

    def _ordered(self, records: Records) -> np.ndarray:
        values = records.values
        if records.columns is None:
            if values.shape[1] != len(self.columns):
                raise BadRequest(
                    f"expected {len(self.columns)} columns per row, got {values.shape[1]} "
                    f"(columns: {', '.join(self.columns)})"
                )
            return values
        missing = [c for c in self.columns if c not in records.columns]
        if missing:
            raise BadRequest(f"records lack the features {', '.join(missing[:10])}")
        positions = [records.columns.index(c) for c in self.columns]
        return values[:, positions]

    def _assemble(self, numbers: list[np.ndarray], codes: list[np.ndarray], rows: int) -> EncodedFeatures:
        numeric = np.zeros((rows, self.numeric_width), dtype=np.float32)
        for i, (x, mean, scale) in enumerate(zip(numbers, self.means, self.scales, strict=True)):
            missing = np.isnan(x)
            numeric[:, 2 * i] = np.where(missing, 0.0, (x - mean) / scale)
            numeric[:, 2 * i + 1] = missing
        categorical = np.stack(codes, axis=1) if codes else np.zeros((rows, 0), dtype=np.int64)
        return EncodedFeatures(numeric, categorical)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureTransform:
        return cls(
            columns=tuple(data["columns"]),
            numeric=tuple(data["numeric"]),
            categorical=tuple(data["categorical"]),
            means=tuple(data["means"]),
            scales=tuple(data["scales"]),
            vocabularies=tuple(tuple(v) for v in data["vocabularies"]),
        )


def _check_overrides(columns: tuple[str, ...], categorical: Sequence[str], numeric: Sequence[str]) -> None:
    unknown = [c for c in (*categorical, *numeric) if c not in columns]
    if unknown:
        raise DataError(f"column overrides name unknown columns {unknown}; columns are {list(columns)}")


def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def column_as_float(series: pd.Series, name: str, source: str) -> np.ndarray:
    if _is_numeric(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & series.notna()
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"{source}: column {name!r} is numeric but row {row + 1} holds {series.iloc[row]!r}; "
            f"fix the value or list the column in categorical_columns"
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)


def _records_column_as_float(column: np.ndarray, name: str) -> np.ndarray:
    if column.dtype.kind == "f":
        return column.astype(np.float64)
    text = np.where(column == "", "nan", column)
    try:
        return text.astype(np.float64)
    except ValueError:
        row = next(i for i, v in enumerate(text) if not _parses(v))
        raise BadRequest(f"row {row + 1}, column {name!r}: {column[row]!r} is not a number") from None


def _parses(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _finite_mean(x: np.ndarray) -> float:
    finite = x[np.isfinite(x)]
    return float(finite.mean()) if finite.size else 0.0


def _finite_scale(x: np.ndarray) -> float:
    finite = x[np.isfinite(x)]
    scale = float(finite.std()) if finite.size else 0.0
    return scale if scale > 1e-12 else 1.0


def category_keys(values: np.ndarray) -> np.ndarray:
    """Values as the strings categories are stored under (``3.0`` and ``3`` both give ``"3"``)."""
    if values.dtype.kind in "fiu":
        as_float = values.astype(np.float64)
        integral = np.isfinite(as_float) & (as_float == np.round(as_float))
        text = np.where(integral, np.char.mod("%d", np.nan_to_num(as_float).astype(np.int64)), as_float.astype(str))
        return np.where(np.isnan(as_float), "", text)
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), "").astype(str).to_numpy()


def _vocabulary(series: pd.Series) -> tuple[str, ...]:
    keys = pd.Series(category_keys(series.to_numpy()))
    counts = keys[keys != ""].value_counts()
    return tuple(sorted(counts.index[:MAX_CATEGORIES]))


def category_codes(values: np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
    codes = pd.Categorical(category_keys(values), categories=vocabulary).codes
    return (codes.astype(np.int64) + 1)
