"""Fitting the feature transform and the label encoding on a RawTable, and applying them in place.

Standardising and re-coding happen in the table's own arrays, so encoding a channel makes no
copy of its data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from algorithm.binning import target_edges
from algorithm.features import (
    MAX_CATEGORIES,
    EncodedFeatures,
    FeatureTransform,
    finite_mean,
    finite_scale,
    quantile_edges,
    sample_rows,
)
from algorithm.table import Codebook, RawTable, read_table
from algorithm.target import Target
from byoa import DataError


def fit_transform(
    table: RawTable, bins: int, seed: int, labels: np.ndarray | None = None
) -> FeatureTransform:
    """Standardisation, bin edges and vocabularies; with ``labels`` (one-hot rows for classes)
    the bins are target-aware (:mod:`algorithm.binning`), else quantiles."""
    plan = table.plan
    sample = sample_rows(len(table), seed)
    sampled_labels = None if labels is None else labels[sample]
    min_leaf = max(1, len(sample) // (4 * bins))  # a quarter of an even bin
    means, scales, edges = [], [], []
    for i in range(len(plan.numeric)):
        column = table.numeric[:, i].astype(np.float64)
        mean, scale = finite_mean(column), finite_scale(column)
        means.append(mean)
        scales.append(scale)
        standardised = (column[sample] - mean) / scale
        if sampled_labels is None:
            edges.append(quantile_edges(standardised, bins))
        else:
            edges.append(target_edges(standardised, sampled_labels, bins, min_leaf))
    vocabularies = tuple(
        _vocabulary(table.codebooks[i], table.category_counts(i))
        for i in range(len(plan.categorical))
    )
    features = tuple(c for c in plan.columns if c != plan.label)
    return FeatureTransform(
        features,
        plan.numeric,
        plan.categorical,
        tuple(means),
        tuple(scales),
        tuple(edges),
        vocabularies,
    )


def _vocabulary(codebook: Codebook, counts: np.ndarray) -> tuple[str, ...]:
    """The column's categories (most frequent MAX_CATEGORIES), sorted."""
    present = [
        (int(counts[code]), key) for code, key in enumerate(codebook.keys, start=1) if counts[code]
    ]
    present.sort(key=lambda item: -item[0])
    return tuple(sorted(key for _, key in present[:MAX_CATEGORIES]))


def encode_table(transform: FeatureTransform, table: RawTable) -> EncodedFeatures:
    """Standardise the numbers and map codes to vocabulary positions, in place."""
    for i in range(len(transform.numeric)):
        column = table.numeric[:, i]
        column -= np.float32(transform.means[i])
        column /= np.float32(transform.scales[i])
    for i, vocabulary in enumerate(transform.vocabularies):
        position = {key: index for index, key in enumerate(vocabulary, start=1)}
        lookup = np.array(
            [0] + [position.get(k, 0) for k in table.codebooks[i].keys], dtype=np.int32
        )
        table.categorical[:, i] = lookup[table.categorical[:, i]]
    return EncodedFeatures(table.numeric, table.categorical)


def fit_target(table: RawTable, objective: str) -> Target:
    if objective == "regression":
        values = table.label_values
        spread = float(values.std())
        return Target(objective, center=float(values.mean()), scale=spread if spread > 0 else 1.0)
    assert table.label_codebook is not None
    classes = tuple(sorted(table.label_codebook.keys))
    if len(classes) < 2:
        raise DataError(
            f"the label has a single class ({classes[0]!r}) in all {len(table)} training rows; "
            "a classifier needs at least two: check the label column and the data split"
        )
    if objective == "binary" and len(classes) > 2:
        raise DataError(
            f"objective is binary but the label has {len(classes)} classes "
            f"({', '.join(classes[:10])}); set objective=multiclass"
        )
    return Target(objective, classes)


def encode_labels(target: Target, table: RawTable, source: str) -> np.ndarray:
    """Float32 values (regression), 0/1 float32 (binary) or int64 class indices (multiclass)."""
    if target.objective == "regression":
        return table.label_values.astype(np.float32)
    assert table.label_codebook is not None
    position = {key: index for index, key in enumerate(target.classes)}
    unseen = [k for k in table.label_codebook.keys if k not in position]
    if unseen:
        raise DataError(
            f"{source}: label values {unseen[:5]} are not among the training labels "
            f"{list(target.classes)[:10]}; every class must appear in train"
        )
    lookup = np.array([-1] + [position[k] for k in table.label_codebook.keys], dtype=np.int64)
    codes: np.ndarray = lookup[table.label_values]
    return codes.astype(np.float32) if target.objective == "binary" else codes


def fit_frame(
    frame: pd.DataFrame,
    label: str,
    objective: str = "binary",
    categorical: Sequence[str] = (),
    numeric: Sequence[str] = (),
    bins: int = 32,
) -> tuple[FeatureTransform, Target, EncodedFeatures, np.ndarray]:
    """Fit and encode an in-memory table, as training does with a channel."""
    table = read_table([frame], "train", objective == "regression", label=label,
                       categorical=categorical, numeric=numeric)  # fmt: skip
    target = fit_target(table, objective)
    transform = fit_transform(table, bins, seed=0)
    labels = encode_labels(target, table, "train")
    return transform, target, encode_table(transform, table), labels
