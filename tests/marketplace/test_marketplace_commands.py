"""``byoa marketplace`` as a seller runs it, and its uploads into S3 on moto."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import Stubber

from container.cli import build_parser, main
from container.commands import marketplace_steps
from container.marketplace import actions
from container.marketplace.service_model import check_request
from container.plugin import algorithm_path, load_algorithm
from tests.conftest import REPO_ROOT
from tests.fixtures.tabular import SPEC
from tests.marketplace.conftest import REGION, aws_environment

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/byoa-tabular:1.0.0"
ROLE = "arn:aws:iam::123456789012:role/MarketplaceValidation"
BUCKET = "seller-validation"


def byoa(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "container.cli", *arguments], env=environment,
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
    )  # fmt: skip


def byoa_here(
    arguments: list[str],
    environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> subprocess.CompletedProcess[str]:
    """``byoa`` in this process (no torch import per run), with ``environment`` as os.environ."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code = main(arguments)
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(arguments, code, captured.out, captured.err)


def test_spec_prints_a_request_the_service_model_accepts(tmp_path: Path) -> None:
    result = byoa(["marketplace", "spec"], aws_environment(tmp_path, None, False))
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    check_request("sagemaker", "CreateAlgorithm", request)
    assert request["AlgorithmName"] == SPEC.name
    assert request["CertifyForMarketplace"] is True
    assert "example values used for: --image, --role-arn, --bucket" in result.stderr


def test_dry_run_needs_no_aws_and_prints_uploads_and_request(tmp_path: Path) -> None:
    result = byoa(
        ["marketplace", "create-algorithm", "--dry-run", "--image", IMAGE, "--role-arn", ROLE,
         "--bucket", BUCKET, "--prefix", "listing/v1", "--hp", "epochs=2"],
        aws_environment(tmp_path, region=None, credentials=False),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    uploads = [line for line in result.stdout.splitlines() if line.startswith("would upload")]
    assert [line.rsplit(" -> ", 1)[1] for line in uploads] == [
        f"s3://{BUCKET}/listing/v1/inference/inference.csv",
        f"s3://{BUCKET}/listing/v1/train/train.csv",
        f"s3://{BUCKET}/listing/v1/validation/validation.csv",
    ]
    request = json.loads(result.stdout[result.stdout.index("{") :])
    profile = request["ValidationSpecification"]["ValidationProfiles"][0]
    assert profile["TrainingJobDefinition"]["HyperParameters"] == {"label": "y", "epochs": "2"}
    assert request["TrainingSpecification"]["TrainingImage"] == IMAGE


@pytest.mark.parametrize(
    ("region", "credentials", "message"),
    [
        (None, True, "no AWS region: pass --region, set AWS_REGION"),
        (REGION, False, "no AWS credentials: run aws configure"),
    ],
)
def test_missing_region_or_credentials_is_one_clear_line(
    tmp_path: Path,
    region: str | None,
    credentials: bool,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = byoa_here(
        ["marketplace", "create-algorithm", "--image", IMAGE, "--role-arn", ROLE,
         "--bucket", BUCKET],
        aws_environment(tmp_path, region, credentials), monkeypatch, capsys,
    )  # fmt: skip
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"byoa marketplace: {message}")


def test_a_model_file_that_is_not_a_tar_gz_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_text("not an archive")
    result = byoa_here(
        ["marketplace", "create-model-package", "--dry-run", "--algorithm", "byoa-tabular",
         "--model-data", str(model), "--name", "bank-model", "--role-arn", ROLE,
         "--bucket", BUCKET],
        aws_environment(tmp_path), monkeypatch, capsys,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"--model-data {model} is not a gzip-compressed tar (model.tar.gz)" in result.stderr


def test_add_version_dry_run_prints_a_validate_change_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:algorithm/byoa-tabular"
    result = byoa_here(
        ["marketplace", "add-version", "--dry-run", "--validate", "--product-id", "prod-abc123",
         "--algorithm-arn", arn, "--access-role-arn", ROLE, "--title", "1.1",
         "--release-notes", "Faster."],
        aws_environment(tmp_path, None, False), monkeypatch, capsys,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    assert request["Intent"] == "VALIDATE"
    details = request["ChangeSet"][0]["DetailsDocument"]["DeliveryOptions"][0]["Details"]
    assert details["SageMakerAlgorithmDeliveryOptionDetails"]["SageMakerAlgorithmArn"] == arn


class LocalAws:
    """S3 on moto; SageMaker through Stubber, recording what would be sent."""

    def __init__(self, moto: str) -> None:
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto, **keys)
        self.ecr = boto3.client("ecr", region_name=REGION, endpoint_url=moto, **keys)
        self.sts = boto3.client("sts", region_name=REGION, endpoint_url=moto, **keys)
        self.sagemaker = boto3.client("sagemaker", region_name=REGION, **keys)
        self.stub = Stubber(self.sagemaker)
        self.sent: list[dict[str, Any]] = []
        self.sagemaker.meta.events.register(
            "before-parameter-build.sagemaker.*", lambda params, **_: self.sent.append(params)
        )

    def client(self, service: str) -> Any:
        clients = {"s3": self.s3, "sagemaker": self.sagemaker, "ecr": self.ecr, "sts": self.sts}
        return clients[service]


@pytest.fixture
def local_aws(moto: str) -> Iterator[LocalAws]:
    aws = LocalAws(moto)
    aws.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    with aws.stub:
        yield aws
        aws.stub.assert_no_pending_responses()


def s3_text(aws: LocalAws, uri: str) -> str:
    key = uri.removeprefix(f"s3://{BUCKET}/")
    body: str = aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return body


def objects_under(aws: LocalAws, uri: str) -> list[str]:
    prefix = uri.removeprefix(f"s3://{BUCKET}/")
    listing = aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [f"s3://{BUCKET}/{item['Key']}" for item in listing.get("Contents", [])]


def test_create_algorithm_uploads_the_public_sample_where_the_profile_reads_it(
    local_aws: LocalAws,
) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:123456789012:algorithm/byoa-tabular"
    local_aws.stub.add_response("create_algorithm", {"AlgorithmArn": arn})
    arguments = build_parser().parse_args(
        ["marketplace", "create-algorithm", "--image", IMAGE, "--role-arn", ROLE,
         "--bucket", BUCKET, "--prefix", "byoa/v1", "--no-wait", "--skip-image-check"]
    )  # fmt: skip
    lines: list[str] = []
    run = actions.Run(lines.append, wait=False)
    assert marketplace_steps._create_algorithm(arguments, local_aws, run) == 0

    (request,) = local_aws.sent
    profile = request["ValidationSpecification"]["ValidationProfiles"][0]
    channels = profile["TrainingJobDefinition"]["InputDataConfig"]
    for channel in channels:
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        (csv_uri,) = objects_under(local_aws, uri)
        header = next(csv.reader(io.StringIO(s3_text(local_aws, csv_uri))))
        assert "y" in header and len(header) == 21
    inference_uri = profile["TransformJobDefinition"]["TransformInput"]["DataSource"][
        "S3DataSource"
    ]["S3Uri"]
    (inference,) = objects_under(local_aws, inference_uri)
    rows = list(csv.reader(io.StringIO(s3_text(local_aws, inference))))
    assert len(rows) == 50 and {len(row) for row in rows} == {20}  # features only, no header
    assert not rows[0][0].isalpha()  # the first column is age, a number: no header line
    assert (
        lines[-1] == f"created algorithm {arn}; SageMaker now scans the image and runs "
        "the validation"
    )


def test_create_model_package_uploads_the_model_and_the_transform_input(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    model = tmp_path / "model.tar.gz"
    with tarfile.open(model, "w:gz") as archive:
        archive.add(REPO_ROOT / "pyproject.toml", arcname="model.json")
    package_arn = "arn:aws:sagemaker:eu-west-1:123456789012:model-package/bank-model"
    local_aws.stub.add_response("create_model_package", {"ModelPackageArn": package_arn})
    arguments = build_parser().parse_args(
        ["marketplace", "create-model-package", "--algorithm", "byoa-tabular",
         "--model-data", str(model), "--name", "bank-model", "--role-arn", ROLE,
         "--bucket", BUCKET, "--prefix", "pkg"]
    )  # fmt: skip
    run = actions.Run([].append, wait=False)
    assert marketplace_steps._create_model_package(arguments, local_aws, run) == 0

    (request,) = local_aws.sent
    source = request["SourceAlgorithmSpecification"]["SourceAlgorithms"][0]
    assert source == {"AlgorithmName": "byoa-tabular",
                      "ModelDataUrl": f"s3://{BUCKET}/pkg/model/model.tar.gz"}  # fmt: skip
    stored = local_aws.s3.get_object(Bucket=BUCKET, Key="pkg/model/model.tar.gz")["Body"].read()
    assert stored == model.read_bytes()
    assert objects_under(local_aws, f"s3://{BUCKET}/pkg/") == [
        f"s3://{BUCKET}/pkg/inference/inference.csv",
        f"s3://{BUCKET}/pkg/model/model.tar.gz",
    ]
    assert (
        "TrainingJobDefinition" not in request["ValidationSpecification"]["ValidationProfiles"][0]
    )


def test_validation_runs_only_on_a_supported_instance_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = byoa_here(
        ["marketplace", "create-algorithm", "--dry-run", "--image", IMAGE, "--role-arn", ROLE,
         "--bucket", BUCKET, "--training-instance-type", "ml.p3.2xlarge"],
        aws_environment(tmp_path, None, False), monkeypatch, capsys,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        "--training-instance-type ml.p3.2xlarge is not one of those the algorithm supports: "
        "ml.m5.large" in result.stderr
    )


def test_create_algorithm_checks_the_image_and_pins_its_digest(
    local_aws: LocalAws, moto: str
) -> None:
    local_aws.ecr.create_repository(repositoryName="byoa-tabular")
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                           "size": 1, "digest": "sha256:" + "3" * 64},
                "layers": []}  # fmt: skip
    pushed = local_aws.ecr.put_image(repositoryName="byoa-tabular", imageTag="1.0.0",
                                     imageManifest=json.dumps(manifest))  # fmt: skip
    digest = pushed["image"]["imageId"]["imageDigest"]
    clean = {"repositoryName": "byoa-tabular", "imageId": {},
             "imageScanStatus": {"status": "COMPLETE"},
             "imageScanFindings": {"findingSeverityCounts": {"LOW": 3}}}  # fmt: skip
    requests.post(
        f"{moto}/moto-api/static/ecr/scan-finding-results",
        json={"results": [clean], "region": REGION},
        timeout=10,
    ).raise_for_status()
    local_aws.ecr.start_image_scan(repositoryName="byoa-tabular", imageId={"imageTag": "1.0.0"})
    local_aws.stub.add_response("create_algorithm", {"AlgorithmArn": "arn:aws:sagemaker:x"})
    arguments = build_parser().parse_args(
        ["marketplace", "create-algorithm", "--image", IMAGE, "--role-arn", ROLE,
         "--bucket", BUCKET, "--no-wait"]
    )  # fmt: skip
    lines: list[str] = []
    run = actions.Run(lines.append, wait=False)
    found = marketplace_steps._create_algorithm(arguments, local_aws, run)
    assert found == 0
    (request,) = local_aws.sent
    assert request["TrainingSpecification"]["TrainingImageDigest"] == digest
    assert request["InferenceSpecification"]["Containers"] == [
        {"Image": IMAGE, "ImageDigest": digest}
    ]
    assert lines[0] == f"image {IMAGE} is in ECR as {digest}, scanned, no Critical/High"


def _spec_command(algorithm: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "container.cli", "marketplace", "spec", "--image",
               "123456789012.dkr.ecr.us-east-1.amazonaws.com/seller:1.0"]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                          env={**os.environ, "BYOA_ALGORITHM": algorithm})  # fmt: skip


@pytest.mark.parametrize("algorithm", [algorithm_path(), "examples.ridge"])
def test_spec_needs_only_the_image_for_an_algorithm_with_a_sample(algorithm: str) -> None:
    done = _spec_command(algorithm)
    assert done.returncode == 0, done.stderr
    request = json.loads(done.stdout)
    spec = load_algorithm(algorithm).spec
    assert request["AlgorithmName"] == spec.name
    profile = request["ValidationSpecification"]["ValidationProfiles"][0]
    training = profile["TrainingJobDefinition"]
    assert training["HyperParameters"] == dict(spec.validation_hyperparameters)
    declared = {c.name for c in spec.channels}
    assert {c["ChannelName"] for c in training["InputDataConfig"]} <= declared


def test_spec_without_a_sample_folder_says_how_to_give_one() -> None:
    done = _spec_command("tests.fixtures.serve_probe_algorithm")
    assert done.returncode == 2
    assert "--data is required" in done.stderr and "sample/inference/" in done.stderr
