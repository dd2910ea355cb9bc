"""Predictions of an ensemble of networks, in chunks, on whatever device holds the data.

The members' outputs are averaged as probabilities (classification) or values (regression), the
deep-ensemble rule of Lakshminarayanan, Pritzel and Blundell (2017). The ensemble is either the
members themselves (training) or the members folded into one network (inference).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from algorithm.device import Placement
from algorithm.ensemble import FusedEnsemble, output_space
from algorithm.network import TabularNetwork
from algorithm.target import Target

MAX_CHUNK_ROWS = 65_536
CHUNK_VALUES = 1 << 22  # floats in the widest per-chunk intermediate (16 MiB)
SMALL_BATCH_ROWS = 64  # up to this many rows numpy encodes the input faster than torch


class MemberAverage:
    """The members run one after another and their outputs averaged (training, evaluation)."""

    def __init__(
        self, networks: Sequence[TabularNetwork], objective: str, placement: Placement
    ) -> None:
        self.networks, self.objective, self.placement = networks, objective, placement
        self.input_width = networks[0].input_width if networks else 0
        for network in networks:
            if network.training:
                network.eval()

    def __call__(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        total: torch.Tensor | None = None
        for network in self.networks:
            with self.placement.autocast():
                output = output_space(network(numeric, categorical).float(), self.objective)
            total = output if total is None else total + output
        assert total is not None
        return total / len(self.networks)


def predict_rows(
    networks: Sequence[TabularNetwork] | FusedEnsemble,
    target: Target,
    numeric: torch.Tensor,
    categorical: torch.Tensor,
    rows: torch.Tensor | None = None,
    placement: Placement | None = None,
) -> np.ndarray:
    """Positive-class probability (binary), class probabilities (multiclass) or values.

    ``rows`` selects rows of ``numeric``/``categorical`` (all rows when None).
    """
    count = numeric.shape[0] if rows is None else rows.shape[0]
    if isinstance(networks, FusedEnsemble) and _small(numeric, rows, placement):
        with torch.inference_mode():
            output = networks.score_small_batch(numeric.numpy(), categorical.numpy())
        return _target_space(output.numpy(), target)
    where = placement or Placement(numeric.device, False)
    ensemble = (
        networks
        if isinstance(networks, FusedEnsemble)
        else MemberAverage(networks, target.objective, where)
    )
    size = _chunk_rows(ensemble.input_width)
    parts = []
    with torch.inference_mode():
        for start in range(0, count, size):
            chunk = _chunk(numeric, categorical, rows, start, start + size, where)
            parts.append(ensemble(*chunk).float().cpu())
    if not parts:
        width = len(target.classes) if target.objective == "multiclass" else 0
        return np.zeros((0, width) if width else (0,), dtype=np.float32)
    # A request is one chunk: no slice (_chunk) and no concatenation, 14 us of a 1-row predict
    return _target_space((parts[0] if len(parts) == 1 else torch.cat(parts)).numpy(), target)


def _small(numeric: torch.Tensor, rows: torch.Tensor | None, placement: Placement | None) -> bool:
    on_cpu = numeric.device.type == "cpu" and (placement is None or placement.device.type == "cpu")
    return rows is None and on_cpu and 0 < numeric.shape[0] <= SMALL_BATCH_ROWS


def _target_space(output: np.ndarray, target: Target) -> np.ndarray:
    if target.objective == "regression":
        return (output * target.scale + target.center).astype(np.float64)
    return output


def _chunk_rows(input_width: int) -> int:
    """Rows per chunk, so that no intermediate of the widest layer input exceeds CHUNK_VALUES."""
    return max(1, min(MAX_CHUNK_ROWS, CHUNK_VALUES // max(input_width, 1)))


def _chunk(
    numeric: torch.Tensor,
    categorical: torch.Tensor,
    rows: torch.Tensor | None,
    start: int,
    stop: int,
    where: Placement,
) -> tuple[torch.Tensor, torch.Tensor]:
    if rows is None and start == 0 and stop >= numeric.shape[0]:
        chosen = numeric, categorical
    elif rows is None:
        chosen = numeric[start:stop], categorical[start:stop]
    else:
        index = rows[start:stop].to(numeric.device)
        chosen = numeric.index_select(0, index), categorical.index_select(0, index)
    return chosen[0].to(where.device), chosen[1].to(where.device)
