"""The algorithm spec: the one object in which an algorithm declares itself.

Everything SageMaker needs to know about an algorithm is declared here once, as data:
hyperparameter validation in ``train``, the metric log lines and their regexes, the
``CreateAlgorithm`` request and the README's hyperparameter table are all derived from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

Value = int | float | str | bool


class ParameterType(StrEnum):
    """The four hyperparameter types of ``CreateAlgorithm``'s ``SupportedHyperParameters``."""

    INTEGER = "Integer"
    CONTINUOUS = "Continuous"
    CATEGORICAL = "Categorical"
    FREE_TEXT = "FreeText"


class Direction(StrEnum):
    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


class InputMode(StrEnum):
    FILE = "File"
    PIPE = "Pipe"


class Compression(StrEnum):
    NONE = "None"
    GZIP = "Gzip"


@dataclass(frozen=True)
class Hyperparameter:
    """One declared hyperparameter.

    ``choices`` is the allowed values of a Categorical one; ``minimum``/``maximum`` bound an
    Integer or Continuous one (inclusive). ``boolean`` marks a Categorical ``true``/``false``
    hyperparameter whose parsed value is a Python ``bool``.
    """

    name: str
    type: ParameterType
    description: str
    default: Value | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    tunable: bool = False
    required: bool = False
    boolean: bool = False

    def __post_init__(self) -> None:
        if self.required and self.default is not None:
            raise ValueError(f"{self.name}: a required hyperparameter cannot have a default")
        if self.type is ParameterType.CATEGORICAL and not self.choices:
            raise ValueError(f"{self.name}: a Categorical hyperparameter needs choices")

    @property
    def range_text(self) -> str:
        """The allowed values as a person reads them, e.g. ``[1, 500]`` or ``{adam, sgd}``."""
        if self.choices:
            return "{" + ", ".join(self.choices) + "}"
        if self.minimum is None and self.maximum is None:
            return "any"
        low = "-inf" if self.minimum is None else _number_text(self.minimum)
        high = "inf" if self.maximum is None else _number_text(self.maximum)
        return f"[{low}, {high}]"


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


def integer(
    name: str,
    description: str,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    *,
    tunable: bool = False,
    required: bool = False,
) -> Hyperparameter:
    return Hyperparameter(
        name, ParameterType.INTEGER, description, default, minimum, maximum,
        tunable=tunable, required=required,
    )  # fmt: skip


def continuous(
    name: str,
    description: str,
    default: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    tunable: bool = False,
    required: bool = False,
) -> Hyperparameter:
    return Hyperparameter(
        name, ParameterType.CONTINUOUS, description, default, minimum, maximum,
        tunable=tunable, required=required,
    )  # fmt: skip


def categorical(
    name: str,
    description: str,
    choices: Sequence[str],
    default: str | None = None,
    *,
    tunable: bool = False,
    required: bool = False,
) -> Hyperparameter:
    return Hyperparameter(
        name, ParameterType.CATEGORICAL, description, default,
        choices=tuple(choices), tunable=tunable, required=required,
    )  # fmt: skip


def boolean(name: str, description: str, default: bool, *, tunable: bool = False) -> Hyperparameter:
    return Hyperparameter(
        name, ParameterType.CATEGORICAL, description, default,
        choices=("true", "false"), tunable=tunable, boolean=True,
    )  # fmt: skip


def free_text(
    name: str, description: str, default: str | None = None, *, required: bool = False
) -> Hyperparameter:
    return Hyperparameter(name, ParameterType.FREE_TEXT, description, default, required=required)


@dataclass(frozen=True)
class Channel:
    """One declared input channel (``/opt/ml/input/data/<name>``)."""

    name: str
    description: str
    required: bool = True
    content_types: tuple[str, ...] = ("text/csv",)
    compression_types: tuple[Compression, ...] = (Compression.NONE, Compression.GZIP)
    input_modes: tuple[InputMode, ...] = (InputMode.FILE,)


@dataclass(frozen=True)
class Metric:
    """A metric the algorithm logs, e.g. ``validation:auc``; tunable ones can be HPO objectives."""

    name: str
    direction: Direction
    description: str = ""
    tunable: bool = True


@dataclass(frozen=True)
class AlgorithmSpec:
    """Everything SageMaker and Marketplace are told about the algorithm.

    ``name`` and ``description`` name the SageMaker algorithm resource. ``hyperparameters``,
    ``channels`` and ``metrics`` are what ``train`` accepts and logs (a tunable metric can be a
    tuning objective). ``request_content_types`` are the ``Content-Type`` values
    ``/invocations`` accepts (others get 415); ``response_content_types`` what it can answer,
    the first (or ``default_response_content_type``) when ``Accept`` is absent or ``*/*``.
    The three instance-type lists are what ``CreateAlgorithm`` declares for training,
    real-time hosting and batch transform. ``supports_distributed_training`` lets a job run
    on several instances. ``validation_hyperparameters`` (string values) are the ones the
    Marketplace validation profile trains with, on the algorithm's ``sample/`` data.
    """

    name: str
    description: str
    hyperparameters: tuple[Hyperparameter, ...]
    channels: tuple[Channel, ...]
    metrics: tuple[Metric, ...]
    request_content_types: tuple[str, ...]
    response_content_types: tuple[str, ...]
    training_instance_types: tuple[str, ...]
    realtime_instance_types: tuple[str, ...]
    transform_instance_types: tuple[str, ...]
    supports_distributed_training: bool = False
    default_response_content_type: str = field(default="")
    validation_hyperparameters: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_unique("hyperparameter", [h.name for h in self.hyperparameters])
        _check_unique("channel", [c.name for c in self.channels])
        _check_unique("metric", [m.name for m in self.metrics])
        undeclared = sorted(
            set(self.validation_hyperparameters) - {h.name for h in self.hyperparameters}
        )
        if undeclared:
            raise ValueError(f"validation_hyperparameters not declared: {', '.join(undeclared)}")
        if not self.default_response_content_type:
            object.__setattr__(
                self, "default_response_content_type", self.response_content_types[0]
            )

    def hyperparameter(self, name: str) -> Hyperparameter:
        return next(h for h in self.hyperparameters if h.name == name)

    def channel(self, name: str) -> Channel:
        return next(c for c in self.channels if c.name == name)

    def metric(self, name: str) -> Metric:
        return next(m for m in self.metrics if m.name == name)


def _check_unique(kind: str, names: list[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{kind} names declared twice: {', '.join(repeated)}")
