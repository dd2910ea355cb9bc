"""Checks of the image before an algorithm is created, since validation takes hours to fail.

AWS Marketplace rules implemented here: the image is in an ECR repository of the seller's own
account ("Access denied for registry" otherwise), in the region of the algorithm resource, it
has been scanned ("No scan scheduled" otherwise) and the scan shows no Critical or High finding.
The digest found pins the image in the request (``TrainingImageDigest`` / ``ImageDigest``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from container.marketplace.errors import MarketplaceError

_ECR_URI = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+?)(?::(?P<tag>[A-Za-z0-9_.-]+))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)
REFUSED_SEVERITIES = ("CRITICAL", "HIGH")


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def image_id(self) -> dict[str, str]:
        return {"imageDigest": self.digest} if self.digest else {"imageTag": self.tag or "latest"}


def parse_ecr_uri(uri: str) -> EcrImage:
    match = _ECR_URI.fullmatch(uri)
    if match is None:
        raise MarketplaceError(
            f"image {uri} is not an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG); "
            "push it with ./build_and_push.sh"
        )
    parts = match.groupdict()
    return EcrImage(parts["account"], parts["region"], parts["repository"], parts["tag"],
                    parts["digest"])  # fmt: skip


def check_image(aws: Any, uri: str) -> str:
    """The image's digest, once it is known to be listable; else a MarketplaceError."""
    image = parse_ecr_uri(uri)
    _check_owner(aws, image)
    ecr = aws.client("ecr")
    digest = _pushed_digest(ecr, image)
    _check_scan(ecr, image, digest)
    return digest


def _check_owner(aws: Any, image: EcrImage) -> None:
    account = aws.client("sts").get_caller_identity()["Account"]
    if image.account != account:
        raise MarketplaceError(
            f"image {image.repository} is in account {image.account}, but you are {account}: "
            "Marketplace needs the image in the seller's own ECR (push it there)"
        )
    region = aws.client("ecr").meta.region_name
    if image.region != region:
        raise MarketplaceError(
            f"image {image.repository} is in {image.region}, the algorithm would be in {region}: "
            "push the image to the listing's region or pass --region " + image.region
        )


def _pushed_digest(ecr: Any, image: EcrImage) -> str:
    try:
        details = ecr.describe_images(repositoryName=image.repository, imageIds=[image.image_id])
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            raise MarketplaceError(
                f"{image.repository} {image.image_id} is not in ECR ({code}): push it first "
                "with ./build_and_push.sh"
            ) from error
        raise
    digest: str = details["imageDetails"][0]["imageDigest"]
    return digest


def _check_scan(ecr: Any, image: EcrImage, digest: str) -> None:
    try:
        findings = ecr.describe_image_scan_findings(
            repositoryName=image.repository, imageId={"imageDigest": digest}
        )
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ScanNotFoundException":
            raise
        raise MarketplaceError(
            f"{image.repository}@{digest} has no ECR scan, which Marketplace requires: run "
            f"aws ecr start-image-scan --repository-name {image.repository} "
            f"--image-id imageDigest={digest}"
        ) from error
    status = findings.get("imageScanStatus", {}).get("status", "")
    if status not in ("COMPLETE", "ACTIVE"):
        raise MarketplaceError(f"the ECR scan of {image.repository}@{digest} is {status}: wait")
    counts = findings.get("imageScanFindings", {}).get("findingSeverityCounts", {})
    refused = {s: counts[s] for s in REFUSED_SEVERITIES if counts.get(s)}
    if refused:
        listed = ", ".join(f"{severity}={count}" for severity, count in refused.items())
        raise MarketplaceError(
            f"the ECR scan of {image.repository}@{digest} found {listed}: Marketplace refuses "
            "images with Critical or High findings (fix them, or --skip-image-check to try anyway)"
        )
