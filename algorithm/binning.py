"""Target-aware bin edges for the piecewise-linear encoding.

Gorishniy, Rubachev and Babenko (2022, "On Embeddings for Numerical Features in Tabular Deep
Learning", section 3.2.1) take a numeric column's bins from a decision tree grown on that column
alone against the label: the edges sit where the label changes, not where the rows happen to
be dense. The tree here grows best-first (the leaf whose split lowers the squared error most
splits next) up to ``bins`` leaves of at least ``min_leaf`` rows; for classes the label is
one-hot, so the squared error is the Gini impurity times the row count.
"""

from __future__ import annotations

import heapq

import numpy as np


def target_edges(x: np.ndarray, y: np.ndarray, bins: int, min_leaf: int) -> tuple[float, ...]:
    """Edges (the column's minimum, the split points, its maximum) of up to ``bins`` bins;
    ``y`` is one row per value: a number, or a row of one-hot classes."""
    finite = np.isfinite(x)
    order = np.argsort(x[finite], kind="stable")
    values = x[finite][order].astype(np.float64)
    if values.size == 0 or values[0] == values[-1]:
        return ()
    targets = _as_matrix(y[finite][order])
    sums = np.vstack([np.zeros((1, targets.shape[1])), np.cumsum(targets, axis=0)])
    leaf = max(min_leaf, 1)
    splits: list[float] = []
    heap: list[tuple[float, int, int, int]] = []
    _push(heap, values, sums, 0, len(values), leaf)
    while heap and len(splits) < bins - 1:
        _, start, stop, cut = heapq.heappop(heap)
        splits.append(float(values[cut - 1] + values[cut]) / 2)
        _push(heap, values, sums, start, cut, leaf)
        _push(heap, values, sums, cut, stop, leaf)
    edges = np.unique(np.array([values[0], *splits, values[-1]], dtype=np.float32))
    return tuple(float(e) for e in edges) if len(edges) > 1 else ()


def _as_matrix(y: np.ndarray) -> np.ndarray:
    return y.reshape(-1, 1).astype(np.float64) if y.ndim == 1 else y.astype(np.float64)


def _push(
    heap: list[tuple[float, int, int, int]],
    values: np.ndarray,
    sums: np.ndarray,
    start: int,
    stop: int,
    min_leaf: int,
) -> None:
    """Queue rows ``[start, stop)`` with their best cut, if any cut lowers the error."""
    cuts = np.arange(start + min_leaf, stop - min_leaf + 1)
    cuts = cuts[values[cuts - 1] < values[cuts]]
    if cuts.size == 0:
        return
    total = sums[stop] - sums[start]
    left = sums[cuts] - sums[start]
    left_rows = (cuts - start)[:, None]
    right_rows = (stop - cuts)[:, None]
    gain = ((left**2) / left_rows + ((total - left) ** 2) / right_rows).sum(axis=1)
    gain -= (total**2).sum() / (stop - start)
    best = int(np.argmax(gain))
    if gain[best] > 1e-12:
        heapq.heappush(heap, (-float(gain[best]), start, stop, int(cuts[best])))
