"""Metric lines and the MetricDefinitions regexes derived from the spec."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from container.metrics import (
    MAX_METRIC_DEFINITIONS,
    MAX_REGEX_LENGTH,
    MetricLogger,
    metric_definitions,
    metric_line,
)
from container.spec import Direction, Metric
from tests.fixtures.tabular import SPEC


def test_every_declared_metric_has_a_definition_within_sagemaker_limits() -> None:
    definitions = metric_definitions(SPEC.metrics)
    assert [d["Name"] for d in definitions] == [m.name for m in SPEC.metrics]
    assert len(definitions) <= MAX_METRIC_DEFINITIONS
    for definition in definitions:
        assert 1 <= len(definition["Regex"]) <= MAX_REGEX_LENGTH
        assert re.compile(definition["Regex"]).groups == 1


@pytest.mark.parametrize("metric", SPEC.metrics, ids=lambda m: m.name)
def test_each_metric_line_is_matched_only_by_its_own_regex(metric: Metric) -> None:
    line = metric_line(metric.name, 0.123456, step=4)
    matching = [d["Name"] for d in metric_definitions(SPEC.metrics) if re.search(d["Regex"], line)]
    assert matching == [metric.name]
    match = re.search(metric_definitions([metric])[0]["Regex"], line)
    assert match is not None and float(match.group(1)) == pytest.approx(0.123456)


@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_regex_captures_any_finite_value_to_six_significant_digits(value: float) -> None:
    regex = metric_definitions([Metric("validation:auc", Direction.MAXIMIZE)])[0]["Regex"]
    match = re.search(regex, f"2026-01-01 INFO {metric_line('validation:auc', value)}")
    assert match is not None
    assert float(match.group(1)) == pytest.approx(value, rel=1e-5, abs=1e-30)


def test_too_many_metrics_are_refused() -> None:
    metrics = [Metric(f"m{i}", Direction.MINIMIZE) for i in range(41)]
    with pytest.raises(ValueError, match="allows 40"):
        metric_definitions(metrics)


def test_logger_prints_declared_metrics_and_refuses_undeclared() -> None:
    stream = io.StringIO()
    logger = MetricLogger(SPEC, stream=stream)
    logger.log("validation:accuracy", 0.95, step=2)
    assert stream.getvalue() == "#metric validation:accuracy=0.95 step=2\n"
    assert logger.last == {"validation:accuracy": 0.95}
    with pytest.raises(KeyError, match="validation:f1"):
        logger.log("validation:f1", 0.5)


def test_disabled_logger_keeps_values_but_prints_nothing() -> None:
    stream = io.StringIO()
    MetricLogger(SPEC, enabled=False, stream=stream).log("train:logloss", 0.3)
    assert stream.getvalue() == ""
