"""An ``/opt/ml`` tree laid out the way SageMaker lays it out for a training job."""

from __future__ import annotations

import json
import shutil
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from container.errors import ConfigError

DEFAULT_HOST = "algo-1"


@dataclass(frozen=True)
class ChannelInput:
    name: str
    source: Path
    content_type: str | None = None
    input_mode: str = "File"
    compression: str = "None"
    distribution: str = "FullyReplicated"

    def config(self) -> dict[str, str]:
        entry = {
            "TrainingInputMode": self.input_mode,
            "S3DistributionType": self.distribution,
            "RecordWrapperType": "None",
            "CompressionType": self.compression,
        }
        if self.content_type:
            entry["ContentType"] = self.content_type
        return entry


@dataclass(frozen=True)
class JobLayout:
    """The job folder: ``opt/ml`` (mountable as ``/opt/ml``) plus the packed artefacts."""

    root: Path
    hosts: tuple[str, ...] = (DEFAULT_HOST,)
    current_host: str = DEFAULT_HOST
    checkpoint_dir: Path | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    network_interface: str = "eth0"

    @property
    def base_dir(self) -> Path:
        return self.root / "opt" / "ml"

    @property
    def model_archive(self) -> Path:
        return self.root / "model.tar.gz"

    @property
    def output_archive(self) -> Path:
        return self.root / "output.tar.gz"

    @property
    def failure_file(self) -> Path:
        return self.base_dir / "output" / "failure"

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "input" / "data"

    def create(self, channels: list[ChannelInput], hyperparameters: Mapping[str, str]) -> None:
        config = self.base_dir / "input" / "config"
        for folder in (config, self.base_dir / "model", self.base_dir / "output" / "data"):
            folder.mkdir(parents=True, exist_ok=True)
        self.failure_file.unlink(missing_ok=True)
        as_strings = {name: str(value) for name, value in hyperparameters.items()}
        _write_json(config / "hyperparameters.json", as_strings)
        _write_json(config / "inputdataconfig.json", {c.name: c.config() for c in channels})
        _write_json(config / "resourceconfig.json", self.resource_config())
        self._checkpoint_config(config)
        for channel in channels:
            if channel.input_mode == "File":
                copy_channel(channel.source, self.base_dir / "input" / "data" / channel.name)

    def _checkpoint_config(self, config: Path) -> None:
        """``checkpointconfig.json`` for a checkpoint folder; without one, SageMaker starts every
        job with an empty ``/opt/ml/checkpoints``, so an earlier run's checkpoints are removed."""
        if self.checkpoint_dir is not None:
            _write_json(config / "checkpointconfig.json", {"LocalPath": str(self.checkpoint_dir)})
            return
        (config / "checkpointconfig.json").unlink(missing_ok=True)
        default = self.base_dir / "checkpoints"
        if default.is_dir() and not default.is_mount():
            shutil.rmtree(default)

    def resource_config(self) -> dict[str, object]:
        return {
            "current_host": self.current_host,
            "current_instance_type": "local",
            "current_group_name": "homogeneousCluster",
            "hosts": list(self.hosts),
            "instance_groups": [
                {"instance_group_name": "homogeneousCluster", "instance_type": "local",
                 "hosts": list(self.hosts)}
            ],
            "network_interface_name": self.network_interface,
        }  # fmt: skip

    def pack(self) -> None:
        """``model.tar.gz`` and ``output.tar.gz`` as SageMaker uploads them (files at the root)."""
        _tar_folder(self.base_dir / "model", self.model_archive)
        _tar_folder(self.base_dir / "output" / "data", self.output_archive)


def copy_channel(source: Path, destination: Path) -> None:
    if not source.exists():
        raise ConfigError(f"channel data {source} does not exist")
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    if source.is_file():
        shutil.copy2(source, destination / source.name)
        return
    for path in sorted(source.rglob("*")):
        target = destination / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def _tar_folder(folder: Path, archive: Path) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
