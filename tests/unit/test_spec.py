"""The spec types refuse declarations SageMaker would refuse."""

from __future__ import annotations

import pytest

from container.spec import AlgorithmSpec, categorical, integer
from tests.fixtures.tabular import SPEC


def test_required_hyperparameter_cannot_have_a_default() -> None:
    with pytest.raises(ValueError, match="cannot have a default"):
        integer("epochs", "passes", default=3, required=True)


def test_categorical_needs_choices() -> None:
    with pytest.raises(ValueError, match="needs choices"):
        categorical("optimizer", "which", choices=())


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="declared twice: epochs"):
        AlgorithmSpec(
            name="x", description="x",
            hyperparameters=(integer("epochs", "a", 1), integer("epochs", "b", 2)),
            channels=SPEC.channels, metrics=SPEC.metrics,
            request_content_types=("text/csv",), response_content_types=("text/csv",),
            training_instance_types=(), realtime_instance_types=(), transform_instance_types=(),
        )  # fmt: skip


def test_range_text_reads_naturally() -> None:
    assert SPEC.hyperparameter("epochs").range_text == "[1, 100000]"
    assert SPEC.hyperparameter("fill").range_text == "{mean, zero}"
    assert SPEC.hyperparameter("label").range_text == "any"


def test_declared_defaults_are_valid_values() -> None:
    from container.hyperparameters import parse_value

    for hyperparameter in SPEC.hyperparameters:
        if hyperparameter.default is not None:
            raw = (
                str(hyperparameter.default).lower()
                if hyperparameter.boolean
                else str(hyperparameter.default)
            )
            assert parse_value(hyperparameter, raw) == hyperparameter.default


def test_validation_hyperparameters_must_be_declared() -> None:
    with pytest.raises(ValueError, match="validation_hyperparameters not declared: epochz"):
        AlgorithmSpec(
            name="x", description="x", hyperparameters=(integer("epochs", "a", 1),),
            channels=(), metrics=(),
            request_content_types=("text/csv",), response_content_types=("text/csv",),
            training_instance_types=(), realtime_instance_types=(), transform_instance_types=(),
            validation_hyperparameters={"epochs": "2", "epochz": "3"},
        )  # fmt: skip
