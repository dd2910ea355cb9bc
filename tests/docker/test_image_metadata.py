"""What SageMaker reads from the image itself: labels, entrypoint form, platform, environment."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

pytestmark = pytest.mark.docker


def inspect(image: str) -> dict[str, Any]:
    output = subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, text=True, check=True
    ).stdout
    details: dict[str, Any] = json.loads(output)[0]
    return details


def test_labels_declare_bind_to_port_and_no_multi_model(image: str) -> None:
    labels = inspect(image)["Config"]["Labels"] or {}
    assert labels.get("com.amazonaws.sagemaker.capabilities.accept-bind-to-port") == "true"
    assert "com.amazonaws.sagemaker.capabilities.multi-models" not in labels


def test_exec_form_entrypoint_without_tini_or_shell(image: str) -> None:
    config = inspect(image)["Config"]
    entrypoint = config["Entrypoint"]
    assert entrypoint == ["/opt/venv/bin/byoa-entrypoint"]
    assert not config.get("Cmd")


CPU_IMAGE_BUDGET_BYTES = 1_400_000_000


def test_cpu_image_stays_within_its_size_budget(image: str) -> None:
    """About 1 GB with the bundled algorithm, torch's CPU build most of it; a CUDA torch pulled
    in by mistake would add gigabytes (SageMaker serverless refuses images over 10 GB)."""
    size = int(inspect(image)["Size"])
    assert size < CPU_IMAGE_BUDGET_BYTES, f"{image} is {size / 1e9:.2f} GB"


def test_linux_amd64_with_unbuffered_python(image: str) -> None:
    details = inspect(image)
    assert (details["Os"], details["Architecture"]) == ("linux", "amd64")
    assert "PYTHONUNBUFFERED=1" in details["Config"]["Env"]
