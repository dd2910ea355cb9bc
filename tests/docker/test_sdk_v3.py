"""The image under the real SageMaker Python SDK v3 (``sagemaker==3.27.0``), in local mode.

``ModelTrainer(training_mode=Mode.LOCAL_CONTAINER)`` trains on the installed algorithm's sample: it
starts the container through docker compose with no argument and ``network_interface_name``
``ethwe``; then v3's ``sagemaker.core.local.LocalSession`` hosts the model on a local endpoint
and runs a local batch transform. The SDK runs in its own environment (``make setup-sdk``, see
``sdk_v3_driver.py``) with a throw-away ``HOME`` whose SageMaker config opts out of telemetry;
its predictions must equal the container-free path's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.docker.conftest import (
    INSTALLED,
    SampleRequest,
    extract_model,
    in_process_answer,
    sample_channels,
    unavailable,
)
from tests.integration.serve_support import free_port

pytestmark = pytest.mark.docker

SDK_PYTHON = Path(os.environ.get("BYOA_SDK_PYTHON") or REPO_ROOT / ".venv-sdk" / "bin" / "python")
DRIVER = Path(__file__).with_name("sdk_v3_driver.py")
TELEMETRY_OPT_OUT = """\
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""


@pytest.fixture(scope="module")
def sdk_python() -> Path:
    if not SDK_PYTHON.exists():
        unavailable(f"no SageMaker SDK v3 environment at {SDK_PYTHON}; run `make setup-sdk`")
    if shutil.which("docker-compose") is None:
        unavailable("no docker-compose (the SDK's local mode needs it); run `make setup-system`")
    return SDK_PYTHON


def sdk_environment(home: Path) -> dict[str, str]:
    """A throw-away HOME: SageMaker's user config opts out of telemetry; no real AWS account."""
    config = home / ".config" / "sagemaker" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(TELEMETRY_OPT_OUT)
    kept = {name: os.environ[name] for name in ("PATH", "DOCKER_HOST") if name in os.environ}
    return {
        **kept, "HOME": str(home), "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local-only", "AWS_SECRET_ACCESS_KEY": "local-only",
        "AWS_EC2_METADATA_DISABLED": "true", "PYTHONUNBUFFERED": "1",
    }  # fmt: skip


def remove_leftovers(image: str) -> None:
    """The SDK leaves its compose containers behind on failure; remove this image's."""
    listed = subprocess.run(["docker", "ps", "-aq", "--filter", f"ancestor={image}"],
                            capture_output=True, text=True, check=False)  # fmt: skip
    for container in listed.stdout.split():
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


@pytest.fixture(scope="module")
def sdk_run(
    image: str, sdk_python: Path, sample_request: SampleRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, object], str, Path]]:  # fmt: skip
    """One SDK v3 session: ModelTrainer trains, a local endpoint and a local transform predict."""
    root = tmp_path_factory.mktemp("sdk-v3")
    channels = {}
    for name, path in sample_channels().items():
        shutil.copytree(path, root / "data" / name)
        channels[name] = str(root / "data" / name)
    (root / "request.csv").write_bytes(sample_request.body)
    (root / "transform-input").mkdir()
    (root / "transform-input" / "rows.csv").write_bytes(sample_request.body)
    plan = {
        "image": image, "workdir": str(root / "work"), "channels": channels,
        "hyperparameters": dict(INSTALLED.spec.validation_hyperparameters),
        "request": str(root / "request.csv"),
        "content_type": sample_request.content_type, "accept": sample_request.accept,
        "transform_input": str(root / "transform-input"), "port": free_port(),
        "result": str(root / "result.json"),
    }  # fmt: skip
    (root / "work").mkdir()
    (root / "plan.json").write_text(json.dumps(plan))
    home = root / "home"
    try:
        run = subprocess.run(
            [str(sdk_python), str(DRIVER), str(root / "plan.json")], cwd=root,
            env=sdk_environment(home), capture_output=True, text=True, timeout=1500,
        )  # fmt: skip
    finally:
        remove_leftovers(image)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-5000:]
    yield json.loads((root / "result.json").read_text()), log, root


def test_model_trainer_trains_the_image_started_without_an_argument(
    sdk_run: tuple[dict[str, object], str, Path],
) -> None:
    result, log, _ = sdk_run
    assert "byoa-entrypoint: no argument; training (/opt/ml/input/config found)" in log
    with tarfile.open(str(result["model_archive"]), "r:gz") as archive:
        assert archive.getnames(), "model.tar.gz is empty"


def test_the_local_endpoint_predicts_what_the_model_predicts_in_process(
    sdk_run: tuple[dict[str, object], str, Path], sample_request: SampleRequest
) -> None:
    result, _, root = sdk_run
    model_dir = extract_model(Path(str(result["model_archive"])), root / "model-in-process")
    endpoint = result["endpoint"]
    assert isinstance(endpoint, dict)
    assert endpoint["content_type"] == sample_request.accept
    expected = in_process_answer(model_dir, sample_request)
    assert endpoint["body"].encode() == expected.body
    metering = json.loads(endpoint["headers"]["x-amzn-inference-metering"])
    assert metering == {"Dimension": "inference.count", "ConsumedUnits": expected.inference_count}


def test_the_local_transform_job_writes_one_prediction_per_line(
    sdk_run: tuple[dict[str, object], str, Path], sample_request: SampleRequest
) -> None:
    result, _, root = sdk_run
    transform = result["transform"]
    assert isinstance(transform, dict)
    assert transform["status"] == "Completed"
    assert list(transform["outputs"]) == ["rows.csv.out"]
    model_dir = root / "model-in-process"
    if not model_dir.exists():
        extract_model(Path(str(result["model_archive"])), model_dir)
    # (the local runner joins the answers with a line break and ends with one more: a blank line)
    produced = [line for line in transform["outputs"]["rows.csv.out"].encode().splitlines() if line]
    assert produced == in_process_answer(model_dir, sample_request).body.splitlines()


def test_the_image_without_an_argument_or_a_training_job_prints_its_usage(image: str) -> None:
    run = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr[-2000:]
    assert "no argument and no training job configuration in /opt/ml/input/config" in run.stderr
    assert "usage: byoa-entrypoint [train | serve]" in run.stderr
