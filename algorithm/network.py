"""The tabular network: categorical embeddings beside standardised numbers, then an MLP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class NetworkConfig:
    numeric_width: int
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
        return cls(**{**data, "cardinalities": tuple(data["cardinalities"])})


def embedding_size(cardinality: int, largest: int) -> int:
    return max(1, min(largest, (cardinality + 1) // 2))


class TabularNetwork(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(
            nn.Embedding(c, embedding_size(c, config.embedding_dim)) for c in config.cardinalities
        )
        width = config.numeric_width + sum(e.embedding_dim for e in self.embeddings)
        self.body = nn.Sequential(*_hidden_layers(width, config.hidden_units, config.depth, config.dropout))
        self.head = nn.Linear(config.hidden_units, config.outputs)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        parts = [numeric] + [e(categorical[:, i]) for i, e in enumerate(self.embeddings)]
        return self.head(self.body(torch.cat(parts, dim=1)))


def _hidden_layers(width: int, units: int, depth: int, dropout: float) -> Sequence[nn.Module]:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, units), nn.BatchNorm1d(units), nn.ReLU(), nn.Dropout(dropout)]
        width = units
    return layers
