"""Parse and validate ``hyperparameters.json`` against the algorithm spec.

SageMaker writes every value as a string. The SageMaker Python SDK (2.110 and later)
JSON-encodes them first, so ``"0.1"`` may arrive as ``"\\"0.1\\""``; both forms are accepted.
Keys that SageMaker or its SDK add (``sagemaker_*``, ``_tuning_objective_metric``) are set aside,
not rejected.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from container.errors import ConfigError
from container.hints import did_you_mean
from container.spec import AlgorithmSpec, Hyperparameter, ParameterType, Value

log = logging.getLogger(__name__)

RESERVED_PREFIX = "sagemaker_"
TUNING_OBJECTIVE_KEY = "_tuning_objective_metric"
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class InvalidValue(ValueError):
    """A raw value does not fit its hyperparameter; the message says what would."""


@dataclass(frozen=True)
class Hyperparameters(Mapping[str, Value]):
    """Validated hyperparameters with typed access, plus the reserved keys set aside."""

    parsed: Mapping[str, Value]
    reserved: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Value:
        return self.parsed[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.parsed)

    def __len__(self) -> int:
        return len(self.parsed)

    def get_int(self, name: str) -> int:
        value = self.parsed[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(_wrong_type(name, value, "int"))
        return value

    def get_float(self, name: str) -> float:
        value = self.parsed[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(_wrong_type(name, value, "float"))
        return float(value)

    def get_str(self, name: str) -> str:
        value = self.parsed[name]
        if not isinstance(value, str):
            raise TypeError(_wrong_type(name, value, "str"))
        return value

    def get_bool(self, name: str) -> bool:
        value = self.parsed[name]
        if not isinstance(value, bool):
            raise TypeError(_wrong_type(name, value, "bool"))
        return value

    @property
    def tuning_objective(self) -> str | None:
        return self.reserved.get(TUNING_OBJECTIVE_KEY)


def _wrong_type(name: str, value: Value, wanted: str) -> str:
    return f"hyperparameter {name!r} is {type(value).__name__}, not {wanted}; check the spec"


def parse_hyperparameters(spec: AlgorithmSpec, raw: Mapping[str, Any]) -> Hyperparameters:
    """Validate ``raw`` (the decoded ``hyperparameters.json``); all problems in one ConfigError."""
    declared = {h.name: h for h in spec.hyperparameters}
    values: dict[str, Value] = {}
    reserved: dict[str, str] = {}
    problems: list[str] = []
    for key, raw_value in raw.items():
        if is_reserved(key):
            reserved[key] = unquote(str(raw_value))
        elif key not in declared:
            problems.append(_unknown_key_message(key, declared))
        else:
            try:
                values[key] = parse_value(declared[key], raw_value)
            except InvalidValue as error:
                problems.append(f"hyperparameter {key!r}: {error}")
    for name, hyperparameter in declared.items():
        if name in values:
            continue
        if hyperparameter.required:
            problems.append(f"hyperparameter {name!r} is required ({hyperparameter.description})")
        elif hyperparameter.default is not None:
            values[name] = hyperparameter.default
    if problems:
        raise ConfigError("; ".join(problems), _allowed_table(spec))
    if reserved:
        log.info("Set aside reserved hyperparameters: %s", ", ".join(sorted(reserved)))
    return Hyperparameters(values, reserved)


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX) or key == TUNING_OBJECTIVE_KEY


def unquote(text: str) -> str:
    """Undo the SDK's JSON encoding of a string value (``"\\"adam\\""`` -> ``adam``)."""
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(decoded, str):
            return decoded
    return text


def parse_value(hyperparameter: Hyperparameter, raw: Any) -> Value:
    text = unquote(raw if isinstance(raw, str) else json.dumps(raw)).strip()
    if hyperparameter.type is ParameterType.INTEGER:
        return _check_range(hyperparameter, _parse_integer(text))
    if hyperparameter.type is ParameterType.CONTINUOUS:
        return _check_range(hyperparameter, _parse_float(text))
    if hyperparameter.boolean:
        return _parse_bool(text)
    if hyperparameter.type is ParameterType.CATEGORICAL:
        return _parse_choice(hyperparameter, text)
    return text


def _parse_integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass  # "1e3" and "10.0" are integers written as floats (tuning jobs write them so)
    try:
        number = float(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not an integer") from None
    if not math.isfinite(number) or not number.is_integer():
        raise InvalidValue(f"{text!r} is not an integer")
    return int(number)


def _parse_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise InvalidValue(f"{text!r} is not a finite number")
    return number


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidValue(f"{text!r} is not a boolean; use true or false")


def _parse_choice(hyperparameter: Hyperparameter, text: str) -> str:
    if text in hyperparameter.choices:
        return text
    hint = did_you_mean(text, hyperparameter.choices)
    raise InvalidValue(f"{text!r} is not one of {hyperparameter.range_text}{hint}")


def _check_range(hyperparameter: Hyperparameter, number: int | float) -> int | float:
    low, high = hyperparameter.minimum, hyperparameter.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidValue(f"{number} is out of range {hyperparameter.range_text}")
    return number


def _unknown_key_message(key: str, declared: Mapping[str, Hyperparameter]) -> str:
    return f"unknown hyperparameter {key!r}{did_you_mean(key, list(declared))}"


def _allowed_table(spec: AlgorithmSpec) -> str:
    lines = ["Declared hyperparameters (name, type, allowed, default):"]
    for h in spec.hyperparameters:
        default = "required" if h.required else h.default
        lines.append(f"  {h.name}: {h.type.value} {h.range_text} default={default}")
    return "\n".join(lines)
