"""The image checks before CreateAlgorithm, against ECR and STS on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests

from container.marketplace.errors import MarketplaceError
from container.marketplace.image_check import EcrImage, check_image, parse_ecr_uri
from tests.marketplace.conftest import ACCOUNT, REGION

REPOSITORY = "byoa-tabular"
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
               "digest": "sha256:" + "1" * 64},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 9,
                "digest": "sha256:" + "2" * 64}],
}  # fmt: skip


class MotoAws:
    def __init__(self, moto: str, region: str = REGION) -> None:
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.clients = {
            name: boto3.client(name, region_name=region, endpoint_url=moto, **keys)
            for name in ("ecr", "sts")
        }

    def client(self, service: str) -> Any:
        return self.clients[service]


@pytest.fixture
def pushed(moto: str) -> tuple[MotoAws, str]:
    """An image tagged 1.0.0 in the seller's repository; returns its digest."""
    aws = MotoAws(moto)
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName=REPOSITORY)
    image = ecr.put_image(repositoryName=REPOSITORY, imageTag="1.0.0",
                          imageManifest=json.dumps(MANIFEST))["image"]  # fmt: skip
    return aws, image["imageId"]["imageDigest"]


def uri(account: str = ACCOUNT, region: str = REGION, reference: str = ":1.0.0") -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{REPOSITORY}{reference}"


def scan(moto: str, aws: MotoAws, counts: dict[str, int]) -> None:
    result = {
        "repositoryName": REPOSITORY, "imageId": {},
        "imageScanStatus": {"status": "COMPLETE"},
        "imageScanFindings": {"findingSeverityCounts": counts},
    }  # fmt: skip
    requests.post(
        f"{moto}/moto-api/static/ecr/scan-finding-results",
        json={"results": [result], "region": REGION},
        timeout=10,
    ).raise_for_status()
    ecr = aws.client("ecr")
    ecr.start_image_scan(repositoryName=REPOSITORY, imageId={"imageTag": "1.0.0"})


def test_a_scanned_clean_image_gives_its_digest(moto: str, pushed: tuple[MotoAws, str]) -> None:
    aws, digest = pushed
    scan(moto, aws, {"MEDIUM": 2, "LOW": 5})
    assert check_image(aws, uri()) == digest
    assert check_image(aws, uri(reference=f"@{digest}")) == digest


def test_critical_or_high_findings_stop_the_listing(moto: str, pushed: tuple[MotoAws, str]) -> None:
    aws, _ = pushed
    scan(moto, aws, {"CRITICAL": 1, "HIGH": 4, "MEDIUM": 2})
    with pytest.raises(MarketplaceError, match="found CRITICAL=1, HIGH=4: Marketplace refuses"):
        check_image(aws, uri())


def test_an_unscanned_image_is_named_with_the_command_to_scan_it(
    pushed: tuple[MotoAws, str],
) -> None:
    aws, digest = pushed
    with pytest.raises(MarketplaceError, match="has no ECR scan") as refused:
        check_image(aws, uri())
    assert f"--image-id imageDigest={digest}" in str(refused.value)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (uri(account="111122223333"), "is in account 111122223333, but you are 123456789012"),
        (uri(region="us-east-2"), "is in us-east-2, the algorithm would be in eu-west-1"),
        (uri(reference=":2.0.0"), "is not in ECR (ImageNotFoundException): push it first"),
        ("ghcr.io/acme/byoa:1.0.0", "is not an ECR image URI"),
    ],
)
def test_images_marketplace_cannot_use_are_refused_before_creating(
    pushed: tuple[MotoAws, str], image: str, message: str
) -> None:
    aws, _ = pushed
    with pytest.raises(MarketplaceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_image(aws, image)


def test_parse_ecr_uri_reads_tags_and_digests() -> None:
    digest = "sha256:" + "a" * 64
    assert parse_ecr_uri(uri(reference=f":1.0.0@{digest}")) == EcrImage(
        ACCOUNT, REGION, REPOSITORY, "1.0.0", digest
    )
    assert parse_ecr_uri(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/algo") == EcrImage(
        ACCOUNT, REGION, "team/algo", None, None
    )
