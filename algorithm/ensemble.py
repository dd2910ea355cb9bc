"""The trained members folded into one network for inference.

In evaluation mode batch normalisation is an affine map, so it folds into the linear layer
before it, and dropout is the identity. A category's embedding enters the network only through
the first layer, so each embedding table folds through that layer too: a category's row becomes
its contribution to every first-layer unit. The members share the input encoding and run side
by side, one matrix product per layer for all of them. The outputs are the members' averaged
ones (a test holds them together); the point is a few operations per request instead of a few
dozen per member, which is most of the cost of scoring one row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from algorithm.network import CLIP, TabularNetwork, numeric_features, summed_rows


def output_space(logits: torch.Tensor, objective: str) -> torch.Tensor:
    """Positive-class probability (binary), class probabilities (multiclass) or the value;
    ``logits`` has the outputs in its last dimension."""
    if objective == "binary":
        return torch.sigmoid(logits.squeeze(-1))
    if objective == "multiclass":
        return torch.softmax(logits, dim=-1)
    return logits.squeeze(-1)


class FusedEnsemble:
    """Built once from trained members, on the CPU, for inference: its tensors are detached
    copies, so calling it records no gradients whatever the grad mode."""

    def __init__(self, networks: Sequence[TabularNetwork], objective: str) -> None:
        lead = networks[0]
        self.objective = objective
        self.members = len(networks)
        self.encoding = lead.encoding  # the same in every member: fitted edges, no weights
        self.first = lead.embeddings.first
        layers = [_folded_layers(network) for network in networks]
        numeric_width = lead.input_width - lead.embeddings.width_out
        first_layers = [member[0][0] for member in layers]
        self.numeric_weight = torch.cat([w[:, :numeric_width] for w in first_layers]).T.contiguous()
        categories = zip(networks, first_layers, strict=True)
        self.category_weight = torch.cat(
            [_category_rows(n, w[:, numeric_width:]) for n, w in categories], dim=1
        )
        self.first_bias = torch.cat([member[0][1] for member in layers])
        self.layers = [_stacked([m[k] for m in layers]) for k in range(1, len(layers[0]))]
        self.input_width = max(lead.input_width, self.first_bias.shape[0])
        self.small_batch = SmallBatchEncoding(self)

    def __call__(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        features = numeric_features(self.encoding, numeric)
        hidden = torch.addmm(self.first_bias, features, self.numeric_weight)
        if self.category_weight.shape[0] and categorical.shape[1]:
            hidden += summed_rows(categorical.long() + self.first, self.category_weight)
        return self.after_first_layer(hidden)

    def score_small_batch(self, numeric: np.ndarray, categorical: np.ndarray) -> torch.Tensor:
        """What calling the ensemble returns, with the input encoded by numpy: the fastest way
        for a few rows (see :class:`SmallBatchEncoding`)."""
        features = torch.from_numpy(self.small_batch(numeric, categorical))
        return self.after_first_layer(features.mm(self.small_batch.first_weight))

    def after_first_layer(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = hidden.relu_().view(hidden.shape[0], self.members, -1).transpose(0, 1)
        for index, (weight, bias) in enumerate(self.layers):
            hidden = torch.baddbmm(bias, hidden, weight)
            if index < len(self.layers) - 1:
                hidden = hidden.relu_()
        output = output_space(hidden, self.objective)
        return output[0] if self.members == 1 else output.mean(dim=0)


class SmallBatchEncoding:
    """The first layer's input built with numpy, for requests of a few rows: there a numpy
    operation costs about a microsecond and a torch one several.

    One input row holds every bin slot and clipped value (``x * scale + offset``, between
    ``low`` and ``high``), the missing-value indicators, the categories one-hot and a constant
    1 for the bias, so that ``first_weight`` makes the first layer one product.
    """

    def __init__(self, fused: FusedEnsemble) -> None:
        encoding, numeric_width = fused.encoding, fused.numeric_weight.shape[0]
        count = (numeric_width - encoding.width_out) // 2  # numeric columns
        bins = encoding.width_out
        self.column = np.concatenate([encoding.column.numpy(), np.arange(count)])
        # float64, so that x * scale + offset is rounded once, as torch's fused multiply-add does
        self.scale = np.concatenate([encoding.scale.numpy(), np.ones(count, np.float32)]).astype(
            np.float64
        )
        self.offset = np.concatenate([encoding.offset.numpy(), np.zeros(count)])
        self.low = np.concatenate([np.zeros(bins, np.float32), np.full(count, -CLIP, np.float32)])
        self.high = np.concatenate([np.ones(bins, np.float32), np.full(count, CLIP, np.float32)])
        self.slots, self.indicators = bins + count, numeric_width
        categories = fused.category_weight
        self.category_start = fused.first.numpy().astype(np.int64) + numeric_width
        self.width = numeric_width + categories.shape[0] + 1
        self.first_weight = torch.cat([fused.numeric_weight, categories, fused.first_bias[None]])

    def __call__(self, numeric: np.ndarray, categorical: np.ndarray) -> np.ndarray:
        rows = numeric.shape[0]
        missing = np.isnan(numeric)
        features = np.zeros((rows, self.width), dtype=np.float32)
        slots = features[:, : self.slots]
        exact = np.where(missing, np.float32(0.0), numeric)[:, self.column] * self.scale
        exact += self.offset
        slots[:] = exact
        np.maximum(slots, self.low, out=slots)
        np.minimum(slots, self.high, out=slots)
        features[:, self.slots : self.indicators] = missing
        if categorical.shape[1]:
            hot = categorical + (self.category_start + np.arange(rows)[:, None] * self.width)
            features.ravel()[hot] = 1.0
        features[:, -1] = 1.0
        return features


def _stacked(
    layers: list[tuple[torch.Tensor, torch.Tensor]],
) -> tuple[torch.Tensor, torch.Tensor]:
    """One layer of every member as (members, inputs, outputs) weights and (members, 1, outputs)
    biases, for a batched product."""
    weights = torch.stack([weight.T for weight, _ in layers])
    return weights, torch.stack([bias for _, bias in layers])[:, None]


def _folded_layers(network: TabularNetwork) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(weight, bias) of each linear layer, the batch normalisation after it folded in."""
    layers: list[tuple[torch.Tensor, torch.Tensor]] = []
    for module in [*network.body, network.head]:
        if isinstance(module, nn.Linear):
            layers.append((module.weight.detach().clone(), module.bias.detach().clone()))
        elif isinstance(module, nn.BatchNorm1d):
            assert module.running_mean is not None and module.running_var is not None
            weight, bias = layers[-1]
            scale = module.weight.detach() / torch.sqrt(module.running_var + module.eps)
            shift = module.bias.detach() - module.running_mean * scale
            layers[-1] = (weight * scale[:, None], bias * scale + shift)
    return layers


def _category_rows(network: TabularNetwork, weight: torch.Tensor) -> torch.Tensor:
    """Each category's contribution to the first layer's units: its embedding times ``weight``."""
    embeddings = network.embeddings
    table = (embeddings.table * embeddings.block).detach()
    return table @ weight[:, : embeddings.width_out].T
