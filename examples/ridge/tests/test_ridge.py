"""The algorithm's own tests (``byoa new`` copies them with it; ``make test`` runs them when this
folder is ``algorithm/``). They import the algorithm relatively, so they follow a rename."""

from __future__ import annotations

import json

import numpy as np
import pytest

from byoa import BadRequest, Predictions, Records

from .. import SPEC, _fit, _score, output_fn, predict_fn


def test_the_closed_form_recovers_a_linear_relation() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(500, 3))
    target = features @ np.array([2.0, -1.0, 0.5]) + 3.0
    model = _fit(features, target, l2=0.0)
    np.testing.assert_allclose(_score(model, features), target, atol=1e-9)


def test_the_penalty_shrinks_the_weights() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(200, 2))
    target = features @ np.array([4.0, 4.0]) + rng.normal(size=200)
    loose, tight = _fit(features, target, l2=0.0), _fit(features, target, l2=1e4)
    assert np.abs(tight["weights"]).sum() < np.abs(loose["weights"]).sum() / 10


def test_a_row_of_the_wrong_width_is_the_callers_error() -> None:
    model = _fit(np.eye(3), np.arange(3.0), l2=1.0)
    with pytest.raises(BadRequest, match="each row needs 3 numeric fields, got 2"):
        predict_fn(Records(np.ones((1, 2), dtype=np.float32)), model)


def test_json_is_one_document_and_other_types_go_to_the_default_encoder() -> None:
    prediction = Predictions(scores=np.array([1.5, 2.5]))
    assert json.loads(output_fn(prediction, "application/json") or b"") == {
        "predictions": [1.5, 2.5]
    }
    assert output_fn(prediction, "text/csv") is None


def test_the_spec_declares_what_the_handlers_answer() -> None:
    assert set(SPEC.response_content_types) == {"application/json", "text/csv"}
    assert "l2" in SPEC.validation_hyperparameters
