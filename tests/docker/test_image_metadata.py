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


def test_linux_amd64_with_unbuffered_python(image: str) -> None:
    details = inspect(image)
    assert (details["Os"], details["Architecture"]) == ("linux", "amd64")
    assert "PYTHONUNBUFFERED=1" in details["Config"]["Env"]
