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
"""

from __future__ import annotations

import select
from typing import Any

from serve.balance import BalancedThreadWorker

LINGER_S = 0.002


class ServingWorker(BalancedThreadWorker):
    def handle(self, conn: Any) -> Any:
        result = super().handle(conn)
        while (
            result is True
            and self.alive
            and self.tpool._work_queue.empty()
            and _next_request_arrives(conn, LINGER_S)
        ):
            result = super().handle(conn)
        return result


def _next_request_arrives(conn: Any, seconds: float) -> bool:
    """True once the connection has bytes to read (or was closed) within ``seconds``."""
    if conn.parser.unreader.buf.getvalue():
        return True  # read ahead with the previous body
    readable, _, _ = select.select([conn.sock], [], [], seconds)
    return bool(readable)
