"""The Marketplace steps in order: check, upload, create, wait, report.

Each step prints what it does; with ``dry_run`` the requests are printed as JSON instead of
sent, and nothing touches AWS. Clients come from an ``Aws`` object so that tests can hand in
clients pointed at moto or wrapped in botocore's Stubber.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from container.marketplace import validation_data, waiting
from container.marketplace.service_model import check_request

Request = dict[str, Any]
Report = Callable[[str], None]


class Aws(Protocol):
    def client(self, service: str) -> Any: ...


@dataclass(frozen=True)
class Run:
    """How a command runs: where it reports, whether it sends, and how it waits."""

    report: Report
    dry_run: bool = False
    wait: bool = True
    poll: waiting.Poll = field(default_factory=waiting.Poll)


def show_request(operation: str, request: Request, report: Report) -> None:
    """The request as JSON on ``report``; the note about it on stderr, so stdout stays JSON."""
    print(f"# {operation} request, accepted by the botocore service model", file=sys.stderr)
    report(json.dumps(request, indent=2))


def upload_data(aws: Aws | None, uploads: list[validation_data.Upload], run: Run) -> None:
    for item in uploads:
        run.report(f"{'would upload' if run.dry_run else 'uploading'} {item.path} -> {item.uri}")
    if not run.dry_run and aws is not None:
        validation_data.upload(aws.client("s3"), uploads)


@dataclass(frozen=True)
class Creation:
    """A SageMaker resource to create and follow until its validation ends."""

    operation: str  # CreateAlgorithm or CreateModelPackage
    kind: str  # as the report names it
    name: str
    send: Callable[[Any], str]  # client -> ARN
    describe: Callable[[Any], Callable[[], waiting.ResourceStatus]]
    started: str  # what SageMaker does next
    hint: str
    next_steps: Callable[[str], list[str]]  # ARN -> the lines printed on success


def create_algorithm(aws: Aws | None, request: Request, run: Run) -> int:
    name = request["AlgorithmName"]
    return _create(aws, request, run, Creation(
        "CreateAlgorithm", "algorithm", name,
        send=lambda client: client.create_algorithm(**request)["AlgorithmArn"],
        describe=lambda client: waiting.describe_algorithm(client, name),
        started="SageMaker now scans the image and runs the validation",
        hint=f"check later with: aws sagemaker describe-algorithm --algorithm-name {name}",
        next_steps=algorithm_next_steps,
    ))  # fmt: skip


def create_model_package(aws: Aws | None, request: Request, run: Run) -> int:
    name = request["ModelPackageName"]
    return _create(aws, request, run, Creation(
        "CreateModelPackage", "model package", name,
        send=lambda client: client.create_model_package(**request)["ModelPackageArn"],
        describe=lambda client: waiting.describe_model_package(client, name),
        started="SageMaker now runs the batch-transform validation",
        hint=f"check later with: aws sagemaker describe-model-package --model-package-name {name}",
        next_steps=model_package_next_steps,
    ))  # fmt: skip


def _create(aws: Aws | None, request: Request, run: Run, creation: Creation) -> int:
    check_request("sagemaker", creation.operation, request)
    if run.dry_run or aws is None:
        show_request(creation.operation, request, run.report)
        return 0
    client = aws.client("sagemaker")
    arn = creation.send(client)
    run.report(f"created {creation.kind} {arn}; {creation.started}")
    if not run.wait:
        return 0
    status = waiting.wait(
        creation.describe(client), f"{creation.kind} {creation.name}", run.poll, run.report,
        hint=creation.hint,
    )  # fmt: skip
    return _conclude(status, run.report, creation.next_steps(arn), creation.kind)


def start_change_set(aws: Aws | None, request: Request, run: Run) -> int:
    check_request("marketplace-catalog", "StartChangeSet", request)
    if run.dry_run or aws is None:
        show_request("StartChangeSet", request, run.report)
        return 0
    client = aws.client("marketplace-catalog")
    answer = client.start_change_set(**request)
    change_set_id = answer["ChangeSetId"]
    run.report(f"started change set {change_set_id} ({answer.get('ChangeSetArn', '')})")
    if not run.wait:
        return 0
    status = waiting.wait(
        waiting.describe_change_set(client, change_set_id), f"change set {change_set_id}",
        run.poll, run.report,
    )  # fmt: skip
    verdict = "is valid" if request["Intent"] == "VALIDATE" else "is applied"
    return _conclude(status, run.report, [f"the new version {verdict}"], "change set")


def _conclude(status: waiting.ResourceStatus, report: Report, steps: list[str], kind: str) -> int:
    if status.succeeded:
        for line in steps:
            report(line)
        return 0
    report(f"the {kind} ended {status.status}; fix the failures above, then delete and create it")
    return 1


def algorithm_next_steps(arn: str) -> list[str]:
    return [
        f"algorithm ARN: {arn}",
        "next steps of the listing:",
        "  1. AWS Marketplace Management Portal > Products > Machine learning > Create listing;",
        "     paste the ARN above as the version's algorithm (or, for an existing product,",
        f"     byoa marketplace add-version --algorithm-arn {arn} ...)",
        "  2. fill in usage, sample input/output, recommended instance types and pricing",
        "  3. submit, test from an allow-listed account, then sign off and publish",
    ]


def model_package_next_steps(arn: str) -> list[str]:
    return [
        f"model package ARN: {arn}",
        "next step: AWS Marketplace Management Portal > Products > Machine learning >",
        "  Create listing, with this model package ARN as the version",
    ]
