"""The feature transform: detection, overrides, missing values, unseen categories, constants.

Tables are read chunk by chunk (``algorithm.table``); these tests feed data frames as chunks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from algorithm.encoding import fit_frame
from algorithm.features import FeatureTransform, category_codes, quantile_edges
from algorithm.table import read_table
from container.errors import DataError
from serve.errors import BadRequest
from serve.records import Records


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [0, 1, 0, 1, 1, 0],
            "age": [30.0, 40.0, np.nan, 50.0, 60.0, 70.0],
            "job": ["a", "b", None, "a", "c", "b"],
            "constant": [7, 7, 7, 7, 7, 7],
            "code": [1, 2, 3, 1, 2, 3],
        }
    )


def test_text_columns_are_categorical_and_the_label_is_left_out(frame: pd.DataFrame) -> None:
    transform = fit_frame(frame, "y")[0]
    assert transform.columns == ("age", "job", "constant", "code")
    assert transform.numeric == ("age", "constant", "code")
    assert transform.categorical == ("job",)
    assert transform.vocabularies == (("a", "b", "c"),)


def test_overrides_move_columns_between_kinds(frame: pd.DataFrame) -> None:
    transform = fit_frame(frame, "y", categorical=["code"])[0]
    assert transform.categorical == ("job", "code")
    assert transform.vocabularies[1] == ("1", "2", "3")
    with pytest.raises(DataError, match="not features of the data"):
        fit_frame(frame, "y", categorical=["nope"])
    with pytest.raises(DataError, match="both categorical and numeric"):
        fit_frame(frame, "y", categorical=["code"], numeric=["code"])


def test_numeric_override_of_a_text_column_names_the_bad_row() -> None:
    frame = pd.DataFrame({"y": [1, 0, 1, 0], "amount": ["1", "2", "three", "4"]})
    with pytest.raises(DataError, match=r"'amount' is numeric but row 3 holds 'three'"):
        fit_frame(frame, "y", numeric=["amount"])


def test_a_text_value_in_a_later_chunk_names_the_row_in_the_whole_channel() -> None:
    first = pd.DataFrame({"y": [1, 0], "amount": [1.5, 2.0]})
    second = pd.DataFrame({"y": [1, 0], "amount": ["3", "n/a?"]})
    with pytest.raises(DataError, match=r"'amount' is numeric but row 4 holds 'n/a\?'"):
        read_table([first, second], "train", regression=False, label="y")


def test_chunks_share_one_codebook() -> None:
    first = pd.DataFrame({"y": ["a", "b"], "c": ["x", "y"]})
    second = pd.DataFrame({"y": ["b", "c"], "c": ["z", "x"]})
    table = read_table([first, second], "train", regression=False, label="y")
    assert table.codebooks[0].keys == ["x", "y", "z"]
    assert table.categorical[:, 0].tolist() == [1, 2, 3, 1]
    assert table.label_codebook is not None and table.label_codebook.keys == ["a", "b", "c"]


def test_missing_numbers_stay_nan_and_constants_get_no_bins(frame: pd.DataFrame) -> None:
    transform, _, encoded, _ = fit_frame(frame, "y")
    assert encoded.numeric.dtype == np.float32 and encoded.categorical.dtype == np.int32
    assert np.isnan(encoded.numeric[2, 0]) and np.isfinite(encoded.numeric[[0, 1, 3], 0]).all()
    assert transform.edges[1] == ()  # the constant column
    assert np.allclose(encoded.numeric[:, 1], 0.0)
    assert encoded.categorical[:, 0].tolist() == [1, 2, 0, 1, 3, 2]  # None -> 0


def test_unseen_categories_and_missing_fields_at_inference(frame: pd.DataFrame) -> None:
    transform = fit_frame(frame, "y")[0]
    records = Records(np.array([["45", "zebra", "7", "2"], ["", "", "7", "1"]]))
    encoded = transform.encode_records(records)
    assert encoded.categorical[:, 0].tolist() == [0, 0]
    assert np.isnan(encoded.numeric[1, 0])
    named = Records(np.array([["2", "c", "45", "7"]]), ("code", "job", "age", "constant"))
    assert transform.encode_records(named).categorical[0, 0] == 3


def test_bad_records_are_400s(frame: pd.DataFrame) -> None:
    transform = fit_frame(frame, "y")[0]
    with pytest.raises(BadRequest, match="expected 4 columns"):
        transform.encode_records(Records(np.array([["1", "a"]])))
    with pytest.raises(BadRequest, match="'age': 'old' is not a number"):
        transform.encode_records(Records(np.array([["old", "a", "7", "1"]])))
    with pytest.raises(BadRequest, match="lack the features"):
        transform.encode_records(Records(np.array([["1"]]), ("age",)))


def test_transform_round_trips_through_json(frame: pd.DataFrame) -> None:
    transform = fit_frame(frame, "y")[0]
    assert FeatureTransform.from_json(transform.to_json()) == transform


def test_quantile_edges_are_distinct_and_bounded() -> None:
    x = np.random.default_rng(0).standard_normal(10_000)
    edges = quantile_edges(x, 16)
    assert len(edges) == 17 and list(edges) == sorted(set(edges))
    assert quantile_edges(np.array([0.0, 0.0, 1.0, 1.0]), 16) == (0.0, 1.0)
    assert quantile_edges(np.array([np.nan, 3.0, 3.0]), 8) == ()


def test_category_codes_treat_integral_floats_as_integers() -> None:
    codes = category_codes(np.array([3.0, 4.0, np.nan, 5.5]), ("3", "4", "5.5"))
    assert codes.tolist() == [1, 2, 0, 3]
