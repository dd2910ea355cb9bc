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

import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

CLIP = 5.0
ONE_HOT_ROWS = 512  # categories in all up to which a one-hot product beats a summing lookup


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

    ``width`` is ``b[t] - b[t-1]``. Columns have different numbers of bins, so the encoding is
    one slot per bin of every column, each reading its column: one gather, one multiply-add and
    one clip for the whole batch.
    """

    column: torch.Tensor
    scale: torch.Tensor
    offset: torch.Tensor

    def __init__(self, edges: Sequence[Sequence[float]]) -> None:
        super().__init__()
        columns, lefts, widths = [], [], []
        for i, points in enumerate(edges):
            for left, right in itertools.pairwise(points):
                columns.append(i)
                lefts.append(left)
                widths.append(max(right - left, 1e-6))
        scale = 1.0 / torch.tensor(widths, dtype=torch.float32)
        self.register_buffer("column", torch.tensor(columns, dtype=torch.long))
        self.register_buffer("scale", scale)
        self.register_buffer("offset", -torch.tensor(lefts, dtype=torch.float32) * scale)
        self.width_out = len(columns)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        slots = x.index_select(1, self.column)
        return torch.addcmul(self.offset, slots, self.scale).clamp_(0.0, 1.0)


def embedding_size(cardinality: int, largest: int) -> int:
    return max(1, min(largest, (cardinality + 1) // 2))


class CategoricalEmbeddings(nn.Module):
    """Every categorical column's embedding (Guo and Berkhahn, 2016), concatenated.

    One table holds all columns: column ``i``'s rows start at ``first[i]`` and write only their
    column's block of the output (``block`` zeroes the rest), so a single summing lookup returns
    the concatenation, forward and backward, whatever the number of columns. With few categories
    in all, the lookup is a product with the rows' one-hot matrix (three times faster on a CPU).
    """

    first: torch.Tensor
    block: torch.Tensor

    def __init__(self, cardinalities: Sequence[int], largest: int) -> None:
        super().__init__()
        sizes = [embedding_size(c, largest) for c in cardinalities]
        self.width_out = sum(sizes)
        rows = sum(cardinalities)
        block = torch.zeros(rows, self.width_out)
        row = column = 0
        for cardinality, size in zip(cardinalities, sizes, strict=True):
            block[row : row + cardinality, column : column + size] = 1.0
            row, column = row + cardinality, column + size
        firsts = [sum(cardinalities[:i]) for i in range(len(cardinalities))]
        self.register_buffer("first", torch.tensor(firsts, dtype=torch.long))
        self.register_buffer("block", block)
        self.table = nn.Parameter(torch.randn(rows, self.width_out) * block)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        if self.width_out == 0:
            return codes.new_zeros((codes.shape[0], 0), dtype=self.table.dtype)
        return summed_rows(codes.long() + self.first, self.table * self.block)


def numeric_features(encoding: PiecewiseLinearEncoding, numeric: torch.Tensor) -> torch.Tensor:
    """Each numeric column's encoding, clipped value and missing-value indicator."""
    missing = torch.isnan(numeric)
    values = torch.nan_to_num(numeric, nan=0.0)
    parts = [encoding(values), values.clamp(-CLIP, CLIP), missing.to(values.dtype)]
    return torch.cat(parts, dim=1)


def summed_rows(rows: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """For each input row, the sum of the ``weights`` rows it names."""
    if weights.shape[0] > ONE_HOT_ROWS:
        return F.embedding_bag(rows, weights, mode="sum")
    one_hot = weights.new_zeros((rows.shape[0], weights.shape[0]))
    return one_hot.scatter_(1, rows, 1.0) @ weights


class TabularNetwork(nn.Module):
    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.encoding = PiecewiseLinearEncoding(config.edges)
        self.embeddings = CategoricalEmbeddings(config.cardinalities, config.embedding_dim)
        width = self.encoding.width_out + 2 * len(config.edges) + self.embeddings.width_out
        self.input_width = width
        self.body = nn.Sequential(
            *_hidden_layers(max(width, 1), config.hidden_units, config.depth, config.dropout)
        )
        self.head = nn.Linear(config.hidden_units, config.outputs)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        features = torch.cat(
            [numeric_features(self.encoding, numeric), self.embeddings(categorical)], dim=1
        )
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
