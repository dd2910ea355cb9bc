"""The conformance suite: the SageMaker contract, checked on whichever algorithm is installed.

It reads nothing but the algorithm's spec and its ``sample/`` folder, so it runs unchanged on
the bundled learner, on ``examples.ridge`` and on a seller's own algorithm: train through the
real entrypoint (metric lines matched by the generated regexes, a model written), a failure
file for a broken channel, SIGTERM during training, every sample inference file through the
real server with every declared response type, a batch transform by line, and the
CreateAlgorithm request (with its validation profile on the sample) against botocore's model.
"""

from __future__ import annotations

import gzip
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from container.commands.serve import CONTENT_TYPES
from container.failure import FAILURE_REASON_LIMIT
from container.local_job import TRAIN_COMMAND, local_environment
from container.local_tree import JobLayout
from container.marketplace.algorithm_request import Image, create_algorithm_request
from container.marketplace.service_model import check_request
from container.marketplace.validation_data import locations
from container.marketplace.validation_profile import ValidationSettings, algorithm_validation
from container.metrics import metric_definitions
from container.plugin import Algorithm, load_algorithm
from container.sample_data import channel_folders
from serve.codecs import LINE_ALIGNED
from serve.process import ServerProcess
from tests.conftest import INSTALLED_ALGORITHM, REPO_ROOT, TOOLKIT_ALGORITHM, make_job, run_train
from tests.integration.serve_support import running_server

# The installed algorithm, the numpy example and the toolkit tests' own (kept conformant too)
ALGORITHMS = sorted({INSTALLED_ALGORITHM, "examples.ridge", TOOLKIT_ALGORITHM})
IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/conformance:1.0.0"
ROLE = "arn:aws:iam::111122223333:role/MarketplaceValidation"


@dataclass(frozen=True)
class Subject:
    name: str
    algorithm: Algorithm
    sample: Path

    @property
    def env(self) -> dict[str, str]:
        return {"BYOA_ALGORITHM": self.name}

    def channels(self) -> dict[str, Path]:
        return channel_folders(self.algorithm.spec, self.sample)

    def content_types(self) -> dict[str, str]:
        spec = self.algorithm.spec
        return {name: spec.channel(name).content_types[0] for name in self.channels()}

    def layout(self, root: Path, channels: dict[str, Path] | None = None) -> JobLayout:
        hyperparameters = dict(self.algorithm.spec.validation_hyperparameters)
        return make_job(root, channels or self.channels(), hyperparameters, self.content_types())

    def inference_files(self) -> list[Path]:
        folder = self.sample / "inference"
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in CONTENT_TYPES)


@pytest.fixture(scope="module", params=ALGORITHMS)
def subject(request: pytest.FixtureRequest) -> Subject:
    algorithm = load_algorithm(request.param)
    if algorithm.sample_dir is None:
        pytest.fail(f"{request.param} has no sample/ folder: the conformance suite runs on it")
    return Subject(request.param, algorithm, algorithm.sample_dir)


@dataclass(frozen=True)
class Trained:
    model_dir: Path
    log: str


@pytest.fixture(scope="module")
def trained(subject: Subject, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    layout = subject.layout(tmp_path_factory.mktemp("conformance-train"))
    result = run_train(layout, subject.env)
    assert result.returncode == 0, result.stderr[-3000:]
    return Trained(layout.base_dir / "model", result.stdout + result.stderr)


@pytest.fixture(scope="module")
def server(subject: Subject, trained: Trained) -> Iterator[ServerProcess]:
    yield from running_server(trained.model_dir, subject.env)


def test_training_writes_a_model_and_metric_lines_the_regexes_match(
    subject: Subject, trained: Trained
) -> None:
    assert any(trained.model_dir.iterdir()), "train left nothing in the model folder"
    definitions = metric_definitions(subject.algorithm.spec.metrics)
    scraped = {d["Name"] for d in definitions if re.search(d["Regex"], trained.log)}
    printed = {line.split("=")[0].removeprefix("#metric ")
               for line in trained.log.splitlines() if line.startswith("#metric ")}  # fmt: skip
    assert scraped, "no declared metric was logged"
    assert printed <= scraped, (
        f"logged but matched by no MetricDefinitions regex: {printed - scraped}"
    )


def test_a_corrupt_channel_ends_in_a_failure_reason(subject: Subject, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "part-0.csv.gz").write_bytes(gzip.compress(b"1,2,3\n" * 1000)[:60])
    channels = {**subject.channels(), "train": broken}
    layout = subject.layout(tmp_path / "job", channels)
    result = run_train(layout, subject.env)
    assert result.returncode != 0, "a truncated gzip channel trained without complaint"
    reason = layout.failure_file.read_text()[:FAILURE_REASON_LIMIT].splitlines()[0]
    assert reason.strip() and not reason.startswith("Traceback"), reason


def test_sigterm_during_training_ends_the_job_within_the_grace(
    subject: Subject, tmp_path: Path
) -> None:
    layout = subject.layout(tmp_path)
    process = subprocess.Popen(
        list(TRAIN_COMMAND), env=local_environment(layout, subject.env), cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        first_line = process.stderr.readline()  # the entrypoint has started and logs
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=120)  # SIGKILL comes 120 s after SIGTERM
    finally:
        process.kill()
    assert process.returncode in (0, 1), first_line + rest[-2000:]
    if process.returncode == 1:
        assert layout.failure_file.read_text().strip()


def _invoke(
    server: ServerProcess, body: bytes, content_type: str, accept: str
) -> requests.Response:
    headers = {"Content-Type": content_type, "Accept": accept}
    return requests.post(f"{server.url}/invocations", data=body, headers=headers, timeout=60)


def test_every_sample_file_is_answered_in_every_declared_response_type(
    subject: Subject, server: ServerProcess
) -> None:
    files = subject.inference_files()
    assert files, "sample/inference/ holds no file of a known content type"
    for path in files:
        content_type = CONTENT_TYPES[path.suffix.lower()]
        assert content_type in subject.algorithm.spec.request_content_types, path.name
        body = path.read_bytes()
        for accept in subject.algorithm.spec.response_content_types:
            answer = _invoke(server, body, content_type, accept)
            assert answer.status_code == 200, (path.name, accept, answer.text[:500])
            assert answer.headers["Content-Type"].split(";")[0] == accept
            assert answer.content.strip(), (path.name, accept)
            if accept in LINE_ALIGNED and content_type in LINE_ALIGNED:
                assert len(answer.content.splitlines()) == len(body.splitlines()), accept


def test_a_malformed_body_is_a_4xx_with_a_message(subject: Subject, server: ServerProcess) -> None:
    content_type = subject.algorithm.spec.request_content_types[0]
    answer = _invoke(server, b"\xff\xfe not a record \x00\n", content_type, "*/*")
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert answer.json()["error"]


def test_a_batch_transform_by_line_keeps_one_answer_per_record(
    subject: Subject, server: ServerProcess, tmp_path: Path
) -> None:
    accepts = [t for t in subject.algorithm.spec.response_content_types if t in LINE_ALIGNED]
    files = [
        p for p in subject.inference_files() if CONTENT_TYPES[p.suffix.lower()] in LINE_ALIGNED
    ]
    if not accepts or not files:
        pytest.skip("the algorithm declares no line-aligned request and response type")
    command = [sys.executable, "-m", "container.cli", "transform", "--url", server.url,
               "--input", str(files[0]), "--output", str(tmp_path),
               "--accept", accepts[0]]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    written = (tmp_path / f"{files[0].name}.out").read_bytes()
    assert len(written.splitlines()) == len(files[0].read_bytes().splitlines())


def test_the_create_algorithm_request_passes_the_service_model(subject: Subject) -> None:
    spec = subject.algorithm.spec
    data = locations(spec, subject.sample, "seller-bucket", "validation")
    settings = ValidationSettings(ROLE, data, dict(spec.validation_hyperparameters))
    request = create_algorithm_request(
        spec, Image(IMAGE, "sha256:" + "ab" * 32), algorithm_validation(spec, settings)
    )
    check_request("sagemaker", "CreateAlgorithm", request)
