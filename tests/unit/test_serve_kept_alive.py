"""The kept-alive request subset: whatever it takes, gunicorn's own parser reads the same way."""

from __future__ import annotations

import email.utils

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
from hypothesis import given, settings
from hypothesis import strategies as st

from serve.invocations import Reply
from serve.kept_alive import (
    MAX_HEADER_LINE,
    MAX_HEADERS,
    MAX_REQUEST_BYTES,
    encode_reply,
    parse_whole_request,
)

HEAD = b"POST /invocations HTTP/1.1\r\n"


def request(*headers: bytes, body: bytes = b"1,2\n", length: bool = True) -> bytes:
    lines = [*headers, *([b"Content-Length: %d" % len(body)] if length else [])]
    return HEAD + b"".join(line + b"\r\n" for line in lines) + b"\r\n" + body


def gunicorn_reads(data: bytes) -> tuple[dict[bytes, bytes], bytes]:
    parsed = next(RequestParser(Config(), iter([data]), ("127.0.0.1", 1)))
    assert (parsed.method, parsed.path, parsed.query) == ("POST", "/invocations", "")
    assert parsed.version == (1, 1)
    headers = {name.lower().encode(): value.encode("latin-1") for name, value in parsed.headers}
    return headers, parsed.body.read()


def test_a_typical_request_is_read_as_gunicorn_reads_it() -> None:
    data = request(b"Host: 127.0.0.1:8080", b"Content-Type: text/csv; charset=utf-8",
                   b"Accept: */*", b"X-Amzn-SageMaker-Custom-Attributes:  verbose=true ",
                   b"Connection: keep-alive")  # fmt: skip
    whole = parse_whole_request(data)
    assert whole is not None
    assert (whole.headers, whole.body) == gunicorn_reads(data)
    assert whole.end == len(data)
    assert whole.header(b"x-amzn-sagemaker-custom-attributes") == "verbose=true"


def test_pipelined_requests_are_taken_one_at_a_time() -> None:
    first, second = request(body=b"1,2\n"), request(body=b"3,4\n5,6\n")
    whole = parse_whole_request(first + second)
    assert whole is not None and whole.body == b"1,2\n"
    rest = parse_whole_request((first + second)[whole.end :])
    assert rest is not None and rest.body == b"3,4\n5,6\n"


@pytest.mark.parametrize(
    "data",
    [
        request(body=b"1,2\n")[:-1],  # the body has not all arrived
        request()[: len(HEAD) + 10],  # nor have the headers
        b"GET /invocations HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"POST /invocations?x=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"POST /ping HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        b"POST /invocations HTTP/1.0\r\nContent-Length: 0\r\n\r\n",
        request(b"Connection: close"),
        request(b"Connection: upgrade"),
        request(b"Transfer-Encoding: chunked", length=False),
        request(b"Transfer-Encoding: chunked"),
        request(b"Expect: 100-continue"),
        request(b"Upgrade: h2c"),
        request(length=False),
        request(b"Content-Length: 4"),  # a second Content-Length
        request(b"Content-Type: text/csv", b"content-type: application/json"),
        request(b"Content-Length : 4", length=False),
        request(b"Content-Length: +4", length=False),
        request(b"Content-Length: " + b"9" * 5000, length=False),
        request(b" folded: value"),
        request(b"X-Bad: a\x01b"),
        request(b"X-Bad: a\rb"),
        request(b"Bad Name: value"),
        request(b"X-Long: " + b"a" * 8190),
        request(b"X-Long: " + b"a" * (MAX_HEADER_LINE - 7)),  # near gunicorn's limits: its call
        request(*[b"X-%d: 1" % number for number in range(MAX_HEADERS)]),
        request(b"X_Under: 1"),  # gunicorn drops the header
        request(*[b"X-%d: 1" % number for number in range(100)]),
        request(body=b"1," * (MAX_REQUEST_BYTES // 2)),
    ],
    ids=lambda data: repr(data[:70]),
)
def test_anything_outside_the_subset_is_left_to_gunicorn(data: bytes) -> None:
    assert parse_whole_request(data) is None


NAMES = st.sampled_from(
    [b"Host", b"Accept", b"content-type", b"Content-Type", b"X_Under", b"Connection", b"TE",
     b"X-Amzn-SageMaker-Custom-Attributes", b"X-Amzn-SageMaker-Inference-Id", b"Content-Length",
     b"Bad Name", b"Expect"]
)  # fmt: skip
VALUES = st.one_of(
    st.from_regex(rb"[ \t!-~\x80-\xff]{0,12}", fullmatch=True),
    st.binary(max_size=12).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")),
)


@settings(max_examples=400, deadline=None)
@given(headers=st.lists(st.tuples(NAMES, VALUES), max_size=6), body=st.binary(max_size=20),
       length=st.sampled_from([True, True, True, False]))  # fmt: skip
def test_whatever_the_subset_takes_gunicorn_reads_the_same(
    headers: list[tuple[bytes, bytes]], body: bytes, length: bool
) -> None:
    data = request(*(name + b": " + value for name, value in headers), body=body, length=length)
    whole = parse_whole_request(data)
    if whole is None:
        return
    read_headers, read_body = gunicorn_reads(data)
    ours = {name: value for name, value in whole.headers.items() if b"_" not in name}
    assert (ours, whole.body, whole.end) == (read_headers, read_body, len(data))


def test_the_reply_carries_the_head_gunicorn_writes() -> None:
    encoded = encode_reply(Reply(406, [("Content-Type", "application/json"),
                                       ("Content-Length", "2")], b"{}"))  # fmt: skip
    head, body = encoded.split(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 406 Not Acceptable"
    assert lines[1:3] == ["Server: gunicorn", lines[2]]
    assert email.utils.parsedate_to_datetime(lines[2].removeprefix("Date: ")).tzname() == "UTC"
    assert lines[3:] == ["Connection: keep-alive", "Content-Type: application/json",
                         "Content-Length: 2"]  # fmt: skip
    assert body == b"{}"
