"""Asynchronous inference (``BYOA_ASYNC_INFERENCE=true``) against a real gunicorn on loopback.

Bodies above 6 MB are spooled to an unnamed file and answered in chunks of records; the answers
must be the in-process answers to the whole body, the file must be gone afterwards and ``/ping``
must answer while such a request runs. Bodies are tens of MB, not the benchmark's gigabyte.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import requests

from serve.codecs.csv_codec import decode
from serve.process import ServerProcess
from tests.fixtures.tabular import model_fn, predict_fn
from tests.integration.serve_support import PROBE_ALGORITHM, TrainedModel, running_server

CSV = {"Content-Type": "text/csv"}
ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
ASYNC_LIMIT_MB = 24
ROWS = 62_000  # 6.8 MB of bank rows: seven chunks, just above the 6 MB real-time limit


@pytest.fixture(scope="module")
def spool_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spool")


@pytest.fixture(scope="module")
def asynchronous(model: TrainedModel, spool_dir: Path) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir, {
        "BYOA_ASYNC_INFERENCE": "true", "BYOA_ASYNC_SPOOL_DIR": str(spool_dir),
        "SAGEMAKER_MAX_PAYLOAD_IN_MB": str(ASYNC_LIMIT_MB), "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
        "BYOA_ALGORITHM": PROBE_ALGORITHM,
    })  # fmt: skip


@pytest.fixture(scope="module")
def realtime(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir, {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"})


@pytest.fixture(scope="module")
def body(model: TrainedModel) -> bytes:
    return model.csv(ROWS)


@pytest.fixture(scope="module")
def expected(model: TrainedModel, body: bytes) -> np.ndarray:
    """The scores of the whole body, decoded and predicted in one call in this process."""
    scores: np.ndarray = predict_fn(decode(body, {}), model_fn(model.model_dir)).scores
    return scores


def post(server: ServerProcess, data: object, **headers: str) -> requests.Response:
    return requests.post(f"{server.url}/invocations", data=data, headers=headers, timeout=300)


def spooled_files(pid: int, folder: Path) -> list[str]:
    """The files the process holds open in ``folder`` (an unnamed one reads ``#N (deleted)``)."""
    targets = []
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            targets.append(os.readlink(descriptor))
        except OSError:
            continue
    return [target for target in targets if target.startswith(str(folder))]


def test_a_body_above_6_mb_is_refused_in_real_time(realtime: ServerProcess, body: bytes) -> None:
    assert len(body) > 6 * 1024 * 1024
    response = post(realtime, body, **CSV)
    assert response.status_code == 413
    assert "payload limit of 6 MB" in response.json()["error"]


def test_a_body_above_6_mb_is_answered_as_in_process(
    asynchronous: ServerProcess, body: bytes, expected: np.ndarray
) -> None:
    response = post(asynchronous, body, **CSV)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == "text/csv"
    lines = response.text.splitlines()
    assert len(lines) == ROWS
    np.testing.assert_allclose([float(x) for x in lines], expected, rtol=1e-5, atol=1e-7)


def test_json_and_json_lines_answers_are_whole(
    asynchronous: ServerProcess, body: bytes, expected: np.ndarray
) -> None:
    response = post(asynchronous, body, **CSV, Accept="application/json")
    assert response.status_code == 200, response.text[:500]
    scores = [entry["score"] for entry in response.json()["predictions"]]
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-7)
    response = post(asynchronous, body, **CSV, Accept="application/jsonlines")
    assert response.status_code == 200
    lines = response.text.splitlines()
    np.testing.assert_allclose([json.loads(x)["score"] for x in lines], expected, rtol=1e-5,
                               atol=1e-7)  # fmt: skip


def test_a_json_lines_body_of_unknown_length_is_answered(
    asynchronous: ServerProcess, model: TrainedModel, body: bytes, expected: np.ndarray
) -> None:
    rows = json.loads(model.rows.to_json(orient="values"))
    count = 20_000
    lines = (json.dumps(rows[i % len(rows)]).encode() + b"\n" for i in range(count))
    response = post(asynchronous, lines, **{"Content-Type": "application/jsonlines"})
    assert response.status_code == 200, response.text[:500]
    scores = [float(x) for x in response.text.splitlines()]
    assert len(scores) == count
    np.testing.assert_allclose(scores[: len(rows)], expected[: len(rows)], rtol=1e-5, atol=1e-7)


def test_the_payload_limit_is_the_configured_one(asynchronous: ServerProcess, body: bytes) -> None:
    too_large = body * (ASYNC_LIMIT_MB * 1024 * 1024 // len(body) + 1)  # just above the limit
    response = post(asynchronous, iter([too_large]), **CSV)  # no Content-Length: read, then 413
    assert response.status_code == 413
    assert f"payload limit of {ASYNC_LIMIT_MB} MB" in response.json()["error"]
    response = post(asynchronous, too_large, **CSV)  # declared: refused before it is read
    assert response.status_code == 413


def test_a_bad_row_in_a_later_chunk_is_named_by_its_line(
    asynchronous: ServerProcess, body: bytes
) -> None:
    lines = body.split(b"\n")
    bad_line = 50_001
    lines[bad_line - 1] = lines[bad_line - 1] + b",1"
    response = post(asynchronous, b"\n".join(lines), **CSV)
    assert response.status_code == 400
    message = response.json()["error"]
    first, counted_from = _row_and_origin(message)
    assert first + counted_from - 1 == bad_line, message


def _row_and_origin(message: str) -> tuple[int, int]:
    """``row N has ... (rows counted from line L of the body)`` -> (N, L)."""
    row = int(message.split("row ", 1)[1].split()[0])
    origin = int(message.split("counted from line ", 1)[1].split()[0])
    return row, origin


def test_ping_answers_and_the_spooled_file_goes_away(
    asynchronous: ServerProcess, body: bytes, spool_dir: Path
) -> None:
    pid = int(post(asynchronous, b"1\n", **CSV, **{ATTRIBUTES: "reply=pid"}).headers[ATTRIBUTES])
    with ThreadPoolExecutor(1) as pool:
        long_request = pool.submit(post, asynchronous, body, **CSV, **{ATTRIBUTES: "sleep=0.4"})
        pings: list[float] = []
        held: list[str] = []
        while not long_request.done():
            held.extend(spooled_files(pid, spool_dir))
            started = time.perf_counter()
            assert requests.get(f"{asynchronous.url}/ping", timeout=2).status_code == 200
            pings.append(time.perf_counter() - started)
            time.sleep(0.1)
        assert long_request.result().status_code == 200
    assert held, "the worker never held a spooled file in BYOA_ASYNC_SPOOL_DIR"
    assert all("(deleted)" in target for target in held)  # unnamed from the start
    assert len(pings) >= 10 and max(pings) < 2.0
    assert spooled_files(pid, spool_dir) == []
    assert list(spool_dir.iterdir()) == []
