"""predict_fn's fast paths give what the straightforward path gives, at every request size.

The reference here is the inference code as it was before the per-model lookups and the numpy
input encoding: category codes from ``pandas.Index.get_indexer`` (``category_codes``), numbers
through numpy's str-to-float cast, and the folded ensemble called on torch tensors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from algorithm.encoding import fit_frame
from algorithm.ensemble import FusedEnsemble
from algorithm.features import LOOKUP_ROWS, CategoryLookup, FeatureTransform, category_codes
from algorithm.inference import predict_fn
from algorithm.model_files import TrainedModel
from algorithm.network import NetworkConfig
from algorithm.prediction import SMALL_BATCH_ROWS
from algorithm.request_text import MIN_ROWS
from algorithm.tests.test_algorithm_ensemble import trained_members
from serve.codecs import csv_codec
from serve.errors import BadRequest
from serve.records import Records

SIZES = (1, 7, LOOKUP_ROWS + 1, SMALL_BATCH_ROWS + 1, MIN_ROWS + 200)
JOBS = ("admin.", "blue-collar", "services", "technician", "unknown")


def _training_frame(objective: str) -> pd.DataFrame:
    generator = np.random.default_rng(5)
    rows = 400
    labels = {"binary": ["no", "yes"], "multiclass": ["a", "b", "c"]}.get(objective)
    frame = pd.DataFrame(
        {
            "age": generator.integers(18, 90, rows).astype(float),
            "job": generator.choice(JOBS, rows),
            "balance": np.round(generator.normal(1000, 400, rows), 2),
            "month": generator.choice(["jan", "feb", "mar"], rows),
            "rate": np.round(generator.uniform(0, 1, rows), 3),
            "y": generator.choice(labels, rows) if labels else generator.normal(size=rows),
        }
    )
    frame.loc[::17, "balance"] = np.nan
    return frame


def _model(objective: str, members: int = 3) -> TrainedModel:
    transform, target, _, _ = fit_frame(_training_frame(objective), "y", objective, bins=8)
    config = NetworkConfig(transform.edges, transform.cardinalities, target.outputs, 24, 2, 0.0, 4)
    networks = trained_members(config, members)
    model = TrainedModel(
        transform, target, config, networks, 0.4, FusedEnsemble(networks, objective)
    )
    model.transform.prepare()
    return model


def _request(rows: int, seed: int) -> np.ndarray:
    """Request rows as the CSV codec gives them: text, with empty and unseen fields."""
    generator = np.random.default_rng(seed)
    values = np.array(
        [
            [
                str(generator.integers(18, 90)),
                str(generator.choice([*JOBS, "astronaut", ""])),
                f"{generator.normal(1000, 600):.2f}",
                str(generator.choice(["jan", "feb", "mar", "dec"])),
                f"{generator.uniform(-0.5, 1.5):.3f}",
            ]
            for _ in range(rows)
        ]
    )
    values[::5, 2] = ""
    return values


def _reference_scores(records: Records, model: TrainedModel) -> np.ndarray:
    transform = model.transform
    values = records.values
    if records.columns is not None:
        values = values[:, [records.columns.index(c) for c in transform.columns]]
    positions = [transform.columns.index(c) for c in transform.numeric]
    block = values[:, positions]
    numbers = (
        block.astype(np.float64)
        if block.dtype.kind == "f"
        else np.where(block == "", "nan", block).astype(np.float64)
    )
    numeric = numbers.astype(np.float32)
    numeric -= np.asarray(transform.means, dtype=np.float32)
    numeric /= np.asarray(transform.scales, dtype=np.float32)
    codes = [
        category_codes(values[:, transform.columns.index(name)], vocabulary)
        for name, vocabulary in zip(transform.categorical, transform.vocabularies, strict=True)
    ]
    categorical = np.stack(codes, axis=1).astype(np.int32)
    assert model.fused is not None
    with torch.inference_mode():
        output = model.fused(torch.from_numpy(numeric), torch.from_numpy(categorical)).numpy()
    if model.target.objective == "regression":
        return (output * model.target.scale + model.target.center).astype(np.float64)
    return output


@pytest.mark.parametrize("objective", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("rows", SIZES)
def test_predictions_equal_the_straightforward_path(objective: str, rows: int) -> None:
    model = _model(objective)
    records = Records(_request(rows, seed=rows))
    predictions = predict_fn(records, model)
    expected = _reference_scores(records, model)
    if objective == "multiclass":
        assert predictions.probabilities is not None
        np.testing.assert_allclose(predictions.probabilities, expected, rtol=0, atol=1e-6)
    else:
        np.testing.assert_allclose(predictions.scores, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("rows", [3, SMALL_BATCH_ROWS + 1])
def test_named_and_numeric_records_take_the_same_paths(rows: int) -> None:
    model = _model("binary")
    text = _request(rows, seed=3)
    order = (4, 2, 0, 3, 1)
    columns = tuple(model.transform.columns[i] for i in order)
    named = Records(text[:, order], columns)
    np.testing.assert_allclose(
        predict_fn(named, model).scores, _reference_scores(named, model), atol=1e-6
    )
    # every field a number: the float32 records the codecs give for all-numeric bodies
    numbers = np.random.default_rng(rows).uniform(0, 3, (rows, 5)).round(0).astype(np.float32)
    numbers[0, 0] = np.nan
    records = Records(numbers)
    np.testing.assert_allclose(
        predict_fn(records, model).scores, _reference_scores(records, model), atol=1e-6
    )


def test_a_bad_number_is_named_by_row_and_column_at_every_size() -> None:
    model = _model("binary")
    for rows in (1, SMALL_BATCH_ROWS + 1):
        values = _request(rows, seed=1)
        values[rows - 1, 2] = "12,5"
        with pytest.raises(BadRequest, match=rf"row {rows}, column 'balance': '12,5' is not"):
            predict_fn(Records(values), model)


def test_both_category_lookups_agree_with_the_pandas_one() -> None:
    vocabulary = ("", "a", "b\x00", "zz", "é", "10")
    lookup = CategoryLookup(vocabulary)
    keys = np.array(["a", "zz", "", "b", "b\x00", "é", "10", "1", "nope", "a "])
    expected = category_codes(keys, vocabulary)
    assert lookup.codes(keys).tolist() == expected.tolist()
    assert [lookup.position.get(k, 0) for k in keys.tolist()] == expected.tolist()
    assert CategoryLookup(()).codes(keys).tolist() == [0] * len(keys)


@pytest.mark.parametrize("rows", [LOOKUP_ROWS, LOOKUP_ROWS + 1])
def test_transform_codes_on_both_sides_of_the_lookup_switch(rows: int) -> None:
    transform = FeatureTransform(
        ("n", "c"), ("n",), ("c",), (0.0,), (1.0,), ((),), (("x", "y", "z"),)
    ).prepare()
    keys = np.array(["x", "q", "", "z", "y"])[np.arange(rows) % 5]
    records = Records(np.stack([np.full(rows, "1"), keys], axis=1))
    codes = transform.encode_records(records).categorical[:, 0]
    assert codes.tolist() == category_codes(keys, ("x", "y", "z")).tolist()


def test_narrow_bins_are_encoded_as_torch_encodes_them() -> None:
    """Narrow bins far from zero: ``x * scale`` is large, so the numpy encoding must round
    ``x * scale + offset`` once, as torch's fused multiply-add does, or the slot moves."""
    edges = ((999.99, 1000.0, 1000.01), (-1.0, 0.5, 3.0))
    config = NetworkConfig(edges, (4,), 1, 16, 2, 0.0, 4)
    fused = FusedEnsemble(trained_members(config, 2), "binary")
    generator = np.random.default_rng(0)
    numeric = generator.uniform(999.98, 1000.02, (200, 2)).astype(np.float32)
    numeric[::7, 1] = np.nan
    categorical = generator.integers(0, 4, (200, 1)).astype(np.int32)
    with torch.inference_mode():
        expected = fused(torch.from_numpy(numeric), torch.from_numpy(categorical))
        small = fused.score_small_batch(numeric, categorical)
    torch.testing.assert_close(small, expected, rtol=0, atol=1e-6)


def test_a_network_without_input_columns_scores_on_the_small_path() -> None:
    fused = FusedEnsemble(trained_members(NetworkConfig((), (), 1, 8, 2, 0.0, 4), 2), "binary")
    numeric, categorical = np.zeros((3, 0), np.float32), np.zeros((3, 0), np.int32)
    with torch.inference_mode():
        expected = fused(torch.from_numpy(numeric), torch.from_numpy(categorical))
        torch.testing.assert_close(fused.score_small_batch(numeric, categorical), expected)


def _csv_records(values: np.ndarray) -> Records:
    return csv_codec.decode(("\n".join(",".join(row) for row in values.tolist())).encode(), {})


@pytest.mark.parametrize("objective", ["binary", "regression"])
def test_a_large_csv_request_read_from_its_text_predicts_as_its_fields_do(objective: str) -> None:
    model = _model(objective)
    records = _csv_records(_request(MIN_ROWS + 50, seed=11))
    assert records.text is not None  # the route under test: numbers parsed from the text
    fields = Records(records.values)
    np.testing.assert_array_equal(
        predict_fn(records, model).scores, predict_fn(fields, model).scores
    )
    np.testing.assert_allclose(
        predict_fn(records, model).scores, _reference_scores(fields, model), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("rows", [3, MIN_ROWS + 50])
def test_fields_the_csv_reader_reads_otherwise_are_read_as_float_reads_them(rows: int) -> None:
    """``nan`` is a number to ``float`` (pandas refuses it); ``true`` is none (pandas reads 1)."""
    model = _model("binary")
    values = _request(rows, seed=2)
    values[rows - 1, 4] = "nan"
    scores = predict_fn(_csv_records(values), model).scores
    np.testing.assert_allclose(scores, predict_fn(Records(values), model).scores, atol=1e-6)
    values[rows - 1, 4] = "true"
    with pytest.raises(BadRequest, match=rf"row {rows}, column 'rate': 'true' is not a number"):
        predict_fn(_csv_records(values), model)
    values[rows - 1, 4] = "0.5"
    values[0, 1] = "true"  # in a text column it is a category like any other
    assert len(predict_fn(_csv_records(values), model)) == rows


def test_a_bad_number_in_a_large_csv_request_is_named_by_row_and_column() -> None:
    model = _model("binary")
    values = _request(MIN_ROWS + 50, seed=4)
    values[MIN_ROWS, 0] = "4O"
    with pytest.raises(BadRequest, match=rf"row {MIN_ROWS + 1}, column 'age': '4O' is not"):
        predict_fn(_csv_records(values), model)
