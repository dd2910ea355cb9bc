"""The kept-alive fast path (:mod:`serve.kept_alive`) answers as gunicorn does at every limit.

Each generated request goes to a real server on loopback twice: alone on a fresh connection
(gunicorn parses it) and on a connection kept alive by a request before it (the fast path
takes it when it is in its subset). Both answers must be the same, status and body. The
requests sit around each limit: gunicorn's request line (8190 bytes), header line (8190 with
its CRLF), header count (100), the fast path's own header line, header count and request
size limits, and every byte value in a header's name and value; and a plain ``/ping``, which
the event loop answers itself, against the same ping sent on to gunicorn.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serve.kept_alive import MAX_HEADER_LINE, MAX_HEADERS, MAX_REQUEST_BYTES
from serve.process import ServerProcess
from tests.integration.serve_support import TrainedModel, raw_invocation, running_server

GUNICORN_LINE = 8190  # serve.server's limit_request_line and limit_request_field_size
GUNICORN_HEADERS = 100
Answer = tuple[int | None, bytes]
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def server(model: TrainedModel) -> Iterator[ServerProcess]:
    yield from running_server(model.model_dir)


@pytest.fixture(scope="module")
def body(model: TrainedModel) -> bytes:
    return model.csv(2)


def around(limit: int, spread: int = 4) -> st.SearchStrategy[int]:
    return st.integers(limit - spread, limit + spread)


def invocation(body: bytes, *lines: bytes, path: bytes = b"/invocations") -> bytes:
    head = b"".join(line + b"\r\n" for line in lines)
    request = raw_invocation(body, {"Content-Type": "text/csv"})
    start, rest = request.split(b"\r\n", 1)
    return start.replace(b"/invocations", path, 1) + b"\r\n" + head + rest


def read_answer(sock: socket.socket) -> Answer:
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        return response.status, response.read()
    except (http.client.HTTPException, OSError):
        return None, b""  # closed without an answer
    finally:
        response.close()


def send(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # refused early and closed; the answer is still read
        sock.sendall(data)


def fresh_and_kept_alive(server: ServerProcess, body: bytes, request: bytes) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as fresh:
        send(fresh, request)
        on_fresh = read_answer(fresh)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as kept:
        send(kept, invocation(body))
        assert read_answer(kept)[0] == 200
        send(kept, request)
        on_kept_alive = read_answer(kept)
    assert on_kept_alive == on_fresh


@EXAMPLES
@given(length=st.one_of(around(GUNICORN_LINE - 2), around(MAX_HEADER_LINE)))
def test_a_header_line_near_a_length_limit(server: ServerProcess, body: bytes, length: int) -> None:
    line = b"X-Pad: " + b"a" * (length - len(b"X-Pad: "))
    fresh_and_kept_alive(server, body, invocation(body, line))


@EXAMPLES
@given(count=st.one_of(around(GUNICORN_HEADERS), around(MAX_HEADERS)))
def test_a_header_count_near_a_limit(server: ServerProcess, body: bytes, count: int) -> None:
    sent_anyway = 3  # Host, Content-Type, Content-Length
    lines = [b"X-H%d: 1" % number for number in range(count - sent_anyway)]
    fresh_and_kept_alive(server, body, invocation(body, *lines))


@EXAMPLES
@given(length=around(GUNICORN_LINE, 3))
def test_a_request_line_near_its_limit(server: ServerProcess, body: bytes, length: int) -> None:
    fixed = len(b"POST /invocations? HTTP/1.1")
    path = b"/invocations?" + b"q" * (length - fixed)
    fresh_and_kept_alive(server, body, invocation(body, path=path))


@pytest.fixture(scope="module")
def large_body(model: TrainedModel) -> Iterator[list[bytes]]:
    """The most CSV rows that leave a kilobyte of a fast-path request for its head (in a list,
    so that hypothesis does not print 60 kB with each example)."""
    rows = 1
    while len(model.csv(rows + 1)) < MAX_REQUEST_BYTES - MAX_HEADER_LINE:
        rows += 1
    yield [model.csv(rows)]


@EXAMPLES
@given(spare=st.integers(-6, 6))
def test_a_request_near_the_fast_paths_size_limit(
    server: ServerProcess, body: bytes, large_body: list[bytes], spare: int
) -> None:
    unpadded = len(invocation(large_body[0], b"X-Fill: "))
    filler = b"X-Fill: " + b"c" * (MAX_REQUEST_BYTES - unpadded + spare)
    request = invocation(large_body[0], filler)
    assert len(request) == MAX_REQUEST_BYTES + spare and len(filler) <= MAX_HEADER_LINE
    fresh_and_kept_alive(server, body, request)


@EXAMPLES
@given(byte=st.integers(0, 255), where=st.sampled_from(["name", "value", "value end"]))
def test_every_byte_in_a_header_name_or_value(
    server: ServerProcess, body: bytes, byte: int, where: str
) -> None:
    one = bytes([byte])
    line = {
        "name": b"X-B" + one + b"d: v",
        "value": b"X-Byte: a" + one + b"b",
        "value end": b"X-Byte: ab" + one,
    }[where]
    fresh_and_kept_alive(server, body, invocation(body, line))


@EXAMPLES
@given(name=st.sampled_from([b"Content_Type", b"X_Amzn_SageMaker_Inference_Id", b"Accept_"]))
def test_a_header_name_gunicorn_drops(server: ServerProcess, body: bytes, name: bytes) -> None:
    fresh_and_kept_alive(server, body, invocation(body, name + b": application/json"))


def ping_answer(server: ServerProcess, *lines: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers (but the date) and body of a ``GET /ping`` with these header lines."""
    head = b"GET /ping HTTP/1.1\r\nHost: x\r\n" + b"".join(line + b"\r\n" for line in lines)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        send(sock, head + b"\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        headers = [(name, value) for name, value in response.getheaders() if name != "Date"]
        return response.status, headers, response.read()


@EXAMPLES
@given(
    length=st.one_of(around(GUNICORN_LINE - 2), around(MAX_HEADER_LINE)),
    byte=st.integers(0, 255),
)
def test_the_loops_ping_answers_as_gunicorn_does(
    server: ServerProcess, length: int, byte: int
) -> None:
    """The event loop answers a plain ``/ping`` itself (serve.worker); a header gunicorn drops
    (a ``_`` in its name) sends the same ping to gunicorn: the answers must not differ."""
    line = b"X-Pad: " + bytes([byte]) + b"a" * (length - len(b"X-Pad: ") - 1)
    assert ping_answer(server, line) == ping_answer(server, line, b"X_Dropped: 1")
