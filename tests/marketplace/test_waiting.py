"""Creating and waiting, on botocore Stubber answers checked against the service model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from container.marketplace import actions
from container.marketplace.change_set import NewVersion, add_version_request
from container.marketplace.errors import MarketplaceError
from container.marketplace.waiting import Poll
from tests.marketplace.conftest import stubbed_client

NAME = "byoa-tabular"
ARN = f"arn:aws:sagemaker:eu-west-1:111122223333:algorithm/{NAME}"
REQUEST: dict[str, Any] = {
    "AlgorithmName": NAME,
    "TrainingSpecification": {
        "TrainingImage": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/byoa:1.0.0",
        "SupportedTrainingInstanceTypes": ["ml.m5.large"],
        "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"],
                              "SupportedInputModes": ["File"]}],
    },
}  # fmt: skip


class FakeClock:
    """Time that moves only when the poller sleeps, so a 6-hour wait takes no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class StubbedAws:
    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients

    def client(self, service: str) -> Any:
        return self.clients[service]


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("sagemaker", "eu-west-1") as stubbed:
        yield stubbed


def algorithm_description(
    status: str, validation: str, scan: str, reason: str = ""
) -> dict[str, Any]:
    def item(name: str, item_status: str) -> dict[str, Any]:
        entry = {"Name": name, "Status": item_status}
        if reason and item_status == "Failed":
            entry["FailureReason"] = reason
        return entry

    return {
        "AlgorithmName": NAME, "AlgorithmArn": ARN, "CreationTime": 0,
        "TrainingSpecification": REQUEST["TrainingSpecification"],
        "AlgorithmStatus": status,
        "AlgorithmStatusDetails": {
            "ValidationStatuses": [item("byoa-validation", validation)],
            "ImageScanStatuses": [item(REQUEST["TrainingSpecification"]["TrainingImage"], scan)],
        },
    }  # fmt: skip


def run_with(lines: list[str], clock: FakeClock, timeout: float = 3600) -> actions.Run:
    poll = Poll(30.0, timeout, clock.sleep, clock.clock)
    return actions.Run(report=lines.append, poll=poll)


def test_waits_through_in_progress_until_completed(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    stub.add_response("create_algorithm", {"AlgorithmArn": ARN}, REQUEST)
    for status, validation, scan in [
        ("Pending", "NotStarted", "NotStarted"),
        ("InProgress", "NotStarted", "InProgress"),
        ("InProgress", "NotStarted", "InProgress"),
        ("InProgress", "InProgress", "Completed"),
        ("Completed", "Completed", "Completed"),
    ]:
        stub.add_response("describe_algorithm", algorithm_description(status, validation, scan),
                          {"AlgorithmName": NAME})  # fmt: skip
    lines: list[str] = []
    clock = FakeClock()
    assert actions.create_algorithm(StubbedAws({"sagemaker": client}), REQUEST,
                                    run_with(lines, clock)) == 0  # fmt: skip
    assert clock.sleeps == [30.0] * 4
    assert lines.count(f"algorithm {NAME}: InProgress") == 2  # printed on each change only
    assert (
        "  image scan 111122223333.dkr.ecr.eu-west-1.amazonaws.com/byoa:1.0.0: Completed" in lines
    )
    assert "  validation byoa-validation: Completed" in lines
    assert f"algorithm ARN: {ARN}" in lines
    assert any("Create listing" in line for line in lines)


def test_a_failed_validation_prints_each_reason_and_fails(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stub = sagemaker
    stub.add_response("create_algorithm", {"AlgorithmArn": ARN}, REQUEST)
    reason = "ClientError: Training job failed: see /aws/sagemaker/TrainingJobs"
    stub.add_response(
        "describe_algorithm", algorithm_description("InProgress", "InProgress", "Completed")
    )
    stub.add_response("describe_algorithm",
                      algorithm_description("Failed", "Failed", "Completed", reason))  # fmt: skip
    lines: list[str] = []
    code = actions.create_algorithm(
        StubbedAws({"sagemaker": client}), REQUEST, run_with(lines, FakeClock())
    )
    assert code == 1
    assert f"  validation byoa-validation: Failed: {reason}" in lines
    assert lines[-1].startswith("the algorithm ended Failed; fix the failures above")
    assert not any("algorithm ARN" in line for line in lines)


def test_a_failed_image_scan_is_reported(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    stub.add_response("create_algorithm", {"AlgorithmArn": ARN}, REQUEST)
    reason = "Client error: No scan scheduled for the image"
    stub.add_response("describe_algorithm",
                      algorithm_description("Failed", "NotStarted", "Failed", reason))  # fmt: skip
    lines: list[str] = []
    code = actions.create_algorithm(
        StubbedAws({"sagemaker": client}), REQUEST, run_with(lines, FakeClock())
    )
    assert code == 1
    image = REQUEST["TrainingSpecification"]["TrainingImage"]
    assert f"  image scan {image}: Failed: {reason}" in lines


def test_waiting_times_out_with_a_hint(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    stub.add_response("create_algorithm", {"AlgorithmArn": ARN}, REQUEST)
    for _ in range(3):
        description = algorithm_description("InProgress", "InProgress", "Completed")
        stub.add_response("describe_algorithm", description)
    with pytest.raises(MarketplaceError, match="still InProgress after 60 s") as timed_out:
        actions.create_algorithm(
            StubbedAws({"sagemaker": client}), REQUEST, run_with([], FakeClock(), timeout=60)
        )
    assert f"aws sagemaker describe-algorithm --algorithm-name {NAME}" in str(timed_out.value)


def test_no_wait_returns_after_creating(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    stub.add_response("create_algorithm", {"AlgorithmArn": ARN}, REQUEST)
    lines: list[str] = []
    run = actions.Run(report=lines.append, wait=False)
    assert actions.create_algorithm(StubbedAws({"sagemaker": client}), REQUEST, run) == 0
    assert lines == [
        f"created algorithm {ARN}; SageMaker now scans the image and runs the validation"
    ]


def test_model_package_waits_for_its_transform_validation(
    sagemaker: tuple[Any, Stubber],
) -> None:
    client, stub = sagemaker
    package_arn = "arn:aws:sagemaker:eu-west-1:111122223333:model-package/byoa-bank-model"
    request = {
        "ModelPackageName": "byoa-bank-model",
        "SourceAlgorithmSpecification": {"SourceAlgorithms": [
            {"AlgorithmName": NAME, "ModelDataUrl": "s3://b/model/model.tar.gz"}]},
        "CertifyForMarketplace": True,
    }  # fmt: skip
    stub.add_response("create_model_package", {"ModelPackageArn": package_arn}, request)
    for status in ("InProgress", "Completed"):
        stub.add_response("describe_model_package", {
            "ModelPackageName": "byoa-bank-model", "ModelPackageArn": package_arn,
            "CreationTime": 0, "ModelPackageStatus": status,
            "ModelPackageStatusDetails": {"ValidationStatuses": [
                {"Name": "byoa-validation", "Status": status}]},
        }, {"ModelPackageName": "byoa-bank-model"})  # fmt: skip
    lines: list[str] = []
    run = run_with(lines, FakeClock())
    assert actions.create_model_package(StubbedAws({"sagemaker": client}), request, run) == 0
    assert "  validation byoa-validation: InProgress" in lines
    assert f"model package ARN: {package_arn}" in lines


VERSION = NewVersion(
    "prod-abcdefgh12345",
    ARN,
    "arn:aws:iam::111122223333:role/AwsMarketplaceSageMakerIngestion",
    "1.1",
    "Faster training.",
    "Train with channel train (CSV, label y).",
)


@pytest.fixture
def catalog() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("marketplace-catalog", "us-east-1") as stubbed:
        yield stubbed


def test_add_version_sends_the_exact_change_set(catalog: tuple[Any, Stubber]) -> None:
    client, stub = catalog
    expected = {
        "Catalog": "AWSMarketplace",
        "ChangeSet": [{
            "ChangeType": "AddDeliveryOptions",
            "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "prod-abcdefgh12345"},
            "DetailsDocument": {
                "Version": {"VersionTitle": "1.1", "ReleaseNotes": "Faster training."},
                "DeliveryOptions": [{"Details": {"SageMakerAlgorithmDeliveryOptionDetails": {
                    "SageMakerAlgorithmArn": ARN,
                    "AccessRoleArn":
                        "arn:aws:iam::111122223333:role/AwsMarketplaceSageMakerIngestion",
                    "UsageInstructions": "Train with channel train (CSV, label y).",
                }}}],
            },
        }],
        "ChangeSetName": "Add version 1.1",
        "Intent": "VALIDATE",
    }  # fmt: skip
    request = add_version_request(VERSION, "VALIDATE")
    assert request == expected
    stub.add_response("start_change_set", {"ChangeSetId": "cs-123", "ChangeSetArn": "arn:cs"},
                      expected)  # fmt: skip
    stub.add_response(
        "describe_change_set",
        {"Status": "PREPARING"},
        {"Catalog": "AWSMarketplace", "ChangeSetId": "cs-123"},
    )
    stub.add_response("describe_change_set", {"Status": "SUCCEEDED"},
                      {"Catalog": "AWSMarketplace", "ChangeSetId": "cs-123"})  # fmt: skip
    lines: list[str] = []
    run = run_with(lines, FakeClock())
    code = actions.start_change_set(StubbedAws({"marketplace-catalog": client}), request, run)
    assert code == 0
    assert lines[-1] == "the new version is valid"


def test_a_refused_change_set_prints_the_errors(catalog: tuple[Any, Stubber]) -> None:
    client, stub = catalog
    request = add_version_request(VERSION, "APPLY")
    stub.add_response("start_change_set", {"ChangeSetId": "cs-9"}, request)
    stub.add_response("describe_change_set", {
        "Status": "FAILED", "FailureCode": "CLIENT_ERROR",
        "FailureDescription": "One or more changes failed validation.",
        "ChangeSet": [{"ChangeType": "AddDeliveryOptions", "ErrorDetailList": [
            {"ErrorCode": "INVALID_ACCESS_ROLE", "ErrorMessage": "The role cannot be assumed."}]}],
    })  # fmt: skip
    lines: list[str] = []
    code = actions.start_change_set(
        StubbedAws({"marketplace-catalog": client}), request, run_with(lines, FakeClock())
    )
    assert code == 1
    assert (
        "  problem in AddDeliveryOptions: error: INVALID_ACCESS_ROLE The role cannot be assumed."
        in lines
    )
    assert (
        "  problem in the change set: CLIENT_ERROR: One or more changes failed validation." in lines
    )


def test_dry_run_prints_and_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    lines: list[str] = []
    request = add_version_request(VERSION, "APPLY")
    assert actions.start_change_set(None, request, actions.Run(lines.append, dry_run=True)) == 0
    assert '"Intent": "APPLY"' in lines[0]
    assert "accepted by the botocore service model" in capsys.readouterr().err
