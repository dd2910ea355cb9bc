"""What is checked: the image, the ``CreateAlgorithm`` request and the data it validates on.

By default the request is the one ``byoa marketplace create-algorithm`` would send for the
installed algorithm (``BYOA_ALGORITHM``), on its own ``sample/`` folder; ``--request FILE``
takes any ``CreateAlgorithm`` JSON instead (an image byoa did not build), with ``--data DIR``
holding one sub-folder per training channel of its profile and ``inference/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from container.errors import ConfigError
from container.sample_data import INFERENCE

Request = dict[str, Any]
LOCAL_BUCKET = "byoa-check-local"
SAMPLE_ROWS = 50  # inference rows the hosting rules send


@dataclass(frozen=True)
class Subject:
    image: str
    request: Request
    data: Path

    @property
    def profile(self) -> Request:
        profiles = self.request.get("ValidationSpecification", {}).get("ValidationProfiles", [])
        if not profiles:
            raise ConfigError("the request has no ValidationSpecification.ValidationProfiles")
        profile: Request = profiles[0]
        return profile

    @property
    def training(self) -> Request:
        definition: Request = self.profile.get("TrainingJobDefinition", {})
        return definition

    @property
    def transform(self) -> Request:
        definition: Request = self.profile.get("TransformJobDefinition", {})
        return definition

    @property
    def hyperparameters(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.training.get("HyperParameters", {}).items()}

    @property
    def channels(self) -> dict[str, Path]:
        """Each channel of the profile's training job and its local folder in ``data``."""
        names = [c["ChannelName"] for c in self.training.get("InputDataConfig", [])]
        return {name: self.data / name for name in names}

    def channel_content_type(self, name: str) -> str | None:
        for channel in self.training.get("InputDataConfig", []):
            if channel["ChannelName"] == name:
                content_type: str | None = channel.get("ContentType")
                return content_type
        return None

    @property
    def metric_definitions(self) -> list[dict[str, str]]:
        definitions: list[dict[str, str]] = self.request.get("TrainingSpecification", {}).get(
            "MetricDefinitions", []
        )
        return definitions

    @property
    def request_types(self) -> list[str]:
        return list(self.request.get("InferenceSpecification", {}).get("SupportedContentTypes", []))

    @property
    def response_types(self) -> list[str]:
        inference = self.request.get("InferenceSpecification", {})
        return list(inference.get("SupportedResponseMIMETypes", []))

    @property
    def training_instance_type(self) -> str:
        return str(self.training.get("ResourceConfig", {}).get("InstanceType", ""))

    @property
    def transform_instance_type(self) -> str:
        return str(self.transform.get("TransformResources", {}).get("InstanceType", ""))

    def validate(self) -> Subject:
        """Fail before any container starts when the request or the data cannot be run."""
        if not self.training or "InputDataConfig" not in self.training:
            raise ConfigError("the validation profile has no TrainingJobDefinition with channels")
        missing = [f"{name}/" for name, path in self.channels.items() if not path.is_dir()]
        if missing:
            raise ConfigError(
                f"data folder {self.data} lacks the profile's channel folder(s) "
                f"{', '.join(missing)}"
            )
        return self

    def inference_files(self) -> list[Path]:
        folder = self.data / INFERENCE
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))

    @cached_property
    def sample_lines(self) -> list[bytes]:
        """Up to ``SAMPLE_ROWS`` non-empty lines of the first inference file (headerless rows),
        read once for every rule."""
        files = self.inference_files()
        if not files:
            return []
        lines = [line for line in files[0].read_bytes().splitlines() if line.strip()]
        return lines[:SAMPLE_ROWS]


def load_subject(image: str, request_file: Path | None, data: Path | None) -> Subject:
    if request_file is not None:
        try:
            request = json.loads(request_file.read_text())
        except (OSError, ValueError) as error:
            message = f"--request {request_file}: not a readable JSON file ({error})"
            raise ConfigError(message) from error
        if data is None:
            raise ConfigError("--request needs --data DIR: one folder per channel + inference/")
        return Subject(image, request, data).validate()
    return _derived(image, data).validate()


def _derived(image: str, data: Path | None) -> Subject:
    """The request ``byoa marketplace create-algorithm`` builds for the installed algorithm."""
    from container.marketplace import validation_data
    from container.marketplace.algorithm_request import Image, create_algorithm_request
    from container.marketplace.errors import MarketplaceError
    from container.marketplace.validation_profile import ValidationSettings, algorithm_validation
    from container.plugin import load_algorithm

    algorithm = load_algorithm()
    spec = algorithm.spec
    folder = data or algorithm.sample_dir
    if folder is None:
        raise ConfigError(
            f"algorithm {spec.name!r} has no sample/ folder beside its module: pass --data DIR"
        )
    try:
        locations = validation_data.locations(spec, folder, LOCAL_BUCKET, "check")
    except MarketplaceError as error:
        raise ConfigError(str(error)) from error
    settings = ValidationSettings(
        "arn:aws:iam::123456789012:role/local", locations, dict(spec.validation_hyperparameters)
    )
    request = create_algorithm_request(spec, Image(image), algorithm_validation(spec, settings))
    return Subject(image, request, folder)
