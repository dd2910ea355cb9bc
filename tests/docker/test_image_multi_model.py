"""The image built with ``--build-arg MULTI_MODEL=true``: SageMaker's multi-model label, and the
``/models`` API served when SageMaker starts it with ``SAGEMAKER_MULTI_MODEL=true``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from container.docker_runner import STARTUP_TIMEOUT_SECONDS, ContainerOptions, ServeContainer
from tests.conftest import REPO_ROOT
from tests.docker.conftest import SampleRequest, TrainedJob, extract_model, in_process_answer
from tests.docker.test_image_metadata import inspect

pytestmark = pytest.mark.docker

LABEL = "com.amazonaws.sagemaker.capabilities.multi-models"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def multi_model_image(image: str) -> str:
    """The image under test rebuilt with the label (every layer but the label's is cached)."""
    tag = f"{image}-multi-model"
    build = subprocess.run(
        ["bash", "scripts/build-image.sh", "--build-arg", "MULTI_MODEL=true"], cwd=REPO_ROOT,
        capture_output=True, text=True, env={**os.environ, "BYOA_TEST_IMAGE": tag},
    )  # fmt: skip
    assert build.returncode == 0, f"{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    return tag


def test_only_the_multi_model_build_carries_the_label(image: str, multi_model_image: str) -> None:
    assert LABEL not in (inspect(image)["Config"]["Labels"] or {})
    labels = inspect(multi_model_image)["Config"]["Labels"]
    assert labels[LABEL] == "true"
    assert labels["com.amazonaws.sagemaker.capabilities.accept-bind-to-port"] == "true"


def test_the_container_loads_and_serves_models_at_run_time(
    multi_model_image: str, trained: TrainedJob, sample_request: SampleRequest, tmp_path: Path
) -> None:
    """Models mounted under the model folder, loaded by url, invoked by name (--network none)."""
    models = tmp_path / "models"
    folder = extract_model(trained.layout.model_archive, models / "bank" / "model")
    environment = {"SAGEMAKER_MULTI_MODEL": "true"}
    container = ServeContainer(models, ContainerOptions(multi_model_image, environment=environment))
    with container:
        client = container.wait_until_healthy(STARTUP_TIMEOUT_SECONDS)
        body = json.dumps({"model_name": "bank", "url": "/opt/ml/model/bank/model"}).encode()
        assert client.request("POST", "/models", body, JSON).status == 200
        assert client.request("POST", "/models", body, JSON).status == 409
        listed = json.loads(client.request("GET", "/models", b"", {}).body)
        assert listed == {"models": [{"modelName": "bank", "modelUrl": "/opt/ml/model/bank/model"}]}
        headers = {"Content-Type": sample_request.content_type, "Accept": sample_request.accept,
                   "X-Amzn-SageMaker-Target-Model": "bank"}  # fmt: skip
        answer = client.request("POST", "/models/bank/invoke", sample_request.body, headers)
        assert answer.status == 200, answer.body[:500]
        assert client.request("DELETE", "/models/bank", b"", {}).status == 200
        gone = client.request("POST", "/models/bank/invoke", sample_request.body, headers)
        assert gone.status == 404
        client.close()
        assert container.stop() == 0
    assert answer.body == in_process_answer(folder, sample_request).body
