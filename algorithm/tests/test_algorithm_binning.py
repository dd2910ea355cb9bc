"""Target-aware bins: edges where the label changes, within the bin and leaf-size limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithm.binning import target_edges


def test_a_step_in_the_label_gives_an_edge_at_the_step() -> None:
    x = np.linspace(0.0, 10.0, 1001)
    y = (x > 6.5).astype(np.float32)
    edges = target_edges(x, y, bins=2, min_leaf=10)
    assert edges[0] == 0.0 and edges[-1] == 10.0
    assert len(edges) == 3 and edges[1] == pytest.approx(6.5, abs=0.01)


def test_quantile_dense_regions_without_signal_get_no_more_edges_than_the_signal_needs() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.01, 5000), rng.uniform(1, 100, 500)])
    y = (x > 50).astype(np.float32)
    edges = target_edges(x, y, bins=2, min_leaf=5)
    assert len(edges) == 3 and 45 < edges[1] < 55  # a quantile edge would sit near 0


def test_multiclass_one_hot_labels_split_each_class_apart() -> None:
    x = np.repeat([1.0, 2.0, 3.0], 100)
    classes = np.repeat([0, 1, 2], 100)
    edges = target_edges(x, np.eye(3)[classes], bins=8, min_leaf=1)
    assert edges == (1.0, 1.5, 2.5, 3.0)


def test_constant_empty_or_all_missing_columns_have_no_bins() -> None:
    y = np.ones(4, dtype=np.float32)
    assert target_edges(np.full(4, 3.0), y, 8, 1) == ()
    assert target_edges(np.full(4, np.nan), y, 8, 1) == ()
    assert target_edges(np.array([]), np.array([]), 8, 1) == ()


def test_missing_values_are_ignored_when_splitting() -> None:
    x = np.array([np.nan, 0.0, 1.0, np.nan, 2.0, 3.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    assert target_edges(x, y, bins=2, min_leaf=1) == (0.0, 1.5, 3.0)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-20, 20), min_size=2, max_size=200),
    bins=st.integers(2, 12),
    min_leaf=st.integers(1, 10),
    seed=st.integers(0, 10),
)
def test_edges_are_sorted_within_the_range_and_respect_the_limits(
    values: list[int], bins: int, min_leaf: int, seed: int
) -> None:
    x = np.array(values, dtype=np.float64)
    y = np.random.default_rng(seed).integers(0, 2, len(x)).astype(np.float32)
    edges = target_edges(x, y, bins, min_leaf)
    if not edges:
        return
    assert list(edges) == sorted(set(edges))
    assert edges[0] == x.min() and edges[-1] == x.max()
    assert len(edges) - 1 <= bins
    counts = np.histogram(x, bins=np.array(edges))[0]
    if len(edges) > 2:
        assert counts.min() >= min_leaf
