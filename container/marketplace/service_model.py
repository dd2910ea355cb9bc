"""Requests checked against botocore's own service model before anything is sent.

botocore's ``ParamValidator`` (what a client runs before sending) checks required members,
types and minimums only. AWS refuses more than that on its side: enumerations (instance types),
maximum lengths and counts, and the patterns of names, ARNs and S3 URIs. ``check_request`` runs
both, so ``byoa marketplace spec`` can say a request is acceptable without an AWS account.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

from container.marketplace.errors import RequestInvalid

try:  # the `regex` module understands the \p{L} classes of the models' Java patterns
    import regex as _pattern_engine
except ImportError:  # pragma: no cover - without it those few patterns are skipped
    _pattern_engine = re

# Where a model's pattern is stricter than the service itself: AWS's own StartChangeSet
# examples and DescribeEntity answers use versioned entity types such as
# "MachineLearningProduct@1.0", which the model's "^[a-zA-Z]+$" would refuse.
PATTERN_OVERRIDES = {("marketplace-catalog", "EntityType"): r"^[a-zA-Z]+@[0-9]+\.[0-9]+$"}

INSTANCE_TYPE_SHAPES = {
    "training": "TrainingInstanceType",
    "transform": "TransformInstanceType",
    "realtime": "ProductionVariantInstanceType",
}


def check_request(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise ``RequestInvalid`` listing every field of ``params`` the service model refuses."""
    shape = input_shape(service, operation)
    problems = botocore_problems(params, shape)
    _walk(params, shape, "", _Findings(service, problems))
    if problems:
        raise RequestInvalid(operation, problems)


@functools.cache
def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def input_shape(service: str, operation: str) -> StructureShape:
    shape = _service_model(service).operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def instance_types(kind: str) -> tuple[str, ...]:
    """The SageMaker model's enumeration of ``training``, ``transform`` or ``realtime`` types."""
    shape = _service_model("sagemaker").shape_for(INSTANCE_TYPE_SHAPES[kind])
    return tuple(shape.enum)


def botocore_problems(params: Mapping[str, Any], shape: StructureShape) -> list[str]:
    report = ParamValidator().validate(params, shape)
    return report.generate_report().splitlines() if report.has_errors() else []


@dataclass(frozen=True)
class _Findings:
    service: str
    problems: list[str]

    def add(self, problem: str) -> None:
        self.problems.append(problem)


def _walk(value: Any, shape: Shape, path: str, findings: _Findings) -> None:
    if shape.metadata.get("document"):
        return
    checker = _CHECKERS.get(shape.type_name)
    if checker is not None:
        checker(value, shape, path, findings)


def _structure(value: Any, shape: Shape, path: str, findings: _Findings) -> None:
    if not isinstance(value, Mapping) or not isinstance(shape, StructureShape):
        return
    for name, member in value.items():
        if name in shape.members:
            _walk(member, shape.members[name], f"{path}.{name}" if path else name, findings)


def _list(value: Any, shape: Shape, path: str, findings: _Findings) -> None:
    if not isinstance(value, list):
        return
    _check_count(len(value), shape, path, "items", findings)
    for index, item in enumerate(value):
        _walk(item, shape.member, f"{path}[{index}]", findings)  # type: ignore[attr-defined]


def _map(value: Any, shape: Shape, path: str, findings: _Findings) -> None:
    if not isinstance(value, Mapping) or not isinstance(shape, MapShape):
        return
    _check_count(len(value), shape, path, "entries", findings)
    for key, item in value.items():
        _walk(key, shape.key, f"{path} key {key!r}", findings)
        _walk(item, shape.value, f"{path}[{key!r}]", findings)


def _string(value: Any, shape: Shape, path: str, findings: _Findings) -> None:
    if not isinstance(value, str):
        return
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        findings.add(f"{path}: {value!r} is not one of the {len(enum)} {shape.name} values")
        return
    _check_count(len(value), shape, path, "characters", findings)
    pattern_text = PATTERN_OVERRIDES.get((findings.service, shape.name))
    pattern = _compiled(pattern_text or shape.metadata.get("pattern", ""))
    if pattern is not None and pattern.fullmatch(value) is None:
        findings.add(f"{path}: {value!r} does not match {shape.name} pattern {pattern.pattern}")


def _number(value: Any, shape: Shape, path: str, findings: _Findings) -> None:
    maximum = shape.metadata.get("max")
    if isinstance(value, int) and maximum is not None and value > maximum:
        findings.add(f"{path}: {value} is above the maximum {maximum}")


def _check_count(count: int, shape: Shape, path: str, unit: str, findings: _Findings) -> None:
    maximum = shape.metadata.get("max")
    if maximum is not None and count > maximum:
        findings.add(f"{path}: {count} {unit}, the maximum is {maximum}")


@functools.cache
def _compiled(pattern: str) -> Any:
    if not pattern:
        return None
    try:
        return _pattern_engine.compile(pattern)
    except Exception:  # a Java-only construct: AWS checks it, we cannot
        return None


_CHECKERS: dict[str, Callable[[Any, Shape, str, _Findings], None]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _number,
    "long": _number,
}
