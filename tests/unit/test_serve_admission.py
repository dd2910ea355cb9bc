"""The event loop waits for more bytes only when gunicorn could not answer without them, and
answers only a plain ``/ping`` itself."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serve.admission import (
    GATHERED_BODY_BYTES,
    busy_answer,
    late_answer,
    ping_end,
    ready_for_gunicorn,
)

PING = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"


def request(body: bytes = b"1,2\n", *headers: bytes) -> bytes:
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\n" + b"".join(h + b"\r\n" for h in headers)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


@pytest.mark.parametrize(
    "data",
    [
        request(),
        PING,
        request(b"x" * 100_000),
        request(b"", b"Transfer-Encoding: chunked"),
        b"POST /invocations HTTP/1.1\r\nHost: x\r\n\r\n",  # no body to wait for
        b"GET /" + b"a" * 9000,  # request line over gunicorn's limit
        b"GET / HTTP/1.1\nHost: x",  # a bare LF
        request(b"x", b"Content-Length: 1"),  # two lengths: gunicorn refuses
        b"POST /invocations HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (GATHERED_BODY_BYTES + 1),
    ],
    ids=lambda data: repr(data[:50]),
)
def test_what_gunicorn_can_answer_is_handed_over(data: bytes) -> None:
    assert ready_for_gunicorn(data)


BODIES = st.binary(max_size=3000)
HEADERS = st.lists(st.sampled_from([b"X-B: y", b"Accept: text/csv", b"X-A: " + b"b" * 500]),
                   max_size=4)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(body=BODIES, headers=HEADERS, cut=st.integers(0, 5000))
def test_a_valid_request_is_waited_for_until_its_last_byte(
    body: bytes, headers: list[bytes], cut: int
) -> None:
    whole = request(body, *headers)
    cut = min(cut, len(whole))
    assert ready_for_gunicorn(whole[:cut]) == (cut == len(whole))
    assert ready_for_gunicorn(whole + request())  # a pipelined next request changes nothing


@pytest.mark.parametrize("data", [b"\r\r\n", b"GET\r\n", b"POST /x HTTP/9.9\r\n"])
def test_a_request_line_gunicorn_refuses_is_handed_over_at_once(data: bytes) -> None:
    assert ready_for_gunicorn(data)


def test_only_a_plain_whole_ping_is_the_loops() -> None:
    assert ping_end(PING + b"next") == len(PING)
    assert ping_end(PING[:-2]) is None
    assert ping_end(b"GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n") is None
    assert ping_end(b"GET /ping HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") is None
    assert ping_end(b"GET /ping?x HTTP/1.1\r\n\r\n") is None
    assert ping_end(b"GET /ping HTTP/1.1\r\nX_Dropped: 1\r\n\r\n") is None


def test_the_loops_refusals_close_and_say_why() -> None:
    for answer, status in ((busy_answer(64), b"503 Service Unavailable"),
                           (late_answer(), b"408 Request Timeout")):  # fmt: skip
        head, body = answer.split(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 " + status + b"\r\n")
        assert b"\r\nConnection: close\r\n" in head
        assert b"Content-Length: %d" % len(body) in head and b'"error": ' in body
