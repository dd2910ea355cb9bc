"""hyperparameters.json parsing and validation against the toolkit tests' algorithm's spec."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from container.errors import ConfigError
from container.hyperparameters import parse_hyperparameters, unquote
from tests.fixtures.tabular import SPEC


def test_defaults_fill_everything_not_given() -> None:
    parsed = parse_hyperparameters(SPEC, {})
    for hyperparameter in SPEC.hyperparameters:
        assert parsed[hyperparameter.name] == hyperparameter.default


def test_string_values_become_typed() -> None:
    parsed = parse_hyperparameters(
        SPEC,
        {
            "epochs": "7",
            "learning_rate": "1e-3",
            "fill": "zero",
            "intercept": "False",
        },
    )
    assert parsed.get_int("epochs") == 7
    assert parsed.get_float("learning_rate") == pytest.approx(0.001)
    assert parsed.get_str("fill") == "zero"
    assert parsed.get_bool("intercept") is False


def test_sdk_json_encoded_values_are_accepted() -> None:
    sdk_written = {k: json.dumps(v) for k, v in {"epochs": 7, "fill": "zero", "l2": 0.25}.items()}
    parsed = parse_hyperparameters(SPEC, sdk_written)
    assert (parsed["epochs"], parsed["fill"], parsed["l2"]) == (7, "zero", 0.25)


def test_reserved_keys_are_set_aside_not_rejected() -> None:
    raw = {
        "sagemaker_program": '"train.py"',
        "sagemaker_submit_directory": '"s3://bucket/code.tar.gz"',
        "sagemaker_container_log_level": "20",
        "_tuning_objective_metric": '"validation:auc"',
        "epochs": "3",
    }
    parsed = parse_hyperparameters(SPEC, raw)
    assert "sagemaker_program" not in parsed
    assert parsed.reserved["sagemaker_program"] == "train.py"
    assert parsed.tuning_objective == "validation:auc"


def test_unknown_key_names_the_closest_declared_one() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown hyperparameter 'epoch' \(did you mean 'epochs'\?\)"
    ):
        parse_hyperparameters(SPEC, {"epoch": "3"})


def test_out_of_range_names_the_range() -> None:
    with pytest.raises(ConfigError, match=r"'epochs': 0 is out of range \[1, 100000\]"):
        parse_hyperparameters(SPEC, {"epochs": "0"})


def test_wrong_type_and_bad_choice_are_reported_together() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_hyperparameters(SPEC, {"epochs": "3.5", "fill": "meen"})
    reason = caught.value.reason
    assert "'epochs': '3.5' is not an integer" in reason
    assert "'meen' is not one of {mean, zero} (did you mean 'mean'?)" in reason


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "", "ten"])
def test_non_finite_or_non_numeric_continuous_values_are_rejected(text: str) -> None:
    with pytest.raises(ConfigError, match="learning_rate"):
        parse_hyperparameters(SPEC, {"learning_rate": text})


def test_boolean_rejects_other_words() -> None:
    with pytest.raises(ConfigError, match="use true or false"):
        parse_hyperparameters(SPEC, {"intercept": "maybe"})


@given(st.integers(min_value=1, max_value=1000), st.booleans())
def test_any_in_range_integer_round_trips(value: int, sdk_encoded: bool) -> None:
    raw = json.dumps(str(value)) if sdk_encoded else str(value)
    assert parse_hyperparameters(SPEC, {"epochs": raw}).get_int("epochs") == value


@given(st.integers().filter(lambda n: not 1 <= n <= 100000))
def test_any_out_of_range_integer_is_rejected_with_its_value(value: int) -> None:
    with pytest.raises(ConfigError, match=rf"'epochs': {value} is out of range"):
        parse_hyperparameters(SPEC, {"epochs": str(value)})


@given(st.floats(min_value=1e-5, max_value=1.0, allow_nan=False))
def test_any_in_range_float_round_trips(value: float) -> None:
    parsed = parse_hyperparameters(SPEC, {"learning_rate": repr(value)})
    assert parsed.get_float("learning_rate") == value


@given(st.text())
def test_free_text_is_kept_verbatim_or_unquoted(text: str) -> None:
    parsed = parse_hyperparameters(SPEC, {"label": json.dumps(text)})
    assert parsed.get_str("label") == text.strip()


@given(st.text())
def test_unquote_never_raises(text: str) -> None:
    assert isinstance(unquote(text), str)
