"""The small public data set that the validation profile trains and transforms on.

Marketplace shows a validation's inputs and outputs to buyers, so they must be public: the
default is the algorithm's own ``sample/`` folder (:attr:`container.plugin.Algorithm.sample_dir`;
the bundled algorithm's is cut from the Bank Marketing data, CC BY 4.0). A data folder holds
one sub-folder per training channel plus ``inference/``, whose headerless CSV rows are the batch
transform input (``SplitType=Line``: one record per line, so no header line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from container.errors import ConfigError
from container.marketplace.errors import MarketplaceError
from container.sample_data import INFERENCE, channel_folders
from container.spec import AlgorithmSpec


@dataclass(frozen=True)
class Upload:
    path: Path
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class ValidationData:
    """S3 prefixes of each training channel, of the transform input and of both outputs."""

    channels: dict[str, str]
    inference: str
    training_output: str
    transform_output: str


def s3_uri(bucket: str, *parts: str) -> str:
    key = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return f"s3://{bucket}/{key}/"


def locations(spec: AlgorithmSpec, folder: Path, bucket: str, prefix: str) -> ValidationData:
    """Where each part of ``folder`` goes under ``s3://bucket/prefix``; checks the folder."""
    try:
        channels = channel_folders(spec, folder)
    except ConfigError as error:
        raise MarketplaceError(f"validation {error}") from error
    return ValidationData(
        channels={name: s3_uri(bucket, prefix, name) for name in channels},
        inference=s3_uri(bucket, prefix, INFERENCE),
        training_output=s3_uri(bucket, prefix, "training-output"),
        transform_output=s3_uri(bucket, prefix, "transform-output"),
    )


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def plan_uploads(folder: Path, bucket: str, prefix: str) -> list[Upload]:
    """One upload per file, keys mirroring the folder below ``prefix``."""
    base = prefix.strip("/")
    uploads = []
    for path in _files(folder):
        relative = path.relative_to(folder).as_posix()
        uploads.append(Upload(path, bucket, f"{base}/{relative}" if base else relative))
    return uploads


def upload(s3_client: Any, uploads: list[Upload]) -> None:
    for item in uploads:
        s3_client.upload_file(str(item.path), item.bucket, item.key)
