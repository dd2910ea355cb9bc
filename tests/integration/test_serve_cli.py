"""``byoa serve``, ``byoa predict`` and ``byoa transform`` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from serve.codecs.csv_codec import decode
from tests.conftest import REPO_ROOT
from tests.fixtures.tabular import model_fn, predict_fn
from tests.integration.serve_support import TrainedModel, free_port

BYOA = [sys.executable, "-m", "container.cli"]


@pytest.fixture(scope="module")
def served(model: TrainedModel) -> Iterator[str]:
    """``byoa serve --model model.tar.gz``, with a 1 MB batch payload so transforms split."""
    port = free_port()
    env = {**os.environ, "SAGEMAKER_MAX_PAYLOAD_IN_MB": "1"}
    command = [*BYOA, "serve", "--model", str(model.archive), "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:
        if "[serve] ready" in line:
            break
        assert "[serve] no 200" not in line and "exited" not in line, line
    # keep reading its log, or a full pipe would stall byoa serve and then the server
    drain = threading.Thread(target=process.stderr.read, daemon=True)
    drain.start()
    yield f"http://127.0.0.1:{port}"
    process.send_signal(signal.SIGINT)  # stops it also where the run ignores SIGINT
    assert process.wait(timeout=40) == 0
    drain.join(timeout=10)


def byoa(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BYOA, *arguments], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT)  # fmt: skip


def expected_scores(model: TrainedModel, body: bytes) -> np.ndarray:
    scores: np.ndarray = predict_fn(decode(body, {}), model_fn(model.model_dir)).scores
    return scores


def test_predict_prints_the_answer(served: str, model: TrainedModel, tmp_path: Path) -> None:
    request = tmp_path / "rows.csv"
    request.write_bytes(model.csv(3))
    result = byoa("predict", "--url", served, "--file", str(request))
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(
        [float(x) for x in result.stdout.split()], expected_scores(model, model.csv(3)), rtol=1e-5
    )
    assert "HTTP 200 text/csv" in result.stderr


def test_predict_with_accept_and_an_error(served: str, model: TrainedModel, tmp_path: Path) -> None:
    request = tmp_path / "rows.jsonl"
    request.write_text(model.rows.iloc[:2].to_json(orient="records", lines=True))
    result = byoa(
        "predict", "--url", served, "--file", str(request), "--accept", "application/json"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('{"predictions":[{"score":')
    broken = tmp_path / "broken.csv"
    broken.write_text("1,2\n")
    failed = byoa("predict", "--url", served, "--file", str(broken))
    assert failed.returncode == 1
    assert "expected 20 columns per row" in failed.stdout
    assert "HTTP 400" in failed.stderr


def test_transform_splits_by_line_and_assembles_in_order(
    served: str, model: TrainedModel, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    (inputs / "part").mkdir(parents=True)
    big, small = model.csv(25_000), model.csv(10, start=7)
    (inputs / "big.csv").write_bytes(big)
    (inputs / "part" / "small.csv").write_bytes(small)
    result = byoa("transform", "--url", served, "--input", str(inputs),
                  "--output", str(tmp_path / "out"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "MaxConcurrentTransforms" not in result.stderr or "max_payload_mb=1" in result.stderr
    assert len(big) > 2 * 1024 * 1024, "the big file must need several 1 MB mini-batches"
    for name, body in (("big.csv.out", big), ("part/small.csv.out", small)):
        lines = (tmp_path / "out" / name).read_text().splitlines()
        np.testing.assert_allclose(
            [float(x) for x in lines], expected_scores(model, body), rtol=1e-5
        )


def test_serve_rejects_a_missing_model(tmp_path: Path) -> None:
    result = byoa("serve", "--model", str(tmp_path / "none.tar.gz"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr


def test_serve_reports_a_model_that_cannot_load(tmp_path: Path) -> None:
    empty = tmp_path / "model"
    empty.mkdir()
    started = time.monotonic()
    result = byoa("serve", "--model", str(empty), "--port", str(free_port()))
    assert result.returncode == 1
    assert "the server exited with code 2" in result.stderr
    assert time.monotonic() - started < 60
