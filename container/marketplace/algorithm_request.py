"""The ``CreateAlgorithm`` request, derived only from the algorithm spec.

SageMaker rules implemented here: hyperparameter values and range bounds are strings; a
hyperparameter with a default is not required; Categorical ranges list 1-30 values; every
tuning objective is also a metric definition (the same regexes ``train`` output is scraped
with); one container image serves both training and inference; ``CertifyForMarketplace`` can
only be set at creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from container.metrics import metric_definitions
from container.spec import AlgorithmSpec, Channel, Hyperparameter, ParameterType, Value

Request = dict[str, Any]


@dataclass(frozen=True)
class Image:
    """A pushed image: ``uri`` (``<registry>/<repo>:<tag>``) and, when known, its digest."""

    uri: str
    digest: str | None = None


def format_value(value: Value) -> str:
    """A hyperparameter value as SageMaker writes it into ``hyperparameters.json``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def hyperparameter_specification(hyperparameter: Hyperparameter) -> Request:
    entry: Request = {
        "Name": hyperparameter.name,
        "Description": hyperparameter.description,
        "Type": str(hyperparameter.type),
        "IsTunable": hyperparameter.tunable,
        "IsRequired": hyperparameter.required,
    }
    parameter_range = _range(hyperparameter)
    if parameter_range:
        entry["Range"] = parameter_range
    if hyperparameter.default is not None:
        entry["DefaultValue"] = format_value(hyperparameter.default)
    return entry


def _range(hyperparameter: Hyperparameter) -> Request | None:
    if hyperparameter.type is ParameterType.CATEGORICAL:
        return {"CategoricalParameterRangeSpecification": {"Values": list(hyperparameter.choices)}}
    if hyperparameter.type is ParameterType.FREE_TEXT:
        return None
    if hyperparameter.minimum is None or hyperparameter.maximum is None:
        if hyperparameter.tunable:
            raise ValueError(f"{hyperparameter.name}: a tunable hyperparameter needs both bounds")
        return None
    key = (
        "IntegerParameterRangeSpecification"
        if hyperparameter.type is ParameterType.INTEGER
        else "ContinuousParameterRangeSpecification"
    )
    bounds = (hyperparameter.minimum, hyperparameter.maximum)
    if hyperparameter.type is ParameterType.INTEGER:
        bounds = (int(bounds[0]), int(bounds[1]))
    return {key: {"MinValue": str(bounds[0]), "MaxValue": str(bounds[1])}}


def channel_specification(channel: Channel) -> Request:
    return {
        "Name": channel.name,
        "Description": channel.description,
        "IsRequired": channel.required,
        "SupportedContentTypes": list(channel.content_types),
        "SupportedCompressionTypes": [str(c) for c in channel.compression_types],
        "SupportedInputModes": [str(m) for m in channel.input_modes],
    }


def tuning_objectives(spec: AlgorithmSpec) -> list[Request]:
    return [{"Type": str(m.direction), "MetricName": m.name} for m in spec.metrics if m.tunable]


def training_specification(spec: AlgorithmSpec, image: Image) -> Request:
    training: Request = {"TrainingImage": image.uri}
    if image.digest:
        training["TrainingImageDigest"] = image.digest
    training |= {
        "SupportedHyperParameters": [hyperparameter_specification(h) for h in spec.hyperparameters],
        "SupportedTrainingInstanceTypes": list(spec.training_instance_types),
        "SupportsDistributedTraining": spec.supports_distributed_training,
        "MetricDefinitions": metric_definitions(spec.metrics),
        "TrainingChannels": [channel_specification(c) for c in spec.channels],
        "SupportedTuningJobObjectiveMetrics": tuning_objectives(spec),
    }
    return training


def inference_specification(spec: AlgorithmSpec, image: Image) -> Request:
    container: Request = {"Image": image.uri}
    if image.digest:
        container["ImageDigest"] = image.digest
    return {
        "Containers": [container],
        "SupportedTransformInstanceTypes": list(spec.transform_instance_types),
        "SupportedRealtimeInferenceInstanceTypes": list(spec.realtime_instance_types),
        "SupportedContentTypes": list(spec.request_content_types),
        "SupportedResponseMIMETypes": list(spec.response_content_types),
    }


def create_algorithm_request(
    spec: AlgorithmSpec,
    image: Image,
    validation: Request | None,
    name: str | None = None,
) -> Request:
    """The whole request; ``validation`` is an ``AlgorithmValidationSpecification`` or None."""
    request: Request = {
        "AlgorithmName": name or spec.name,
        "AlgorithmDescription": spec.description,
        "TrainingSpecification": training_specification(spec, image),
        "InferenceSpecification": inference_specification(spec, image),
    }
    if validation is not None:
        request["ValidationSpecification"] = validation
        request["CertifyForMarketplace"] = True
    return request
