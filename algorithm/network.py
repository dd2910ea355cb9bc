"""The tabular network: encoded numbers and categorical embeddings, then an MLP.

Each numeric column enters three ways: its piecewise-linear encoding over quantile bins
(Gorishniy, Rubachev and Babenko, 2022, "On Embeddings for Numerical Features in Tabular Deep
Learning"), its standardised value (clipped), and a missing-value indicator. Categorical columns
get learned embeddings (Guo and Berkhahn, 2016, "Entity Embeddings of Categorical Variables").
The body is the MLP with batch normalisation and dropout that Gorishniy et al. (2021,
"Revisiting Deep Learning Models for Tabular Data") found to be a strong baseline.

The encoding is computed per batch from the float32 matrix, so the wide encoded matrix never
exists for the whole data set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

CLIP = 5.0


@dataclass(frozen=True)
class NetworkConfig:
    edges: tuple[tuple[float, ...], ...]  # per numeric column, in standardised units
    cardinalities: tuple[int, ...]
    outputs: int
    hidden_units: int
    depth: int
    dropout: float
    embedding_dim: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetworkConfig:
        return cls(
            **{
                **data,
                "edges": tuple(tuple(e) for e in data["edges"]),
                "cardinalities": tuple(data["cardinalities"]),
            }
        )


class PiecewiseLinearEncoding(nn.Module):
    """Bin ``t`` of a column with edges ``b`` maps ``x`` to ``clip((x - b[t-1]) / width, 0, 1)``.

    ``width`` is ``b[t] - b[t-1]``. Columns have different numbers of bins; only the used slots
    are kept.
    """

    left: torch.Tensor
    width: torch.Tensor
    mask: torch.Tensor
    keep: torch.Tensor

    def __init__(self, edges: Sequence[Sequence[float]]) -> None:
        super().__init__()
        slots = max([len(e) - 1 for e in edges] + [0])
        left = torch.zeros(len(edges), slots)
        width = torch.ones(len(edges), slots)
        mask = torch.zeros(len(edges), slots)
        for i, column in enumerate(edges):
            bins = len(column) - 1
            if bins > 0:
                points = torch.tensor(column, dtype=torch.float32)
                left[i, :bins] = points[:-1]
                width[i, :bins] = (points[1:] - points[:-1]).clamp_min(1e-6)
                mask[i, :bins] = 1.0
        self.register_buffer("left", left)
        self.register_buffer("width", width)
        self.register_buffer("mask", mask)
        self.width_out = int(mask.sum().item())
        self.register_buffer("keep", mask.flatten().nonzero().squeeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        left, width, mask, keep = self.left, self.width, self.mask, self.keep
        encoded = ((x.unsqueeze(2) - left) / width).clamp(0.0, 1.0) * mask
        return encoded.flatten(1).index_select(1, keep)


def embedding_size(cardinality: int, largest: int) -> int:
    return max(1, min(largest, (cardinality + 1) // 2))


class TabularNetwork(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.encoding = PiecewiseLinearEncoding(config.edges)
        sizes = [embedding_size(c, config.embedding_dim) for c in config.cardinalities]
        self.embeddings = nn.ModuleList(
            nn.Embedding(c, size) for c, size in zip(config.cardinalities, sizes, strict=True)
        )
        width = self.encoding.width_out + 2 * len(config.edges) + sum(sizes)
        self.input_width = width
        self.encoding_slots = len(config.edges) * int(self.encoding.left.shape[1])
        self.body = nn.Sequential(
            *_hidden_layers(max(width, 1), config.hidden_units, config.depth, config.dropout)
        )
        self.head = nn.Linear(config.hidden_units, config.outputs)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        missing = torch.isnan(numeric)
        values = torch.where(missing, torch.zeros_like(numeric), numeric)
        parts = [self.encoding(values), values.clamp(-CLIP, CLIP), missing.to(values.dtype)]
        parts += [e(categorical[:, i]) for i, e in enumerate(self.embeddings)]
        features = torch.cat(parts, dim=1)
        if features.shape[1] == 0:
            features = torch.zeros(numeric.shape[0], 1, device=numeric.device)
        output: torch.Tensor = self.head(self.body(features))
        return output


def _hidden_layers(width: int, units: int, depth: int, dropout: float) -> Sequence[nn.Module]:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, units), nn.BatchNorm1d(units), nn.ReLU(), nn.Dropout(dropout)]
        width = units
    return layers
