"""The trained ``model.tar.gz`` a model package points at.

SageMaker rule implemented here: ``ModelDataUrl`` is one gzip-compressed tar in S3, in the same
region as the model package; SageMaker extracts it into ``/opt/ml/model`` before ``serve``.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from container.marketplace.errors import MarketplaceError
from container.marketplace.validation_data import Upload


def model_data_upload(source: str, bucket: str, prefix: str) -> Upload | None:
    """None for an ``s3://`` URI (used as is); else the upload of a checked local file."""
    if source.startswith("s3://"):
        if not source.endswith(".tar.gz"):
            raise MarketplaceError(f"--model-data {source} must name a .tar.gz object")
        return None
    path = Path(source)
    check_model_archive(path)
    key = "/".join(p for p in (prefix.strip("/"), "model", "model.tar.gz") if p)
    return Upload(path, bucket, key)


def check_model_archive(path: Path) -> None:
    if not path.is_file():
        raise MarketplaceError(f"--model-data {path}: no such file (give model.tar.gz or s3://)")
    try:
        with tarfile.open(path, "r:gz") as archive:
            if not archive.getmembers():
                raise MarketplaceError(f"--model-data {path} is an empty archive")
    except (tarfile.TarError, OSError) as error:
        raise MarketplaceError(
            f"--model-data {path} is not a gzip-compressed tar (model.tar.gz): {error}"
        ) from error
