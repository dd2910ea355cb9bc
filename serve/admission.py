"""What a worker's event loop decides about a request before any thread sees it.

The loop (:mod:`serve.worker`) reads each request itself, without blocking, until it is whole
enough for gunicorn to judge; this module says when that is (:func:`ready_for_gunicorn`, by
running gunicorn's own parser over the bytes that have arrived),
recognises the ``GET /ping`` the loop answers on its own (:func:`ping_end`), and holds the
loop's canned answers: the ping's, 503 beyond the connection bound, 408 for a request that
did not arrive in time. :class:`TimedSocket` bounds every blocking read and write a thread
makes on a connection.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from gunicorn.config import Config
from gunicorn.http.body import LengthReader
from gunicorn.http.parser import RequestParser

from serve.invocations import Reply
from serve.kept_alive import HEADER_END, encode_reply, parse_head

# From a request's first byte, the time its head (and a gathered body) has to arrive.
REQUEST_TIMEOUT_S = 10.0
# A thread's one read, or one whole write, on a client's socket; past it the connection closes.
IO_TIMEOUT_S = 15.0
# Bodies up to this size are gathered by the loop too; larger ones are read by the thread.
GATHERED_BODY_BYTES = 1024 * 1024
PING_LINE = b"GET /ping HTTP/1.1"


class _NoMoreYet(Exception):
    """gunicorn asked for bytes beyond those that have arrived."""


class _Arrived:
    """A socket stand-in holding the bytes that have arrived, and no more."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def recv(self, size: int) -> bytes:
        if not self.data:
            raise _NoMoreYet
        data, self.data = self.data, b""
        return data


def ready_for_gunicorn(data: bytes, cfg: Any = None, peer: Any = ("127.0.0.1", 0)) -> bool:
    """Whether gunicorn would answer ``data`` without reading more: gunicorn's own parser
    reads it, and asks for no byte beyond it (a body of up to ``GATHERED_BODY_BYTES``
    included; a longer or chunked one is the thread's to read). A request gunicorn refuses
    is ready as soon as gunicorn can tell."""
    parser = RequestParser(cfg or Config(), _Arrived(data), peer)
    try:
        request = next(parser)
        reader = request.body.reader
        if not isinstance(reader, LengthReader) or reader.length > GATHERED_BODY_BYTES:
            return True
        request.body.read()
    except _NoMoreYet:
        return False
    except Exception:
        return True  # refused at once (or nothing to read): gunicorn answers from these bytes
    return True


def ping_end(data: bytes) -> int | None:
    """The end of a plain ``GET /ping`` (no body, headers in the kept-alive subset) at the
    start of ``data``; None for anything else, which gunicorn answers."""
    head = parse_head(data, PING_LINE)
    if head is None:
        return None
    headers, head_end = head
    if headers.get(b"content-length", b"0") != b"0":
        return None
    return head_end + len(HEADER_END)


def ping_answer() -> bytes:
    """The bytes gunicorn writes for the app's ``/ping`` (serve.app), with today's date."""
    headers = [("Content-Type", "text/plain"), ("Content-Length", "0")]
    return encode_reply(Reply(200, headers, b""))


def closing_answer(status: int, message: str) -> bytes:
    """A JSON error answer that closes the connection."""
    body = json.dumps({"error": message, "status": status}).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    answer = encode_reply(Reply(status, headers, body))
    return answer.replace(b"\r\nConnection: keep-alive\r\n", b"\r\nConnection: close\r\n", 1)


def busy_answer(bound: int) -> bytes:
    message = (
        f"this worker already holds {bound} connections (the bound per worker); "
        "retry, or reuse fewer kept-alive connections"
    )
    return closing_answer(503, message)


def late_answer() -> bytes:
    message = f"the request did not arrive whole within {REQUEST_TIMEOUT_S:g} s of its first byte"
    return closing_answer(408, message)


class TimedSocket(socket.socket):
    """A client socket on which "blocking" means blocking for at most ``IO_TIMEOUT_S``.

    gunicorn sets a connection blocking before each request; here that becomes a timeout, so
    a client that stops sending mid-body, or stops reading its answer, frees the thread.
    """

    __slots__ = ()

    @classmethod
    def taking(cls, accepted: socket.socket) -> TimedSocket:
        return cls(accepted.family, accepted.type, accepted.proto, fileno=accepted.detach())

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(IO_TIMEOUT_S)
        else:
            super().setblocking(False)
