"""Class-imbalance handling: the loss weights rare classes up only when asked to."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from algorithm.target import Target
from algorithm.training import loss_function


def test_binary_balance_weights_positives_by_the_negative_to_positive_ratio() -> None:
    labels = np.array([1, 0, 0, 0, 0, 0, 0, 0], dtype=np.float32)
    balanced = loss_function(Target("binary", ("a", "b")), labels, balance=True)
    assert isinstance(balanced, nn.BCEWithLogitsLoss) and balanced.pos_weight is not None
    assert float(balanced.pos_weight) == 7.0
    plain = loss_function(Target("binary", ("a", "b")), labels, balance=False)
    assert isinstance(plain, nn.BCEWithLogitsLoss) and plain.pos_weight is None


def test_multiclass_balance_gives_each_class_the_same_total_weight() -> None:
    labels = np.array([0] * 6 + [1] * 3 + [2] * 1, dtype=np.int64)
    loss = loss_function(Target("multiclass", ("a", "b", "c")), labels, balance=True)
    assert isinstance(loss, nn.CrossEntropyLoss) and loss.weight is not None
    counts = torch.tensor([6.0, 3.0, 1.0])
    assert torch.allclose(loss.weight * counts, torch.full((3,), 10.0 / 3))


def test_regression_uses_squared_error() -> None:
    assert isinstance(loss_function(Target("regression"), np.zeros(3), balance=True), nn.MSELoss)
