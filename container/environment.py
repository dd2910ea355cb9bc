"""The training job's settings: the ``/opt/ml`` tree and its three (or four) config files.

Read once per process. ``SAGEMAKER_BASE_DIR`` relocates ``/opt/ml``, as it does for
``sagemaker-training``, so the same code runs under a local emulated tree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from container.errors import ConfigError

DEFAULT_BASE_DIR = Path("/opt/ml")
BASE_DIR_VARIABLE = "SAGEMAKER_BASE_DIR"
# Set only by the local runner (container/local_cluster.py), which runs every host on this machine.
HOST_ADDRESSES_VARIABLE = "BYOA_HOST_ADDRESSES"
MASTER_PORT_VARIABLE = "BYOA_MASTER_PORT"


@dataclass(frozen=True)
class ChannelConfig:
    """One entry of ``inputdataconfig.json``."""

    name: str
    content_type: str | None
    input_mode: str
    compression: str
    distribution: str
    record_wrapper: str

    @classmethod
    def from_json(cls, name: str, entry: Mapping[str, Any]) -> ChannelConfig:
        return cls(
            name=name,
            content_type=entry.get("ContentType"),
            input_mode=entry.get("TrainingInputMode", "File"),
            compression=entry.get("CompressionType", "None"),
            distribution=entry.get("S3DistributionType", "FullyReplicated"),
            record_wrapper=entry.get("RecordWrapperType", "None"),
        )


@dataclass(frozen=True)
class ResourceConfig:
    current_host: str
    hosts: tuple[str, ...]
    network_interface_name: str
    instance_type: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceConfig:
        hosts = tuple(sorted(data.get("hosts") or ["algo-1"]))
        current = data.get("current_host", hosts[0])
        if current not in hosts:
            raise ConfigError(f"resourceconfig.json: current_host {current!r} is not in hosts")
        return cls(
            current_host=current,
            hosts=hosts,
            network_interface_name=data.get("network_interface_name", "eth0"),
            instance_type=data.get("current_instance_type", "local"),
        )


@dataclass(frozen=True)
class TrainingEnvironment:
    base_dir: Path
    hyperparameters: Mapping[str, Any]
    channels: Mapping[str, ChannelConfig]
    resources: ResourceConfig
    checkpoint_dir: Path
    checkpoints_kept: bool  # the job has a CheckpointConfig: SageMaker syncs the folder to S3

    @classmethod
    def load(cls, base_dir: Path | None = None) -> TrainingEnvironment:
        base = base_dir or base_dir_from_environment()
        config_dir = base / "input" / "config"
        channels_json = _read_json(config_dir / "inputdataconfig.json", default={})
        checkpoint_json = _read_json(config_dir / "checkpointconfig.json", default={})
        return cls(
            base_dir=base,
            hyperparameters=_read_json(config_dir / "hyperparameters.json", default={}),
            channels={n: ChannelConfig.from_json(n, e) for n, e in channels_json.items()},
            resources=ResourceConfig.from_json(_read_json(config_dir / "resourceconfig.json", {})),
            checkpoint_dir=Path(checkpoint_json.get("LocalPath", base / "checkpoints")),
            checkpoints_kept=(config_dir / "checkpointconfig.json").is_file(),
        )

    @property
    def model_dir(self) -> Path:
        return self.base_dir / "model"

    @property
    def output_dir(self) -> Path:
        return self.base_dir / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.output_dir / "data"

    @property
    def failure_file(self) -> Path:
        return self.output_dir / "failure"

    def channel_path(self, name: str) -> Path:
        return self.base_dir / "input" / "data" / name


def base_dir_from_environment() -> Path:
    return Path(os.environ.get(BASE_DIR_VARIABLE) or DEFAULT_BASE_DIR)


def _read_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path.name} is not valid JSON: {error}") from error
