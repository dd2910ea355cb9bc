"""No client can keep ``/ping`` from answering within SageMaker's 2 s (:mod:`serve.worker`).

A real server on loopback with one worker of 4 threads, so that a dozen misbehaving clients
would hold every thread of plain gthread: slow senders, clients that never read their
answers, idle connections, and more connections than the worker's bound. The 2 s bound is
SageMaker's and generous on purpose (the tight figures are in ``make bench-faults``).
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator

import pytest

from serve.admission import REQUEST_TIMEOUT_S
from serve.process import ServerProcess
from serve.worker import CONNECTIONS_PER_THREAD
from tests.integration.serve_support import TrainedModel, raw_invocation, running_server

THREADS = 4
MISBEHAVING = 3 * THREADS  # thrice plain gthread's undoing, within the bound of 4 a thread
PING_LIMIT_S = 2.0


@pytest.fixture(scope="module")
def server(model: TrainedModel) -> Iterator[ServerProcess]:
    extra = {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", "BYOA_SERVER_THREADS": str(THREADS)}
    yield from running_server(model.model_dir, extra)


@pytest.fixture
def clients(server: ServerProcess, model: TrainedModel) -> Iterator[list[socket.socket]]:
    """Sockets a test opens to the server; closed after it, and the server serves again."""
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()
    assert_serving_again(server, model)


def assert_serving_again(server: ServerProcess, model: TrainedModel) -> None:
    """Once the clients have gone, inference answers 200 again (within a generous 30 s)."""
    deadline = time.monotonic() + 30
    while invoke(server, model)[0] != 200:
        assert time.monotonic() < deadline, "inference not served after the clients left"
        time.sleep(0.2)


def invoke(server: ServerProcess, model: TrainedModel) -> tuple[int, float, bytes]:
    return timed(server, "POST", "/invocations", model.csv(1), {"Content-Type": "text/csv"})


def open_clients(server: ServerProcess, opened: list[socket.socket], count: int,
                 receive_buffer: int | None = None) -> list[socket.socket]:  # fmt: skip
    new = []
    for _ in range(count):
        sock = socket.socket()
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", server.port))
        new.append(sock)
    opened.extend(new)
    return new


def timed(server: ServerProcess, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:  # fmt: skip
    """Status, seconds and body of one request on a fresh connection."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, time.monotonic() - started, response.read()
    finally:
        connection.close()


def assert_ping_answers(server: ServerProcess) -> None:
    for _ in range(3):
        status, seconds, _ = timed(server, "GET", "/ping")
        assert status == 200
        assert seconds < PING_LIMIT_S


def assert_inference_answers(server: ServerProcess, model: TrainedModel) -> None:
    assert invoke(server, model)[0] == 200


def test_slow_senders_hold_no_thread(
    server: ServerProcess, model: TrainedModel, clients: list[socket.socket]
) -> None:
    for sock in open_clients(server, clients, MISBEHAVING):
        sock.sendall(b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nX-Slow: a")
    time.sleep(0.5)
    for sock in clients:
        sock.sendall(b"a")
    assert_ping_answers(server)
    assert_inference_answers(server, model)


def test_clients_that_never_read_hold_no_thread(
    server: ServerProcess, model: TrainedModel, clients: list[socket.socket]
) -> None:
    request = raw_invocation(model.csv(200), {"Content-Type": "text/csv"})
    for sock in open_clients(server, clients, MISBEHAVING, receive_buffer=4096):
        sock.setblocking(False)
        for _ in range(40):
            try:
                sock.send(request)
            except BlockingIOError:
                break
    time.sleep(1)  # every thread now writes to a client that does not read
    assert_ping_answers(server)


def test_idle_connections_hold_no_thread(
    server: ServerProcess, model: TrainedModel, clients: list[socket.socket]
) -> None:
    open_clients(server, clients, MISBEHAVING // 2)
    kept = open_clients(server, clients, MISBEHAVING // 2)
    for sock in kept:  # kept alive after one answer, then idle
        sock.sendall(raw_invocation(model.csv(1), {"Content-Type": "text/csv"}))
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
    assert_ping_answers(server)
    assert_inference_answers(server, model)


def test_past_the_connection_bound_inference_is_refused_fast_and_ping_still_answers(
    server: ServerProcess, model: TrainedModel, clients: list[socket.socket]
) -> None:
    open_clients(server, clients, CONNECTIONS_PER_THREAD * THREADS)
    time.sleep(0.5)  # the worker has accepted them all
    status, seconds, body = invoke(server, model)
    assert status == 503 and seconds < PING_LIMIT_S
    assert b"connections (the bound per worker)" in body
    assert_ping_answers(server)


def test_a_request_that_stops_arriving_gets_408_and_its_connection_closes(
    server: ServerProcess, clients: list[socket.socket]
) -> None:
    (sock,) = open_clients(server, clients, 1)
    sock.sendall(b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\n")
    started = time.monotonic()
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"Connection: close\r\n" in answer
    assert REQUEST_TIMEOUT_S - 1 <= time.monotonic() - started < REQUEST_TIMEOUT_S + 5


def test_the_loops_ping_answer_is_the_apps(server: ServerProcess) -> None:
    """The loop answers a plain ping itself; a header gunicorn drops sends it to the app."""
    answers = []
    for headers in ({}, {"X_Dropped": "1"}):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", "/ping", headers=headers)
        response = connection.getresponse()
        kept = [(name, value) for name, value in response.getheaders() if name != "Date"]
        answers.append((response.status, kept, response.read()))
        connection.close()
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
