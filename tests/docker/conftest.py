"""Docker fixtures: the image under test (built once if missing) and a model trained in it.

The image holds the installed algorithm (whatever ``algorithm/`` is), so these tests know it
only through its spec and its ``sample/``: they train it on the sample with its validation
hyperparameters and compare what the container answers with the same service in-process.

Without a Docker engine these tests skip locally with a loud reason and FAIL when ``CI=true``:
CI must never pass by skipping the image.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from container.build_context import context_tag
from container.commands.serve import CONTENT_TYPES
from container.docker_runner import (
    ContainerOptions,
    docker_available,
    image_exists,
    train_in_container,
)
from container.local_job import JobResult
from container.local_tree import JobLayout
from container.plugin import Algorithm, load_algorithm
from container.sample_data import INFERENCE, channel_folders
from serve.codecs import LINE_ALIGNED
from serve.context import RequestContext
from serve.service import Answer, InferenceService
from serve.settings import ServerSettings
from tests.conftest import INSTALLED_ALGORITHM, REPO_ROOT, make_job

# An explicit BYOA_TEST_IMAGE is used as it is; by default, the image of this very source.
IMAGE = os.environ.get("BYOA_TEST_IMAGE") or f"byoa:{context_tag(REPO_ROOT)}"
INSTALLED: Algorithm = load_algorithm(INSTALLED_ALGORITHM)


def sample() -> Path:
    folder = INSTALLED.sample_dir
    if folder is None:
        pytest.fail(f"{INSTALLED_ALGORITHM} has no sample/ folder: the Docker tests train on it")
    return folder


def sample_channels() -> dict[str, Path]:
    return channel_folders(INSTALLED.spec, sample())


def channel_types() -> dict[str, str]:
    spec = INSTALLED.spec
    return {name: spec.channel(name).content_types[0] for name in sample_channels()}


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Docker tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"DOCKER TESTS SKIPPED: {reason} (with CI=true this is a failure)")


@pytest.fixture(scope="session")
def image() -> str:
    if shutil.which("docker") is None:
        unavailable("no docker CLI; run `make setup-system` as root")
    if not docker_available():
        unavailable("the Docker engine does not answer `docker info`; run `make setup-system`")
    if not image_exists(IMAGE):
        build = subprocess.run(
            ["bash", "scripts/build-image.sh"], cwd=REPO_ROOT, capture_output=True, text=True,
            env={**os.environ, "BYOA_TEST_IMAGE": os.environ.get("BYOA_TEST_IMAGE", "byoa:dev")},
        )  # fmt: skip
        if build.returncode != 0:
            pytest.fail(f"building {IMAGE} failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}")
        if not image_exists(IMAGE):
            pytest.fail(f"scripts/build-image.sh did not tag {IMAGE}:\n{build.stdout[-2000:]}")
    return IMAGE


@dataclass(frozen=True)
class TrainedJob:
    layout: JobLayout
    result: JobResult
    log: str


def train_job(
    root: Path,
    channels: dict[str, Path],
    options: ContainerOptions,
    prepare: Callable[[Path], None] | None = None,
    **hyperparameters: str,
) -> TrainedJob:
    """Lay out the job tree with the installed algorithm's validation hyperparameters (and
    ``hyperparameters``; ``prepare`` may then adjust it), run ``train`` in a container."""
    hp = {**INSTALLED.spec.validation_hyperparameters, **hyperparameters}
    layout = make_job(root, channels, hp, channel_types())
    if prepare is not None:
        prepare(root)
    log = io.StringIO()
    result = train_in_container(layout, INSTALLED.spec, options, echo=log)
    return TrainedJob(layout, result, log.getvalue())


@pytest.fixture(scope="session")
def trained(image: str, tmp_path_factory: pytest.TempPathFactory) -> TrainedJob:
    """One ``train`` run in a container (root, --network none) on the installed algorithm's
    sample, shared by the serving tests."""
    folder = tmp_path_factory.mktemp("docker-train")
    job = train_job(folder, sample_channels(), ContainerOptions(image))
    assert job.result.exit_code == 0, job.log[-3000:]
    return job


def extract_model(archive: Path, target: Path) -> Path:
    """What SageMaker does before ``serve``: model.tar.gz unpacked into /opt/ml/model."""
    target.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(target, filter="data")
    return target


@dataclass(frozen=True)
class SampleRequest:
    body: bytes
    content_type: str
    records: int  # lines, for a line-per-record type

    @property
    def accept(self) -> str:
        """The declared response type the tests ask for: a line-per-record one if any."""
        offered = INSTALLED.spec.response_content_types
        return next((t for t in offered if t in LINE_ALIGNED), offered[0])

    @property
    def line_aligned(self) -> bool:
        """Whether the answer must hold one line per request line."""
        return self.content_type in LINE_ALIGNED and self.accept in LINE_ALIGNED


@pytest.fixture(scope="session")
def sample_request() -> SampleRequest:
    """The first file of the sample's ``inference/`` folder, as a request of its type."""
    files = sorted(p for p in (sample() / INFERENCE).iterdir() if p.suffix.lower() in CONTENT_TYPES)
    if not files:
        pytest.fail(f"{sample() / INFERENCE} holds no file of a known content type")
    body = files[0].read_bytes()
    return SampleRequest(body, CONTENT_TYPES[files[0].suffix.lower()], len(body.splitlines()))


def in_process_answer(model_dir: Path, request: SampleRequest) -> Answer:
    """The container-free path: the same service (decoder, ``model_fn``, ``predict_fn``,
    encoder), in this process."""
    settings = ServerSettings.from_environment({"BYOA_MODEL_DIR": str(model_dir)})
    service = InferenceService(INSTALLED, INSTALLED.model_fn(model_dir), settings)
    context = RequestContext("in-process", content_type=request.content_type,
                             accept=request.accept)  # fmt: skip
    return service.invoke(request.body, context)
