"""The members folded into one inference network give the members' averaged outputs."""

from __future__ import annotations

import pytest
import torch

from algorithm.ensemble import FusedEnsemble, output_space
from algorithm.network import NetworkConfig, TabularNetwork


def trained_members(config: NetworkConfig, count: int) -> list[TabularNetwork]:
    """Networks with non-trivial batch-normalisation statistics, as after training."""
    members = []
    for seed in range(count):
        torch.manual_seed(seed)
        network = TabularNetwork(config)
        for module in network.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                assert module.running_mean is not None and module.running_var is not None
                module.running_mean.normal_()
                module.running_var.uniform_(0.5, 2.0)
                module.weight.data.normal_()
                module.bias.data.normal_()
        members.append(network.eval())
    return members


def _inputs(rows: int, columns: int, cardinalities: tuple[int, ...]) -> tuple[torch.Tensor, ...]:
    torch.manual_seed(99)
    numeric = torch.randn(rows, columns)
    numeric[::3, 0] = float("nan")
    codes = [torch.randint(0, c, (rows,)) for c in cardinalities]
    categorical = torch.stack(codes, 1) if codes else torch.zeros(rows, 0, dtype=torch.long)
    return numeric, categorical.to(torch.int32)


@pytest.mark.parametrize(
    ("objective", "outputs", "depth", "cardinalities", "members"),
    [
        ("binary", 1, 2, (3, 7), 3),
        ("multiclass", 4, 3, (5,), 2),
        ("regression", 1, 1, (), 1),
        ("binary", 1, 2, (600,), 2),  # many categories: the summing lookup, not one-hot
    ],
)
def test_fused_outputs_equal_the_members_average(
    objective: str, outputs: int, depth: int, cardinalities: tuple[int, ...], members: int
) -> None:
    config = NetworkConfig(
        edges=((-1.0, 0.0, 1.0), (-2.0, -0.5, 0.5, 2.0), ()), cardinalities=cardinalities,
        outputs=outputs, hidden_units=16, depth=depth, dropout=0.2, embedding_dim=4,
    )  # fmt: skip
    networks = trained_members(config, members)
    numeric, categorical = _inputs(50, 3, cardinalities)
    with torch.inference_mode():
        expected = torch.stack(
            [output_space(n(numeric, categorical), objective) for n in networks]
        ).mean(0)
        fused = FusedEnsemble(networks, objective)(numeric, categorical)
    assert fused.shape == expected.shape
    torch.testing.assert_close(fused, expected, rtol=1e-5, atol=1e-5)
    outside_inference_mode = FusedEnsemble(networks, objective)(numeric, categorical)
    assert not outside_inference_mode.requires_grad


def test_a_network_without_any_input_column_still_scores() -> None:
    config = NetworkConfig((), (), 1, 8, 2, 0.0, 4)
    networks = trained_members(config, 2)
    numeric, categorical = torch.zeros(3, 0), torch.zeros(3, 0, dtype=torch.int32)
    with torch.inference_mode():
        expected = torch.stack(
            [torch.sigmoid(n(numeric, categorical).squeeze(1)) for n in networks]
        )
        fused = FusedEnsemble(networks, "binary")(numeric, categorical)
    torch.testing.assert_close(fused, expected.mean(0))
