"""The gunicorn worker: ``gthread``, balanced over workers, and quick with kept-alive clients.

gunicorn's ``gthread`` worker hands a kept-alive connection back to its main thread after every
response; the main thread polls it and hands it to a pool thread again when the next request
arrives. For a client that sends its next request at once (a load balancer's busy connection,
batch transform's mini-batches) that is two thread hand-offs, a pipe write and two ``epoll``
updates per request. Here the pool thread watches the connection for ``LINGER_S`` after
answering and serves the next request itself if one arrives; an idle connection goes back to
the main thread as before, so a waiting client never holds a thread for longer than that. A
thread stays with its connection only while no other connection waits for a thread: with more
busy clients than threads, every answer hands the thread on, as plain gthread does.

A kept-alive connection's ``/invocations`` requests that arrive whole are answered by
:mod:`serve.kept_alive`; everything else goes through gunicorn.
"""

from __future__ import annotations

import select
from functools import cached_property
from typing import Any

from serve.balance import BalancedThreadWorker
from serve.invocations import InvocationsLane
from serve.kept_alive import serve_whole_request

LINGER_S = 0.002


class ServingWorker(BalancedThreadWorker):
    def handle(self, conn: Any) -> Any:
        result = self._handle_one(conn)
        while (
            result is True
            and self.alive
            and self.tpool._work_queue.empty()
            and _next_request_arrives(conn, LINGER_S)
        ):
            result = self._handle_one(conn)
        return result

    def _handle_one(self, conn: Any) -> Any:
        lane = self._direct_lane
        if lane is not None and self._keeps_alive(conn):
            answered = serve_whole_request(conn, lane)
            if answered is not None:
                self.nr += 1
                return answered
        return super().handle(conn)

    @cached_property
    def _direct_lane(self) -> InvocationsLane | None:
        """The lane that may answer directly: byoa's app, on plain TCP (read once loaded)."""
        if isinstance(self.wsgi, InvocationsLane) and not self.cfg.is_ssl:
            return self.wsgi
        return None

    def _keeps_alive(self, conn: Any) -> bool:
        """A kept-alive HTTP/1.1 connection, in a worker that would keep it alive once more."""
        return (
            conn.initialized
            and not conn.is_http2
            and self.alive
            and self.nr + 1 < self.max_requests
            and len(self.keepalived_conns) < self.max_keepalived
        )


def _next_request_arrives(conn: Any, seconds: float) -> bool:
    """True once the connection has bytes to read (or was closed) within ``seconds``."""
    if conn.parser.unreader.buf.getvalue():
        return True  # read ahead with the previous body
    readable, _, _ = select.select([conn.sock], [], [], seconds)
    return bool(readable)
