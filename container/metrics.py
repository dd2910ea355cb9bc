"""Metric log lines and the ``MetricDefinitions`` regexes that SageMaker uses to scrape them.

A metric is printed as ``#metric validation:auc=0.951234 step=3``; its regex captures the number
after ``=``. SageMaker allows at most 40 definitions and 500 characters per regex.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from container.spec import AlgorithmSpec, Metric

MAX_METRIC_DEFINITIONS = 40
MAX_REGEX_LENGTH = 500
LINE_PREFIX = "#metric"
_NUMBER = r"([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|nan|inf|-inf)"


def metric_line(name: str, value: float, step: int | None = None) -> str:
    text = f"{LINE_PREFIX} {name}={format_number(value)}"
    return text if step is None else f"{text} step={step}"


def format_number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


def metric_regex(name: str) -> str:
    return f"{re.escape(LINE_PREFIX)} {re.escape(name)}={_NUMBER}"


def metric_definitions(metrics: Sequence[Metric]) -> list[dict[str, str]]:
    """The ``MetricDefinitions`` of a ``CreateAlgorithm`` or ``CreateTrainingJob`` request."""
    definitions = [{"Name": m.name, "Regex": metric_regex(m.name)} for m in metrics]
    if len(definitions) > MAX_METRIC_DEFINITIONS:
        raise ValueError(f"{len(definitions)} metrics declared; SageMaker allows 40")
    too_long = [d["Name"] for d in definitions if len(d["Regex"]) > MAX_REGEX_LENGTH]
    if too_long:
        raise ValueError(f"metric regexes longer than 500 characters: {', '.join(too_long)}")
    return definitions


@dataclass
class MetricLogger:
    """Prints declared metrics in the scraped format and keeps the last value of each."""

    spec: AlgorithmSpec
    enabled: bool = True
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    last: dict[str, float] = field(default_factory=dict)

    def log(self, name: str, value: float, step: int | None = None) -> None:
        if name not in {m.name for m in self.spec.metrics}:
            declared = ", ".join(m.name for m in self.spec.metrics)
            raise KeyError(f"metric {name!r} is not declared in the spec (declared: {declared})")
        self.last[name] = float(value)
        if self.enabled:
            print(metric_line(name, value, step), file=self.stream, flush=True)
