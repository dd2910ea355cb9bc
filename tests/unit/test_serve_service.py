"""The service's rule for line-aligned answers: one line (or prediction) per input record."""

from __future__ import annotations

import numpy as np
import pytest

from serve.errors import InferenceError
from serve.records import Predictions, Records
from serve.service import _check_one_line_per_record, _check_one_per_record

RECORDS = Records(np.zeros((3, 2), dtype=np.float32))


@pytest.mark.parametrize("body", [b"1\n2\n3\n", b"1\n2\n3"])
def test_an_output_fn_answer_with_a_line_per_record_passes(body: bytes) -> None:
    _check_one_line_per_record(body, RECORDS)


@pytest.mark.parametrize("body", [b'{"predictions": [1, 2, 3]}', b"1\n2\n", b"", b"1\n2\n3\n4\n"])
def test_an_output_fn_answer_without_a_line_per_record_is_refused(body: bytes) -> None:
    with pytest.raises(InferenceError, match=r"for 3 records.*return None to use the default"):
        _check_one_line_per_record(body, RECORDS)


def test_predictions_must_match_the_records() -> None:
    _check_one_per_record(Predictions(np.zeros(3)), RECORDS)
    with pytest.raises(InferenceError, match="returned 2 predictions for 3 records"):
        _check_one_per_record(Predictions(np.zeros(2)), RECORDS)
