"""Serverless endpoints: ``SAGEMAKER_MODEL_SERVER_WORKERS=1`` serves with one gunicorn worker,
and a 4 MB request (the serverless payload limit) is answered line for line."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from serve.process import ServerProcess
from tests.integration.serve_support import PROBE_ALGORITHM, TrainedModel, running_server

SERVERLESS_PAYLOAD_BYTES = 4 * 1024 * 1024
CSV = {"Content-Type": "text/csv"}


@pytest.fixture(scope="module")
def one_worker(model: TrainedModel) -> Iterator[ServerProcess]:
    extra = {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", "BYOA_ALGORITHM": PROBE_ALGORITHM}
    yield from running_server(model.model_dir, extra)


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_one_worker_process_answers_every_request(
    one_worker: ServerProcess, model: TrainedModel
) -> None:
    assert one_worker.process is not None
    workers = children(one_worker.process.pid)
    assert len(workers) == 1, f"gunicorn master has children {workers}"
    connection = http.client.HTTPConnection("127.0.0.1", one_worker.port, timeout=60)
    try:
        pids = set()
        for rows in (1, 5, 1, 20):
            headers = {**CSV, "X-Amzn-SageMaker-Custom-Attributes": "reply=pid"}
            connection.request("POST", "/invocations", model.csv(rows), headers)
            response = connection.getresponse()
            assert response.status == 200 and len(response.read().splitlines()) == rows
            pids.add(int(response.getheader("X-Amzn-SageMaker-Custom-Attributes") or 0))
    finally:
        connection.close()
    assert pids == set(workers)


def test_a_serverless_size_request_is_answered_line_for_line(
    one_worker: ServerProcess, model: TrainedModel
) -> None:
    row_bytes = len(model.csv(100)) / 100
    rows = int(SERVERLESS_PAYLOAD_BYTES * 0.98 / row_bytes)
    body = model.csv(rows)
    assert SERVERLESS_PAYLOAD_BYTES * 0.9 < len(body) <= SERVERLESS_PAYLOAD_BYTES
    connection = http.client.HTTPConnection("127.0.0.1", one_worker.port, timeout=120)
    try:
        connection.request("POST", "/invocations", body, CSV)
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    assert response.status == 200, answer[:300]
    assert len(answer.splitlines()) == rows
