"""A non-torch algorithm (``examples.ridge``) through the real train entrypoint and server.

It holds the toolkit to the plug-in contract as a seller meets it: the algorithm's own spec and
metrics, an optional channel, an ``output_fn`` that answers JSON as one document and declines
CSV to the default encoder, and serving workers that never import torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest
import requests

from serve.process import ServerProcess
from tests.conftest import REPO_ROOT, make_job, run_train
from tests.integration.serve_support import running_server

RIDGE = {"BYOA_ALGORITHM": "examples.ridge"}
COEFFICIENTS = np.array([1.5, -2.0, 0.5])


def _rows(count: int, seed: int) -> np.ndarray:
    features = np.random.default_rng(seed).normal(size=(count, len(COEFFICIENTS)))
    return np.column_stack([features @ COEFFICIENTS + 4.0, features])


@pytest.fixture(scope="module")
def ridge_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("ridge")
    paths = {"train": folder / "train.csv", "validation": folder / "validation.csv"}
    np.savetxt(paths["train"], _rows(300, 0), delimiter=",")
    np.savetxt(paths["validation"], _rows(100, 1), delimiter=",")
    layout = make_job(folder / "job", paths, {"l2": "0.001"})
    result = run_train(layout, RIDGE)
    assert result.returncode == 0, result.stderr[-3000:]
    return layout.base_dir / "model", result.stdout + result.stderr


@pytest.fixture(scope="module")
def ridge_server(ridge_model: tuple[Path, str]) -> Iterator[ServerProcess]:
    yield from running_server(ridge_model[0], RIDGE)


def _invoke(server: ServerProcess, body: bytes, accept: str) -> requests.Response:
    headers = {"Content-Type": "text/csv", "Accept": accept}
    return requests.post(f"{server.url}/invocations", data=body, headers=headers, timeout=30)


def test_training_logs_the_algorithms_own_metrics(ridge_model: tuple[Path, str]) -> None:
    rmse = dict(line.removeprefix("#metric ").split("=") for line in ridge_model[1].splitlines()
                if line.startswith("#metric "))  # fmt: skip
    assert set(rmse) == {"train:rmse", "validation:rmse"}
    assert float(rmse["validation:rmse"]) < 0.01


def test_json_is_one_document_from_output_fn(ridge_server: ServerProcess) -> None:
    rows = _rows(5, 2)
    answer = _invoke(ridge_server, _csv(rows[:, 1:]), "application/json")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    np.testing.assert_allclose(json.loads(answer.content)["predictions"], rows[:, 0], atol=0.01)


def test_csv_is_declined_to_the_default_encoder(ridge_server: ServerProcess) -> None:
    rows = _rows(7, 3)
    answer = _invoke(ridge_server, _csv(rows[:, 1:]), "text/csv")
    assert answer.status_code == 200, answer.text
    lines = answer.content.decode().splitlines()
    np.testing.assert_allclose([float(x) for x in lines], rows[:, 0], atol=0.01)


def test_the_algorithms_bad_request_is_a_400(ridge_server: ServerProcess) -> None:
    answer = _invoke(ridge_server, b"1.0,2.0\n", "application/json")
    assert answer.status_code == 400
    assert "3 numeric fields" in answer.json()["error"]


def test_serving_workers_never_import_torch(ridge_server: ServerProcess) -> None:
    assert ridge_server.process is not None
    master = ridge_server.process.pid
    deadline = time.monotonic() + 60
    while len(tree := [master, *_descendants(master)]) < 3:  # a master and two workers
        assert time.monotonic() < deadline, f"the workers did not start: {tree}"
        time.sleep(0.1)
    loaded = [pid for pid in tree if "libtorch" in Path(f"/proc/{pid}/maps").read_text()]
    assert not loaded, f"torch is mapped into {loaded}"


def _descendants(pid: int) -> list[int]:
    return [child.pid for child in psutil.Process(pid).children(recursive=True)]


def _csv(features: np.ndarray) -> bytes:
    return "".join(",".join(f"{v:.6f}" for v in row) + "\n" for row in features).encode()


def _transform(server: ServerProcess, folder: Path, assemble_with: str) -> tuple[int, str]:
    source = folder / "rows.csv"
    source.write_bytes(_csv(_rows(40, 4)[:, 1:]))
    command = [sys.executable, "-m", "container.cli", "transform", "--url", server.url,
               "--input", str(source), "--output", str(folder / "out"),
               "--accept", "application/json", "--assemble-with", assemble_with]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    return done.returncode, done.stderr


def test_a_transform_not_assembled_by_line_keeps_whole_answers(
    ridge_server: ServerProcess, tmp_path: Path
) -> None:
    code, log = _transform(ridge_server, tmp_path, "None")
    assert code == 0, log
    answer = (tmp_path / "out" / "rows.csv.out").read_bytes()
    documents = [json.loads(d) for d in answer.replace(b"}{", b"}\n{").splitlines()]
    expected = _rows(40, 4)[:, 0]
    predicted = [p for document in documents for p in document["predictions"]]
    np.testing.assert_allclose(predicted, expected, atol=0.01)


def test_a_transform_assembled_by_line_refuses_a_whole_document(
    ridge_server: ServerProcess, tmp_path: Path
) -> None:
    code, log = _transform(ridge_server, tmp_path, "Line")
    assert code == 1
    assert "40 lines sent but 1 came back" in log and "--assemble-with None" in log
