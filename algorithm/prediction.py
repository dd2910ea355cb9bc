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


Ensemble = Sequence[TabularNetwork] | FusedEnsemble


def predict_rows(
    networks: Ensemble,
    target: Target,
    numeric: torch.Tensor,
    categorical: torch.Tensor,
    rows: torch.Tensor | None = None,
    placement: Placement | None = None,
) -> np.ndarray:
    """Positive-class probability (binary), class probabilities (multiclass) or values.

    ``rows`` selects rows of ``numeric``/``categorical`` (all rows when None).
    """
    where = placement or Placement(numeric.device, False)
    count = numeric.shape[0] if rows is None else rows.shape[0]
    size = chunk_rows(networks)
    parts = []
    for network in networks if isinstance(networks, Sequence) else []:
        if network.training:
            network.eval()
    with torch.inference_mode():
        for start in range(0, count, size):
            chunk = _chunk(numeric, categorical, rows, start, start + size, where)
            parts.append(_mean_output(networks, target, chunk, where).float().cpu())
    if not parts:
        width = len(target.classes) if target.objective == "multiclass" else 0
        return np.zeros((0, width) if width else (0,), dtype=np.float32)
    output = (parts[0] if len(parts) == 1 else torch.cat(parts)).numpy()
    if target.objective == "regression":
        return (output * target.scale + target.center).astype(np.float64)
    return output


def chunk_rows(networks: Ensemble) -> int:
    """Rows per chunk, so that no intermediate of the widest layer input exceeds CHUNK_VALUES."""
    if isinstance(networks, FusedEnsemble):
        widest = networks.input_width
    elif networks:
        widest = networks[0].input_width
    else:
        return MAX_CHUNK_ROWS
    widest = max(widest, 1)
    return max(1, min(MAX_CHUNK_ROWS, CHUNK_VALUES // widest))


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


def _mean_output(
    networks: Ensemble,
    target: Target,
    chunk: tuple[torch.Tensor, torch.Tensor],
    where: Placement,
) -> torch.Tensor:
    if isinstance(networks, FusedEnsemble):
        return networks(*chunk)
    total: torch.Tensor | None = None
    for network in networks:
        with where.autocast():
            output = output_space(network(*chunk).float(), target.objective)
        total = output if total is None else total + output
    assert total is not None
    return total / len(networks)
