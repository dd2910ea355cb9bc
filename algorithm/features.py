"""The feature transform fitted on the training data and saved with the weights.

Columns are numeric or categorical (``algorithm.table`` decides; ``algorithm.encoding`` fits).

- Numeric columns are standardised with the training mean and deviation and kept as float32
  with NaN for missing values; the network turns NaN into a missing-value indicator. Each
  numeric column also gets bin edges (in standardised units: target-aware, see
  ``algorithm.binning``, or quantiles) for the piecewise-linear encoding of Gorishniy,
  Rubachev and Babenko (2022), "On Embeddings for Numerical Features in Tabular Deep Learning"
  (NeurIPS 2022). A constant column gets no bins.
- Categorical columns become int32 codes for embeddings: 0 is reserved for missing values and
  for categories unseen in training.

The encoded matrices are the only copy of the data set kept during training: float32 numbers and
int32 codes, one row per record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from algorithm import request_text
from byoa import BadRequest, DataError, Records

MAX_CATEGORIES = 10_000
LOOKUP_ROWS = 64  # up to this many rows a dict lookup per field beats sorted search
QUANTILE_SAMPLE_ROWS = 200_000


@dataclass(frozen=True)
class EncodedFeatures:
    numeric: np.ndarray  # float32 (rows, numeric columns), standardised, NaN where missing
    categorical: np.ndarray  # int32 (rows, categorical columns), 0 = missing or unseen

    def __len__(self) -> int:
        return int(self.numeric.shape[0])


@dataclass(frozen=True)
class FeatureTransform:
    columns: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    edges: tuple[tuple[float, ...], ...]
    vocabularies: tuple[tuple[str, ...], ...]

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(len(v) + 1 for v in self.vocabularies)

    def encode_records(self, records: Records) -> EncodedFeatures:
        positions = self._positions(records)
        numeric = [positions[i] for i in self._numeric_positions]
        categorical = [positions[i] for i in self._categorical_positions]
        numbers = self._numbers(records, numeric)
        standardised = numbers.astype(np.float32)
        standardised -= self._float32_means  # float32 element by element, exactly as in training
        standardised /= self._float32_scales
        return EncodedFeatures(standardised, self._codes(records.values[:, categorical]))

    def _numbers(self, records: Records, positions: list[int]) -> np.ndarray:
        """From the request's CSV text when it is large and kept it, else field by field."""
        if records.text is not None and len(records) >= request_text.MIN_ROWS:
            numbers = request_text.read_numbers(records.text, records.values, positions)
            if numbers is not None:
                return numbers
        return records.floats(positions, self.numeric)

    def prepare(self) -> FeatureTransform:
        """Build the per-model lookups now (at load time) rather than on the first request."""
        _ = self._numeric_positions, self._categorical_positions, self._lookups
        _ = self._float32_means, self._float32_scales
        return self

    def _codes(self, block: np.ndarray) -> np.ndarray:
        if block.dtype.kind != "U":  # numbers (or objects) become the keys categories have
            columns = [category_keys(block[:, i]) for i in range(block.shape[1])]
            block = (np.stack(columns, axis=1) if columns else block).astype(str)
        if block.shape[0] <= LOOKUP_ROWS:
            positions = [lookup.position for lookup in self._lookups]
            return np.array(
                [[position.get(key, 0) for position, key in zip(positions, row, strict=True)]
                 for row in block.tolist()],
                dtype=np.int32,
            ).reshape(block.shape)  # fmt: skip
        codes = np.empty(block.shape, dtype=np.int32)
        for i, lookup in enumerate(self._lookups):
            codes[:, i] = lookup.codes(block[:, i])
        return codes

    @cached_property
    def _lookups(self) -> tuple[CategoryLookup, ...]:
        return tuple(CategoryLookup(vocabulary) for vocabulary in self.vocabularies)

    @cached_property
    def _numeric_positions(self) -> list[int]:
        return [self.columns.index(name) for name in self.numeric]

    @cached_property
    def _categorical_positions(self) -> list[int]:
        return [self.columns.index(name) for name in self.categorical]

    @cached_property
    def _float32_means(self) -> np.ndarray:
        return np.asarray(self.means, dtype=np.float32)

    @cached_property
    def _float32_scales(self) -> np.ndarray:
        return np.asarray(self.scales, dtype=np.float32)

    def _positions(self, records: Records) -> list[int]:
        """Where each of the transform's columns is among the records' fields."""
        values = records.values
        if values.ndim != 2:
            raise BadRequest("expected rows of features (a 2-D table)")
        if records.columns is None:
            if values.shape[1] != len(self.columns):
                raise BadRequest(
                    f"expected {len(self.columns)} columns per row, got {values.shape[1]} "
                    f"(columns: {', '.join(self.columns)})"
                )
            return list(range(len(self.columns)))
        missing = [c for c in self.columns if c not in records.columns]
        if missing:
            raise BadRequest(f"records lack the features {', '.join(missing[:10])}")
        return [records.columns.index(c) for c in self.columns]

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
            edges=tuple(tuple(e) for e in data["edges"]),
            vocabularies=tuple(tuple(v) for v in data["vocabularies"]),
        )


def quantile_edges(x: np.ndarray, bins: int) -> tuple[float, ...]:
    """At most ``bins`` bins, none for a constant: the distinct values when there are few of
    them (a thermometer code), else distinct quantiles of the finite values."""
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return ()
    distinct = np.unique(finite.astype(np.float32))
    if len(distinct) <= bins + 1:
        edges = distinct
    else:
        edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, bins + 1)).astype(np.float32))
    return tuple(float(e) for e in edges) if len(edges) > 1 else ()


def sample_rows(rows: int, seed: int) -> np.ndarray:
    if rows <= QUANTILE_SAMPLE_ROWS:
        return np.arange(rows)
    return np.sort(np.random.RandomState(seed).choice(rows, QUANTILE_SAMPLE_ROWS, replace=False))


def is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def column_as_float(series: pd.Series, name: str, source: str) -> np.ndarray:
    """The column as float64 with NaN for missing; a DataError names the first bad value."""
    if is_numeric(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    bad = (converted.isna() & series.notna()).to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{source}: column {name!r} is numeric but row {row + 1} holds "
            f"{series.iloc[row]!r}; fix the value or list the column in categorical_columns"
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)


def finite_mean(x: np.ndarray) -> float:
    finite = x[np.isfinite(x)]
    return float(finite.mean()) if finite.size else 0.0


def finite_scale(x: np.ndarray) -> float:
    finite = x[np.isfinite(x)]
    scale = float(finite.std()) if finite.size else 0.0
    return scale if scale > 1e-12 else 1.0


def category_keys(values: np.ndarray) -> np.ndarray:
    """Values as the strings categories are stored under (``3.0`` and ``3`` both give ``"3"``)."""
    if values.dtype.kind in "fiu":
        as_float = values.astype(np.float64)
        integral = np.isfinite(as_float) & (as_float == np.round(as_float))
        whole = np.char.mod("%d", np.nan_to_num(as_float).astype(np.int64))
        text = np.where(integral, whole, as_float.astype(str))
        return np.where(np.isnan(as_float), "", text)
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), "").astype(str).to_numpy()


def category_codes(values: np.ndarray, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Codes 1..len(vocabulary); 0 for missing values and unseen categories."""
    keys = pd.Index(vocabulary)
    return (keys.get_indexer(pd.Index(category_keys(values))) + 1).astype(np.int32)


class CategoryLookup:
    """One column's vocabulary as a dict (few rows) and as sorted keys (many rows); codes are
    1..len(vocabulary) in vocabulary order, 0 for missing values and unseen categories."""

    def __init__(self, vocabulary: tuple[str, ...]) -> None:
        self.position = {key: code for code, key in enumerate(vocabulary, start=1)}
        # numpy drops a str's trailing NULs, so such a key can match no request value
        kept = [(key, code) for key, code in self.position.items() if not key.endswith("\0")]
        keys = np.array([key for key, _ in kept], dtype=str)
        order = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[order]
        self.sorted_codes = np.array([code for _, code in kept], dtype=np.int32)[order]

    def codes(self, keys: np.ndarray) -> np.ndarray:
        """Codes of a 1-D ``str`` array."""
        if not len(self.sorted_keys):
            return np.zeros(len(keys), dtype=np.int32)
        found = np.minimum(np.searchsorted(self.sorted_keys, keys), len(self.sorted_keys) - 1)
        codes = self.sorted_codes[found]
        codes[self.sorted_keys[found] != keys] = 0
        return codes
