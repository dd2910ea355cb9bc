"""The CreateAlgorithm request for the toolkit tests' algorithm, field by field, and the checks
against botocore's service model."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from container.marketplace.algorithm_request import Image, create_algorithm_request
from container.marketplace.errors import RequestInvalid
from container.marketplace.service_model import check_request, instance_types
from container.marketplace.validation_data import locations
from container.marketplace.validation_profile import ValidationSettings, algorithm_validation
from container.metrics import metric_line
from container.plugin import load_algorithm
from container.spec import Channel, continuous
from tests.fixtures.tabular import SPEC
from tests.marketplace.conftest import stubbed_client

IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/byoa-tabular:1.0.0"
DIGEST = "sha256:" + "ab" * 32
ROLE = "arn:aws:iam::111122223333:role/MarketplaceValidation"


def ints(low: str, high: str) -> dict[str, Any]:
    return {"IntegerParameterRangeSpecification": {"MinValue": low, "MaxValue": high}}


def floats(low: str, high: str) -> dict[str, Any]:
    return {"ContinuousParameterRangeSpecification": {"MinValue": low, "MaxValue": high}}


def values(*choices: str) -> dict[str, Any]:
    return {"CategoricalParameterRangeSpecification": {"Values": list(choices)}}


# name, type, tunable, default, range: written out from tests/fixtures/tabular by hand
HYPERPARAMETERS: list[tuple[str, str, bool, str, dict[str, Any] | None]] = [
    ("label", "FreeText", False, "", None),
    ("epochs", "Integer", True, "30", ints("1", "100000")),
    ("learning_rate", "Continuous", True, "0.5", floats("1e-05", "10.0")),
    ("l2", "Continuous", True, "0.001", floats("0.0", "100.0")),
    ("fill", "Categorical", False, "mean", values("mean", "zero")),
    ("intercept", "Categorical", False, "true", values("true", "false")),
]

OBJECTIVES = [
    ("train:logloss", "Minimize"), ("validation:logloss", "Minimize"),
    ("validation:accuracy", "Maximize"),
]  # fmt: skip


@pytest.fixture(scope="module")
def request_() -> dict[str, Any]:
    folder = load_algorithm().sample_dir
    assert folder is not None, "the toolkit tests' algorithm has no sample/ folder"
    data = locations(SPEC, folder, "seller-bucket", "byoa/validation")
    settings = ValidationSettings(ROLE, data, dict(SPEC.validation_hyperparameters))
    return create_algorithm_request(
        SPEC, Image(IMAGE, DIGEST), algorithm_validation(SPEC, settings)
    )


def test_hyperparameters_are_the_declared_ones_with_string_values(request_: dict[str, Any]) -> None:
    actual = request_["TrainingSpecification"]["SupportedHyperParameters"]
    assert [h["Name"] for h in actual] == [row[0] for row in HYPERPARAMETERS]
    for entry, (name, kind, tunable, default, parameter_range) in zip(
        actual, HYPERPARAMETERS, strict=True
    ):
        expected = {
            "Name": name,
            "Type": kind,
            "IsTunable": tunable,
            "IsRequired": False,
            "DefaultValue": default,
            "Description": SPEC.hyperparameter(name).description,
        }
        if parameter_range:
            expected["Range"] = parameter_range
        assert entry == expected  # fmt: skip


def test_training_specification(request_: dict[str, Any]) -> None:
    training = request_["TrainingSpecification"]
    assert training["TrainingImage"] == IMAGE
    assert training["TrainingImageDigest"] == DIGEST
    assert training["SupportedTrainingInstanceTypes"] == ["ml.m5.large", "ml.m5.xlarge"]
    assert training["SupportsDistributedTraining"] is False
    assert training["TrainingChannels"] == [
        {"Name": "train", "Description": SPEC.channel("train").description, "IsRequired": True,
         "SupportedContentTypes": ["text/csv"], "SupportedCompressionTypes": ["None", "Gzip"],
         "SupportedInputModes": ["File", "Pipe"]},
        {"Name": "validation", "Description": SPEC.channel("validation").description,
         "IsRequired": False, "SupportedContentTypes": ["text/csv"],
         "SupportedCompressionTypes": ["None", "Gzip"], "SupportedInputModes": ["File", "Pipe"]},
    ]  # fmt: skip
    assert training["SupportedTuningJobObjectiveMetrics"] == [
        {"MetricName": name, "Type": direction} for name, direction in OBJECTIVES
    ]


def test_metric_regexes_scrape_what_train_prints(request_: dict[str, Any]) -> None:
    definitions = request_["TrainingSpecification"]["MetricDefinitions"]
    assert [d["Name"] for d in definitions] == [name for name, _ in OBJECTIVES]
    for definition in definitions:
        line = "epoch 3 " + metric_line(definition["Name"], 0.8125, step=3)
        match = re.search(definition["Regex"], line)
        assert match is not None and float(match.group(1)) == 0.8125
        other = metric_line("validation:other", 1.0)
        assert re.search(definition["Regex"], other) is None


def test_inference_specification(request_: dict[str, Any]) -> None:
    assert request_["InferenceSpecification"] == {
        "Containers": [{"Image": IMAGE, "ImageDigest": DIGEST}],
        "SupportedTransformInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
        "SupportedContentTypes": ["text/csv", "application/json", "application/jsonlines",
                                  "application/x-npy"],
        "SupportedResponseMIMETypes": ["text/csv", "application/json", "application/jsonlines"],
    }  # fmt: skip


def test_validation_profile(request_: dict[str, Any]) -> None:
    assert request_["CertifyForMarketplace"] is True
    assert request_["ValidationSpecification"] == {
        "ValidationRole": ROLE,
        "ValidationProfiles": [{
            "ProfileName": "byoa-validation",
            "TrainingJobDefinition": {
                "TrainingInputMode": "File",
                "HyperParameters": {"label": "y", "epochs": "30"},
                "InputDataConfig": [
                    {"ChannelName": name, "ContentType": "text/csv", "CompressionType": "None",
                     "DataSource": {"S3DataSource": {
                         "S3DataType": "S3Prefix",
                         "S3Uri": f"s3://seller-bucket/byoa/validation/{name}/",
                         "S3DataDistributionType": "FullyReplicated"}}}
                    for name in ("train", "validation")
                ],
                "OutputDataConfig": {
                    "S3OutputPath": "s3://seller-bucket/byoa/validation/training-output/"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                   "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            },
            "TransformJobDefinition": {
                "MaxConcurrentTransforms": 1, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
                "TransformInput": {
                    "DataSource": {"S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://seller-bucket/byoa/validation/inference/"}},
                    "ContentType": "text/csv", "CompressionType": "None", "SplitType": "Line"},
                "TransformOutput": {
                    "S3OutputPath": "s3://seller-bucket/byoa/validation/transform-output/",
                    "Accept": "text/csv", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            },
        }],
    }  # fmt: skip


def test_the_service_model_and_a_stubbed_client_accept_it(request_: dict[str, Any]) -> None:
    check_request("sagemaker", "CreateAlgorithm", request_)
    arn = "arn:aws:sagemaker:eu-west-1:111122223333:algorithm/byoa-tabular"
    with stubbed_client("sagemaker", "eu-west-1") as (client, stub):
        stub.add_response("create_algorithm", {"AlgorithmArn": arn}, request_)
        assert client.create_algorithm(**request_)["AlgorithmArn"] == arn


def test_spec_instance_types_are_in_the_model_enumerations() -> None:
    assert set(SPEC.training_instance_types) <= set(instance_types("training"))
    assert set(SPEC.transform_instance_types) <= set(instance_types("transform"))
    assert set(SPEC.realtime_instance_types) <= set(instance_types("realtime"))


def _request_for(spec: Any, tmp_path: Path, name: str | None = None) -> dict[str, Any]:
    return create_algorithm_request(spec, Image(IMAGE), None, name)


def test_an_unknown_instance_type_is_refused_with_its_path(tmp_path: Path) -> None:
    spec = replace(SPEC, transform_instance_types=("ml.m5.large", "ml.m5.enormous"))
    with pytest.raises(RequestInvalid) as refused:
        check_request("sagemaker", "CreateAlgorithm", _request_for(spec, tmp_path))
    assert refused.value.problems == (
        "InferenceSpecification.SupportedTransformInstanceTypes[1]: 'ml.m5.enormous' is not one "
        f"of the {len(instance_types('transform'))} TransformInstanceType values",
    )


def test_a_bad_name_too_many_channels_and_a_control_character_are_refused(
    tmp_path: Path,
) -> None:
    channels = tuple(Channel(f"c{i}", "a channel") for i in range(9))
    spec = replace(SPEC, channels=channels, description="tabs\tare fine, bells\x07 are not")
    with pytest.raises(RequestInvalid) as refused:
        check_request("sagemaker", "CreateAlgorithm", _request_for(spec, tmp_path, "bad_name"))
    problems = "\n".join(refused.value.problems)
    assert "AlgorithmName: 'bad_name' does not match EntityName pattern" in problems
    assert "TrainingSpecification.TrainingChannels: 9 items, the maximum is 8" in problems
    assert "AlgorithmDescription: " in problems


def test_botocore_type_errors_are_reported_too() -> None:
    with pytest.raises(RequestInvalid) as refused:
        check_request("sagemaker", "CreateAlgorithm", {"AlgorithmName": "x"})
    assert 'Missing required parameter in input: "TrainingSpecification"' in str(refused.value)


def test_a_tunable_hyperparameter_needs_a_range() -> None:
    spec = replace(SPEC, hyperparameters=(continuous("alpha", "no bounds", 0.5, tunable=True),),
                   validation_hyperparameters={})  # fmt: skip
    with pytest.raises(ValueError, match="alpha: a tunable hyperparameter needs both bounds"):
        create_algorithm_request(spec, Image(IMAGE), None)
