"""The training job's config files: the ``/opt/ml`` tree and its three (or four) JSON files.

``SAGEMAKER_BASE_DIR`` relocates ``/opt/ml``, as it does for ``sagemaker-training``, so the same
code runs under a local emulated tree. Every file is checked for shape as it is read: a problem
is a ConfigError whose reason starts with the file's path and says what the file must hold.
The environment variables of the training contract are read by
:mod:`container.training_settings`, which holds this object.
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
INPUT_MODES = ("File", "Pipe", "FastFile")
COMPRESSIONS = ("None", "Gzip")
DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")
RECORD_WRAPPERS = ("None", "RecordIO")


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
    def from_json(
        cls, name: str, entry: Mapping[str, Any], path: Path | None = None
    ) -> ChannelConfig:
        where = f"{path or 'inputdataconfig.json'}: channel {name!r}"
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"{where} is {_kind(entry)}; each channel must be a JSON object such as "
                '{"TrainingInputMode": "File", "ContentType": "text/csv"}'
            )
        content_type = entry.get("ContentType")
        if content_type is not None and not isinstance(content_type, str):
            raise ConfigError(f"{where}: ContentType is {_kind(content_type)}; make it a string")
        return cls(
            name=name,
            content_type=content_type,
            input_mode=_choice(where, entry, "TrainingInputMode", INPUT_MODES),
            compression=_choice(where, entry, "CompressionType", COMPRESSIONS),
            distribution=_choice(where, entry, "S3DistributionType", DISTRIBUTIONS),
            record_wrapper=_choice(where, entry, "RecordWrapperType", RECORD_WRAPPERS),
        )


@dataclass(frozen=True)
class ResourceConfig:
    current_host: str
    hosts: tuple[str, ...]
    network_interface_name: str
    instance_type: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | None = None) -> ResourceConfig:
        where = str(path or "resourceconfig.json")
        raw_hosts = data.get("hosts", ["algo-1"])
        if (
            not isinstance(raw_hosts, list)
            or not raw_hosts
            or not all(isinstance(host, str) and host for host in raw_hosts)
        ):
            raise ConfigError(
                f"{where}: hosts is {json.dumps(raw_hosts)[:80]}; it must be a non-empty list of "
                'host names such as ["algo-1", "algo-2"]'
            )
        hosts = tuple(sorted(raw_hosts))
        duplicates = sorted({host for host in hosts if hosts.count(host) > 1})
        if duplicates:
            raise ConfigError(
                f"{where}: hosts lists {duplicates[:5]} more than once; list each once"
            )
        current = data.get("current_host", hosts[0])
        if current not in hosts:
            raise ConfigError(
                f"{where}: current_host {current!r} is not among hosts {list(hosts)[:10]}; "
                "current_host must be one of the hosts"
            )
        return cls(
            current_host=current,
            hosts=hosts,
            network_interface_name=_string(where, data, "network_interface_name", "eth0"),
            instance_type=_string(where, data, "current_instance_type", "local"),
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
        channels_path = config_dir / "inputdataconfig.json"
        checkpoint_path = config_dir / "checkpointconfig.json"
        resources_path = config_dir / "resourceconfig.json"
        channels_json = _read_object(channels_path)
        checkpoint_json = _read_object(checkpoint_path)
        return cls(
            base_dir=base,
            hyperparameters=_read_object(config_dir / "hyperparameters.json"),
            channels={
                name: ChannelConfig.from_json(name, entry, channels_path)
                for name, entry in channels_json.items()
            },
            resources=ResourceConfig.from_json(_read_object(resources_path), resources_path),
            checkpoint_dir=Path(
                _string(
                    str(checkpoint_path), checkpoint_json, "LocalPath", str(base / "checkpoints")
                )
            ),
            checkpoints_kept=checkpoint_path.is_file(),
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
        return failure_file(self.base_dir)

    def channel_path(self, name: str) -> Path:
        return self.base_dir / "input" / "data" / name


def base_dir_from_environment(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(BASE_DIR_VARIABLE) or DEFAULT_BASE_DIR)


def failure_file(base_dir: Path) -> Path:
    """``/opt/ml/output/failure``: known before any config file is read."""
    return base_dir / "output" / "failure"


def _read_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` ({} when the file is absent); a ConfigError naming it else."""
    if not path.exists():
        return {}
    try:
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {error.start}); write it as UTF-8 JSON"
        ) from error
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{path} is not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno}); write it as one JSON object"
        ) from error
    except OSError as error:
        raise ConfigError(
            f"{path} cannot be read ({error.strerror or error}); make it a readable JSON file"
        ) from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path} holds {_kind(data)}; it must hold one JSON object ({{...}})")
    return data


def _choice(where: str, entry: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = entry.get(key, allowed[0])
    if value not in allowed:
        raise ConfigError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _string(where: str, data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key} is {_kind(value)}; make it a non-empty string")
    return value


def _kind(value: object) -> str:
    """``a JSON array``, ``the number 3``...: what a JSON value is, for a message."""
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return f"the value {json.dumps(value)}"
    return "a JSON object"
