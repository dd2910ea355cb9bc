"""The bad-input corpus (:mod:`tests.integration.bad_inputs`) against a real gunicorn on loopback:
every case on a fresh connection (gunicorn's path) and on a kept-alive one after a good request
(the kept-alive fast path where the request is small enough), each answered with its exact 4xx
and a JSON message that names the problem; the server answers correctly afterwards."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from serve.codecs.csv_codec import decode
from serve.process import ServerProcess
from tests.fixtures.tabular import model_fn, predict_fn
from tests.integration.bad_inputs import CASES, GOOD, PAYLOAD_LIMIT_MB, Case
from tests.integration.serve_support import TrainedModel, raw_invocation, running_server


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes


@pytest.fixture(scope="module")
def server(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(
        model.model_dir, {"SAGEMAKER_MAX_PAYLOAD_IN_MB": str(PAYLOAD_LIMIT_MB)}
    )


def connect(server: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def exchange(connection: socket.socket, case: Case) -> Reply:
    """One request written whole on the wire, and its reply read to the end of its body."""
    connection.sendall(raw_invocation(case.body, case.request_headers()))
    response = http.client.HTTPResponse(connection)
    response.begin()
    return Reply(response.status, response.getheader("Content-Type", ""), response.read())


def check(case: Case, reply: Reply) -> None:
    assert reply.status == case.status, (case.name, reply.status, reply.body[:300])
    assert reply.content_type == "application/json", case.name
    error = json.loads(reply.body)
    assert error["status"] == case.status
    assert case.message in error["error"], (case.name, error["error"])


def test_the_corpus_has_150_distinct_cases() -> None:
    names = [case.name for case in CASES]
    assert len(set(names)) == len(names) >= 150
    assert all(400 <= case.status < 500 for case in CASES)


EVERY_CASE = CASES


@pytest.mark.parametrize("case", EVERY_CASE, ids=lambda case: case.name)
def test_on_a_fresh_connection(server: ServerProcess, case: Case) -> None:
    with connect(server) as connection:
        check(case, exchange(connection, case))


@pytest.mark.parametrize("case", EVERY_CASE, ids=lambda case: case.name)
def test_on_a_kept_alive_connection(server: ServerProcess, case: Case) -> None:
    with connect(server) as connection:
        good = exchange(connection, GOOD)
        assert good.status == 200, good.body[:300]
        check(case, exchange(connection, case))


def test_the_server_answers_correctly_after_the_corpus(
    server: ServerProcess, model: TrainedModel
) -> None:
    expected = predict_fn(decode(GOOD.body, {}), model_fn(model.model_dir)).scores
    for _ in range(2):  # once fresh, once on the connection that asked before
        with connect(server) as connection:
            replies = [exchange(connection, GOOD) for _ in range(2)]
        for reply in replies:
            assert reply.status == 200 and reply.content_type == "text/csv"
            scores = np.array(reply.body.decode().split(), dtype=np.float64)
            np.testing.assert_allclose(scores, expected, rtol=1e-6)
