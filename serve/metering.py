"""AWS Marketplace per-inference metering: how many inferences a ``/invocations`` answer used.

A Marketplace product with inference pricing charges the buyer per inference. SageMaker reads
the count from the ``X-Amzn-Inference-Metering`` header of each successful (2xx) response and
charges one inference for a 2xx response without it; ``inference.count`` is the only dimension
Marketplace accepts for machine learning products. With hourly pricing the count is not charged.
Source: https://docs.aws.amazon.com/marketplace/latest/userguide/ml-inference-metering.html

The count is the number of records answered, unless the algorithm's handler sets
``context.inference_count`` (:class:`~serve.context.RequestContext`) to count its own way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sized
from functools import lru_cache
from typing import Any

from serve.codecs.output import as_predictions
from serve.context import RequestContext
from serve.errors import InferenceError

HEADER = "X-Amzn-Inference-Metering"
DIMENSION = "inference.count"


def consumed_units(prediction: Any, data: Any, context: RequestContext) -> int:
    """The inferences this answer used: the handler's count, else the records answered."""
    counted = context.inference_count
    if counted is None:
        return records_answered(prediction, data)
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise InferenceError(
            f"the algorithm set context.inference_count to {counted!r}; it must be a whole "
            "number of inferences, 0 or more"
        )
    return counted


def records_answered(prediction: Any, data: Any) -> int:
    """One per prediction; else one per decoded record; else one for the whole request."""
    try:
        return len(as_predictions(prediction))
    except InferenceError:
        pass
    if isinstance(data, Sized) and not isinstance(data, str | bytes | Mapping):
        return len(data)
    return 1


@lru_cache(maxsize=1024)
def metering_header(units: int) -> tuple[str, str]:
    return HEADER, json.dumps({"Dimension": DIMENSION, "ConsumedUnits": units})
