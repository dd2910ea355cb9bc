"""Kept-alive ``/invocations`` answered directly (:mod:`serve.kept_alive`) answer exactly as
gunicorn does: on real sockets in this process, and through a real server on loopback."""

from __future__ import annotations

import http.client
import select
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from gunicorn.http.unreader import SocketUnreader

from container.plugin import load_algorithm
from serve.app import create_app
from serve.context import RequestContext
from serve.invocations import InvocationsLane
from serve.kept_alive import MAX_REQUEST_BYTES, encode_reply, serve_whole_request
from serve.process import ServerProcess
from serve.service import InferenceService
from serve.settings import ServerSettings
from tests.integration.serve_support import TrainedModel, raw_invocation, running_server

REQUEST_ID = "kept-alive-test"
INFERENCE_ID = "X-Amzn-SageMaker-Inference-Id"
Answer = tuple[int, list[tuple[str, str]], bytes]


@pytest.fixture(scope="module")
def server(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir)


@pytest.fixture(scope="module")
def lane(model: TrainedModel) -> InvocationsLane:
    algorithm = load_algorithm()
    settings = ServerSettings.from_environment({"BYOA_MODEL_DIR": str(model.model_dir)})
    return create_app(InferenceService(algorithm, algorithm.model_fn(model.model_dir), settings))


def raw_request(body: bytes, accept: str = "text/csv") -> bytes:
    headers = {"Content-Type": "text/csv", "Accept": accept, INFERENCE_ID: REQUEST_ID}
    return raw_invocation(body, headers)


def expected_reply(lane: InvocationsLane, body: bytes) -> bytes:
    context = RequestContext(REQUEST_ID, content_type="text/csv", accept="text/csv")
    return without_date(encode_reply(lane.answer(body, context)))


def without_date(response: bytes) -> bytes:
    head, _, body = response.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.startswith(b"Date: ")]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


def read_reply(client: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = client.recv(size - len(received))
        assert chunk, "the connection closed early"
        received += chunk
    return received


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, SimpleNamespace]]:
    """A client socket, and the server end as the ``TConn`` parts the function uses."""
    client, served = socket.socketpair()
    client.settimeout(10)
    conn = SimpleNamespace(sock=served, parser=SimpleNamespace(unreader=SocketUnreader(served)))
    yield client, conn
    client.close()
    served.close()


def test_pipelined_requests_are_answered_one_write_each_in_order(
    lane: InvocationsLane, model: TrainedModel, pair: tuple[socket.socket, SimpleNamespace]
) -> None:
    client, conn = pair
    bodies = [model.csv(1), model.csv(3, start=5)]
    client.sendall(b"".join(raw_request(body) for body in bodies))
    for body in bodies:
        assert serve_whole_request(conn, lane) is True
        expected = expected_reply(lane, body)
        answer = read_reply(client, len(expected) + len("Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n"))
        assert without_date(answer) == expected
    assert conn.parser.unreader.take_buffered() == b""


def test_a_request_not_yet_whole_goes_back_to_gunicorn_untouched(
    lane: InvocationsLane, model: TrainedModel, pair: tuple[socket.socket, SimpleNamespace]
) -> None:
    client, conn = pair
    partial = raw_request(model.csv(2))[:-5]
    client.sendall(partial)
    assert serve_whole_request(conn, lane) is None
    assert conn.parser.unreader.read(len(partial)) == partial


def test_an_idle_connection_is_left_and_a_closed_one_is_dropped(
    lane: InvocationsLane, pair: tuple[socket.socket, SimpleNamespace]
) -> None:
    client, conn = pair
    assert serve_whole_request(conn, lane) is None
    client.close()
    assert serve_whole_request(conn, lane) is False


Case = tuple[str, str, bytes, dict[str, str]]


def test_a_client_slow_to_read_does_not_hold_the_inference_slot(
    lane: InvocationsLane, model: TrainedModel, pair: tuple[socket.socket, SimpleNamespace]
) -> None:
    client, conn = pair
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.sendall(raw_request(model.csv(300), accept="application/json; verbose=true"))
    outcome: list[bool | None] = []
    writer = threading.Thread(target=lambda: outcome.append(serve_whole_request(conn, lane)))
    writer.start()
    assert select.select([client], [], [], 10)[0], "no answer started"
    taken = threading.Event()

    def take_the_slot() -> None:
        with lane.service.slot:
            taken.set()

    threading.Thread(target=take_the_slot).start()
    assert taken.wait(timeout=10), "the slot stayed held while the answer waited for the reader"
    assert writer.is_alive(), "the answer should still be waiting for the reader"
    received = b""
    while writer.is_alive() or select.select([client], [], [], 0)[0]:
        if select.select([client], [], [], 0.1)[0]:  # the writer may be done but not yet gone
            received += client.recv(65536)
    writer.join()
    assert outcome == [True]
    assert received.endswith(b"]}") and b"probabilities" in received


def answer(connection: http.client.HTTPConnection, case: Case) -> Answer:
    method, path, body, headers = case
    headers = {INFERENCE_ID: REQUEST_ID, **headers}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    kept = [(name, value) for name, value in response.getheaders() if name != "Date"]
    return response.status, kept, response.read()


def test_kept_alive_answers_equal_fresh_connection_answers(
    server: ServerProcess, model: TrainedModel
) -> None:
    """Every kind of answer, once per fresh connection (gunicorn's path), then all on one
    kept-alive connection (answered directly where in the subset): the same bytes."""
    csv = {"Content-Type": "text/csv"}
    invoke = ("POST", "/invocations")
    cases: list[Case] = [
        (*invoke, model.csv(1), csv),
        (*invoke, model.csv(3), {"Content-Type": "text/csv; charset=utf-8", "Accept": "text/*"}),
        (*invoke, model.csv(2), {**csv, "X-Amzn-SageMaker-Custom-Attributes": "verbose=true"}),
        (*invoke, model.csv(300), {**csv, "Accept": "application/jsonlines"}),
        (*invoke, model.csv(2000), csv),  # over MAX_REQUEST_BYTES: gunicorn's
        (*invoke, b"", csv),
        (*invoke, model.csv(1), {"Content-Type": "application/xml"}),
        (*invoke, model.csv(1), {**csv, "Accept": "image/png"}),
        (*invoke, b"1,2\n", csv),
        (*invoke, b'1,"2\n', csv),
        ("GET", "/invocations", b"", {}),
        ("GET", "/ping", b"", {}),
    ]
    assert len(model.csv(2000)) > MAX_REQUEST_BYTES > len(model.csv(300))
    fresh = []
    for case in cases:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        fresh.append(answer(connection, case))
        connection.close()
    kept_alive = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    answer(kept_alive, cases[0])
    for case, expected in zip(cases, fresh, strict=True):
        assert answer(kept_alive, case) == expected, case[:2]
    statuses = [status for status, _, _ in fresh]
    assert statuses == [200, 200, 200, 200, 200, 400, 415, 406, 400, 400, 405, 200]
