"""How many inferences an answer reports to AWS Marketplace, and the header that says it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from serve.context import RequestContext
from serve.errors import InferenceError
from serve.metering import HEADER, consumed_units, metering_header, records_answered
from serve.records import Predictions


def test_the_header_is_marketplaces_inference_count() -> None:
    name, value = metering_header(12)
    assert name == HEADER == "X-Amzn-Inference-Metering"
    assert value == '{"Dimension": "inference.count", "ConsumedUnits": 12}'
    assert json.loads(value) == {"Dimension": "inference.count", "ConsumedUnits": 12}


def test_one_inference_per_prediction_then_per_record_then_per_request() -> None:
    assert records_answered(Predictions(scores=np.zeros(3)), None) == 3
    assert records_answered(np.zeros((5, 2)), None) == 5
    assert records_answered({"not": "predictions"}, [1, 2, 3, 4]) == 4
    assert records_answered({"not": "predictions"}, {"a": 1, "b": 2}) == 1
    assert records_answered(object(), b"raw bytes") == 1


def test_the_handlers_count_wins_and_must_be_a_whole_number() -> None:
    predictions = Predictions(scores=np.zeros(3))
    assert consumed_units(predictions, None, RequestContext("r", inference_count=7)) == 7
    assert consumed_units(predictions, None, RequestContext("r", inference_count=0)) == 0
    for wrong in (-1, True, 2.5, "3"):
        context = RequestContext("r", inference_count=wrong)  # type: ignore[arg-type]
        with pytest.raises(InferenceError, match="must be a whole number of inferences, 0 or more"):
            consumed_units(predictions, None, context)
