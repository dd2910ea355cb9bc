"""AWS Marketplace per-inference metering on a real server: every 200 of ``/invocations`` says
how many inferences it used, on gunicorn's path and on the kept-alive fast path; errors never."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from gunicorn.http.unreader import SocketUnreader

from container.plugin import load_algorithm
from serve.app import create_app
from serve.kept_alive import serve_whole_request
from serve.metering import HEADER
from serve.process import ServerProcess
from serve.service import InferenceService
from serve.settings import ServerSettings
from tests.integration.serve_support import (
    PROBE_ALGORITHM,
    TrainedModel,
    raw_invocation,
    running_server,
)

CSV = {"Content-Type": "text/csv"}
ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


@pytest.fixture(scope="module")
def server(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir, {"BYOA_ALGORITHM": PROBE_ALGORITHM})


@pytest.fixture(scope="module")
def unmetered(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir, {"BYOA_INFERENCE_METERING": "false"})


def post(
    port: int, body: bytes, headers: dict[str, str], connection: http.client.HTTPConnection | None
) -> tuple[int, dict[str, str], bytes]:
    client = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        client.request("POST", "/invocations", body=body, headers=headers)
        response = client.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        if connection is None:
            client.close()


def metered_units(headers: dict[str, str]) -> int:
    report = json.loads(headers[HEADER])
    assert report == {"Dimension": "inference.count", "ConsumedUnits": report["ConsumedUnits"]}
    units: int = report["ConsumedUnits"]
    return units


@pytest.mark.parametrize("transport", ["fresh connection", "kept-alive connection"])
def test_every_200_reports_one_inference_per_record_answered(
    server: ServerProcess, model: TrainedModel, transport: str
) -> None:
    kept = None
    if transport == "kept-alive connection":
        kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        post(server.port, model.csv(1), CSV, kept)  # the next ones take the fast path
    try:
        for rows in (1, 7, 300):
            status, headers, body = post(server.port, model.csv(rows), CSV, kept)
            assert status == 200, body[:300]
            assert len(body.decode().splitlines()) == rows
            assert metered_units(headers) == rows
        json_lines = {**CSV, "Accept": "application/jsonlines"}
        status, headers, _ = post(server.port, model.csv(12), json_lines, kept)
        assert (status, metered_units(headers)) == (200, 12)
    finally:
        if kept is not None:
            kept.close()


def test_the_algorithm_counts_its_own_way_through_the_context(
    server: ServerProcess, model: TrainedModel
) -> None:
    status, headers, _ = post(server.port, model.csv(5), {**CSV, ATTRIBUTES: "units=2"}, None)
    assert (status, metered_units(headers)) == (200, 2)
    status, headers, _ = post(server.port, model.csv(5), {**CSV, ATTRIBUTES: "units=0"}, None)
    assert (status, metered_units(headers)) == (200, 0)


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"", CSV, 400),
        (b"1,2\n", CSV, 400),
        (b"1", {"Content-Type": "application/xml"}, 415),
        (b"1", {**CSV, "Accept": "image/png"}, 406),
        (None, {**CSV, ATTRIBUTES: "fail=1"}, 500),
        (None, {**CSV, ATTRIBUTES: "units=-1"}, 500),
    ],
)
def test_errors_carry_no_metering(
    server: ServerProcess,
    model: TrainedModel,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
) -> None:
    for kept_alive in (False, True):
        connection = None
        if kept_alive:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            post(server.port, model.csv(1), CSV, connection)
        try:
            answer = post(server.port, model.csv(3) if body is None else body, headers, connection)
        finally:
            if connection is not None:
                connection.close()
        assert answer[0] == status, answer[2][:300]
        assert HEADER not in answer[1]
        if "units=-1" in headers.get(ATTRIBUTES, ""):
            assert b"context.inference_count to -1" in answer[2]


def test_metering_can_be_turned_off(unmetered: ServerProcess, model: TrainedModel) -> None:
    status, headers, body = post(unmetered.port, model.csv(4), CSV, None)
    assert status == 200 and len(body.decode().splitlines()) == 4
    assert HEADER not in headers


def test_the_fast_path_itself_writes_the_header(model: TrainedModel) -> None:
    """In this process, on a socket pair: the kept-alive writer, not gunicorn, answered."""
    algorithm = load_algorithm()
    settings = ServerSettings.from_environment({"BYOA_MODEL_DIR": str(model.model_dir)})
    lane = create_app(InferenceService(algorithm, algorithm.model_fn(model.model_dir), settings))
    client, served = socket.socketpair()
    client.settimeout(10)
    try:
        conn = SimpleNamespace(sock=served, parser=SimpleNamespace(unreader=SocketUnreader(served)))
        client.sendall(raw_invocation(model.csv(9), CSV))
        assert serve_whole_request(conn, lane) is True
        head = client.recv(65536).partition(b"\r\n\r\n")[0].decode("latin-1")
    finally:
        client.close()
        served.close()
    assert f'{HEADER}: {{"Dimension": "inference.count", "ConsumedUnits": 9}}' in head
