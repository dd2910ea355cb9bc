"""The validation profile SageMaker runs before an algorithm or model package can be listed.

SageMaker rules implemented here: exactly one profile; an algorithm's profile holds a training
job and a batch transform job, a model package's a transform job only; validation only checks
that the containers run and answer (batch, ``SplitType=Line`` + ``MultiRecord``: one output
line per input line), not accuracy; ``MaxConcurrentTransforms x MaxPayloadInMB`` <= 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from container.marketplace.errors import MarketplaceError
from container.marketplace.validation_data import ValidationData
from container.spec import AlgorithmSpec, InputMode

Request = dict[str, Any]
PROFILE_NAME = "byoa-validation"
CSV = "text/csv"


@dataclass(frozen=True)
class ValidationSettings:
    """What a validation run needs besides the data: the role SageMaker assumes and sizes."""

    role_arn: str
    data: ValidationData
    hyperparameters: Mapping[str, str] = field(default_factory=dict)
    training_instance_type: str = ""
    transform_instance_type: str = ""
    max_runtime_seconds: int = 3600
    volume_size_gb: int = 10


def check_instance_types(spec: AlgorithmSpec, settings: ValidationSettings) -> None:
    """Validation runs on instance types the algorithm itself declares as supported."""
    pairs = (
        ("--training-instance-type", settings.training_instance_type, spec.training_instance_types),
        ("--transform-instance-type", settings.transform_instance_type,
         spec.transform_instance_types),
    )  # fmt: skip
    for flag, chosen, supported in pairs:
        if chosen and chosen not in supported:
            listed = ", ".join(supported)
            raise MarketplaceError(
                f"{flag} {chosen} is not one of those the algorithm supports: {listed}"
            )


def training_job_definition(spec: AlgorithmSpec, settings: ValidationSettings) -> Request:
    return {
        "TrainingInputMode": str(InputMode.FILE),
        "HyperParameters": dict(settings.hyperparameters),
        "InputDataConfig": [
            _training_channel(name, uri) for name, uri in sorted(settings.data.channels.items())
        ],
        "OutputDataConfig": {"S3OutputPath": settings.data.training_output},
        "ResourceConfig": {
            "InstanceType": settings.training_instance_type or spec.training_instance_types[0],
            "InstanceCount": 1,
            "VolumeSizeInGB": settings.volume_size_gb,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_seconds},
    }


def _training_channel(name: str, uri: str) -> Request:
    source = {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
    return {
        "ChannelName": name,
        "ContentType": CSV,
        "CompressionType": "None",
        "DataSource": {"S3DataSource": source},
    }


def transform_job_definition(spec: AlgorithmSpec, settings: ValidationSettings) -> Request:
    accept = CSV if CSV in spec.response_content_types else spec.default_response_content_type
    return {
        "MaxConcurrentTransforms": 1,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": settings.data.inference}
            },
            "ContentType": CSV,
            "CompressionType": "None",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": settings.data.transform_output,
            "Accept": accept,
            "AssembleWith": "Line",
        },
        "TransformResources": {
            "InstanceType": settings.transform_instance_type or spec.transform_instance_types[0],
            "InstanceCount": 1,
        },
    }


def algorithm_validation(spec: AlgorithmSpec, settings: ValidationSettings) -> Request:
    """``AlgorithmValidationSpecification``: one training and one transform job."""
    profile = {
        "ProfileName": PROFILE_NAME,
        "TrainingJobDefinition": training_job_definition(spec, settings),
        "TransformJobDefinition": transform_job_definition(spec, settings),
    }
    return {"ValidationRole": settings.role_arn, "ValidationProfiles": [profile]}


def model_package_validation(spec: AlgorithmSpec, settings: ValidationSettings) -> Request:
    """``ModelPackageValidationSpecification``: one transform job on the trained model."""
    profile = {
        "ProfileName": PROFILE_NAME,
        "TransformJobDefinition": transform_job_definition(spec, settings),
    }
    return {"ValidationRole": settings.role_arn, "ValidationProfiles": [profile]}
