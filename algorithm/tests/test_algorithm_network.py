"""The piecewise-linear encoding, the categorical embeddings, missing values in the network
and saved-model round trips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from algorithm import network as network_module
from algorithm.encoding import fit_frame
from algorithm.model_files import TrainedModel
from algorithm.network import (
    CategoricalEmbeddings,
    NetworkConfig,
    PiecewiseLinearEncoding,
    TabularNetwork,
)
from algorithm.target import Target


def test_piecewise_linear_encoding_follows_the_definition() -> None:
    encoding = PiecewiseLinearEncoding([(0.0, 1.0, 3.0), (), (-1.0, 1.0)])
    x = torch.tensor([[-5.0, 9.0, 0.0], [0.5, 9.0, 5.0], [2.0, 9.0, -1.0]])
    assert encoding.width_out == 3
    expected = [[0.0, 0.0, 0.5], [0.5, 0.0, 1.0], [1.0, 0.5, 0.0]]
    assert torch.allclose(encoding(x), torch.tensor(expected))


def _config(outputs: int = 1) -> NetworkConfig:
    return NetworkConfig(
        edges=((-1.0, 0.0, 1.0), ()), cardinalities=(4,), outputs=outputs,
        hidden_units=16, depth=2, dropout=0.1, embedding_dim=8,
    )  # fmt: skip


def test_missing_numbers_give_finite_outputs() -> None:
    torch.manual_seed(0)
    network = TabularNetwork(_config(outputs=3)).eval()
    numeric = torch.tensor([[float("nan"), 0.0], [0.3, float("nan")]])
    output = network(numeric, torch.tensor([[0], [3]], dtype=torch.int32))
    assert output.shape == (2, 3) and torch.isfinite(output).all()


def test_saved_model_predicts_exactly_like_the_trained_one(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y": [0, 1, 1, 0], "a": [0.1, 0.5, 0.9, 0.3], "b": ["x", "y", "x", "z"]})
    transform, _, encoded, _ = fit_frame(frame, "y", bins=4)
    config = NetworkConfig(transform.edges, transform.cardinalities, 1, 8, 1, 0.0, 4)
    torch.manual_seed(1)
    networks = [TabularNetwork(config).eval(), TabularNetwork(config).eval()]
    model = TrainedModel(transform, Target("binary", ("no", "yes")), config, networks, 0.4)
    model.save(tmp_path)
    loaded = TrainedModel.load(tmp_path)
    inputs = torch.from_numpy(encoded.numeric), torch.from_numpy(encoded.categorical)
    for before, after in zip(networks, loaded.networks, strict=True):
        with torch.inference_mode():
            assert torch.equal(before(*inputs), after(*inputs))
    assert loaded.threshold == 0.4 and loaded.transform == transform
    assert not np.isnan(encoded.numeric).any()


def test_embeddings_concatenate_each_columns_vector_on_both_lookup_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch.manual_seed(2)
    embeddings = CategoricalEmbeddings((3, 20, 1), largest=4)
    codes = torch.tensor([[0, 19, 0], [2, 5, 0], [1, 0, 0]], dtype=torch.int32)
    table = embeddings.table.detach()
    expected = torch.stack(
        [
            torch.cat([table[c0, 0:2], table[3 + c1, 2:6], table[23 + c2, 6:7]])
            for c0, c1, c2 in codes
        ]
    )
    assert embeddings.width_out == 7
    torch.testing.assert_close(embeddings(codes), expected)
    monkeypatch.setattr(network_module, "ONE_HOT_ROWS", 0)
    torch.testing.assert_close(embeddings(codes), expected)


def test_gradients_reach_only_each_columns_own_block() -> None:
    embeddings = CategoricalEmbeddings((3, 2), largest=2)
    embeddings(torch.tensor([[1, 0]])).sum().backward()
    grad = embeddings.table.grad
    assert grad is not None
    assert grad[1].tolist() == [1.0, 1.0, 0.0] and grad[3].tolist() == [0.0, 0.0, 1.0]
    assert grad[[0, 2, 4]].abs().sum() == 0


def test_a_model_of_another_format_is_refused_with_what_to_do(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y": [0, 1, 1, 0], "a": [0.1, 0.5, 0.9, 0.3]})
    transform, _, _, _ = fit_frame(frame, "y", bins=4)
    config = NetworkConfig(transform.edges, transform.cardinalities, 1, 8, 1, 0.0, 4)
    model = TrainedModel(
        transform, Target("binary", ("0", "1")), config, [TabularNetwork(config)], 0.5
    )
    model.save(tmp_path)
    metadata = json.loads((tmp_path / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**metadata, "format_version": 2}))
    with pytest.raises(ValueError, match=r"model format 2; .* train the model again"):
        TrainedModel.load(tmp_path)
