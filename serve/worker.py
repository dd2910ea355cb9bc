"""The gunicorn worker: ``gthread``, balanced over workers, quick with kept-alive clients, and
never starved by its clients.

**Reading in the loop.** Each worker's main thread (the event loop) reads every request
itself, without blocking, until gunicorn could judge it (:func:`serve.admission.ready_for_gunicorn`:
the head has arrived, with a body of up to 1 MiB), and only then hands the connection to a
pool thread, its bytes already read put back in gunicorn's buffer. So idle connections and
slow senders cost a file descriptor, never a thread. A request must arrive within
``REQUEST_TIMEOUT_S`` of its first byte (else 408 and close); an idle connection waits for a
first byte as long as gunicorn's keep-alive timeout.

**Answers in the loop.** A plain ``GET /ping`` is answered by the loop itself, with the bytes
gunicorn would write, so no client can queue it behind busy threads. A new connection's first
request beyond ``CONNECTIONS_PER_THREAD x threads`` open connections in this worker is
answered 503 (closing) by the loop, unless it is a ping. These answers and gunicorn's closing
of a connection are written without blocking; a client that does not read them is closed.

**Bounded threads.** A thread's reads and writes on a client wait at most
``IO_TIMEOUT_S`` (:class:`serve.admission.TimedSocket`): a client that stops sending mid-body
or stops reading its answer frees the thread.

**Kept-alive clients.** gunicorn's ``gthread`` worker hands a kept-alive connection back to its
main thread after every response. For a client that sends its next request at once (a load
balancer's busy connection, batch transform's mini-batches) that is two thread hand-offs, a
pipe write and two ``epoll`` updates per request. Here the pool thread watches the connection
for ``LINGER_S`` after answering and, if a whole request in the subset of
:mod:`serve.kept_alive` arrives, answers it itself; anything else goes back to the loop. A
thread stays with its connection only while no other connection waits for a thread.
"""

from __future__ import annotations

import contextlib
import errno
import select
import selectors
import socket
import time
from concurrent.futures import Future
from functools import cached_property, partial
from typing import Any

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn

from serve import admission
from serve.balance import BalancedThreadWorker
from serve.invocations import InvocationsLane
from serve.kept_alive import HEADER_END, serve_whole_request

LINGER_S = 0.002
CONNECTIONS_PER_THREAD = 4
CLOSE_LINGER_S = 2.0  # as gunicorn's close_graceful: wait this long for the client's FIN
RECV_BYTES = 65536


class ServingWorker(BalancedThreadWorker):
    def init_process(self) -> None:
        self.gathering: dict[Any, float] = {}  # connection -> deadline
        self.closing: dict[Any, float] = {}
        self.connection_bound = CONNECTIONS_PER_THREAD * self.cfg.threads
        super().init_process()

    # --- the event loop (main thread) ---

    def accept(self, listener: Any) -> None:
        try:
            accepted, client = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, admission.TimedSocket.taking(accepted), client,
                     listener.getsockname())  # fmt: skip
        conn.close = partial(self._close, conn)
        self.enqueue_req(conn)

    def enqueue_req(self, conn: Any) -> None:
        """Every path to a thread comes here: a thread takes only a request ready to judge."""
        if getattr(conn, "gathered", None) is None and self._loop_reads(conn):
            self._gather(conn)
        else:
            super().enqueue_req(conn)

    def _loop_reads(self, conn: Any) -> bool:
        return (
            self._direct_lane is not None
            and not conn.is_http2
            and not negotiation.prior_knowledge_allowed(self.cfg, conn.client)
        )

    def _gather(self, conn: Any) -> None:
        conn.gathered = bytearray(conn.parser.unreader.take_buffered() if conn.parser else b"")
        conn.sock.setblocking(False)
        started = bool(conn.gathered)
        wait = admission.REQUEST_TIMEOUT_S if started else self.cfg.keepalive
        self.gathering[conn] = time.monotonic() + wait
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))
        if started:
            self._judge(conn)

    def _readable(self, conn: Any, _sock: Any) -> None:
        try:
            data = conn.sock.recv(RECV_BYTES)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._stop_gathering(conn)
            self._drop(conn)
            return
        if not conn.gathered:
            self.gathering[conn] = time.monotonic() + admission.REQUEST_TIMEOUT_S
        conn.gathered += data
        self._judge(conn)

    def _judge(self, conn: Any) -> None:
        data = bytes(conn.gathered)
        refused = not conn.initialized and self.nr_conns > self.connection_bound
        if not admission.ready_for_gunicorn(data, self.cfg, conn.client) and not (
            refused and HEADER_END in data
        ):
            return  # (a refused request's body is not waited for)
        self._stop_gathering(conn)
        end = admission.ping_end(data)
        if end is not None:
            self._answer_ping(conn, data[end:])
        elif refused:
            self._answer_and_close(conn, admission.busy_answer(self.connection_bound))
        else:
            conn.gathered = data
            super().enqueue_req(conn)

    def _stop_gathering(self, conn: Any) -> None:
        self.gathering.pop(conn, None)
        self._unwatch(conn)

    def _answer_ping(self, conn: Any, rest: bytes) -> None:
        if not self._send_at_once(conn, admission.ping_answer()):
            self._drop(conn)
            return
        conn.gathered = None
        if not conn.initialized:
            conn.init()  # plain TCP: only makes gunicorn's parser, reads nothing
        conn.parser.unreader.unread(rest)
        answered: Future[bool] = Future()
        answered.set_result(True)
        self.finish_request(conn, answered)  # kept alive, as gunicorn does after a response

    def _answer_and_close(self, conn: Any, answer: bytes) -> None:
        self._send_at_once(conn, answer)
        self.nr_conns -= 1
        conn.close(graceful=True)

    def _send_at_once(self, conn: Any, answer: bytes) -> bool:
        try:
            return bool(conn.sock.send(answer, socket.MSG_DONTWAIT) == len(answer))
        except OSError:
            return False

    def _drop(self, conn: Any) -> None:
        self.nr_conns -= 1
        conn.close()

    def _close(self, conn: Any, graceful: bool = False) -> None:
        """TConn.close without blocking the loop: gunicorn's graceful close waits up to 2 s
        for the client's FIN on the calling thread; here the loop watches for it."""
        if not graceful:
            _close_quietly(conn.sock)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))
        except (OSError, KeyError, ValueError):
            _close_quietly(conn.sock)
            return
        self.closing[conn] = time.monotonic() + CLOSE_LINGER_S

    def _drain(self, conn: Any, _sock: Any) -> None:
        try:
            if conn.sock.recv(RECV_BYTES):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self._end_closing(conn)

    def _end_closing(self, conn: Any) -> None:
        self.closing.pop(conn, None)
        self._unwatch(conn)
        _close_quietly(conn.sock)

    def _unwatch(self, conn: Any) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def murder_pending(self) -> None:
        """Each turn of the loop: also end what waited too long for the client."""
        super().murder_pending()
        now = time.monotonic()
        for conn, deadline in list(self.closing.items()):
            if deadline <= now:
                self._end_closing(conn)
        for conn, deadline in list(self.gathering.items()):
            if deadline <= now or not (self.alive or conn.gathered):
                self._stop_gathering(conn)
                if conn.gathered:
                    self._answer_and_close(conn, admission.late_answer())
                else:
                    self._drop(conn)

    # --- a pool thread ---

    def handle(self, conn: Any) -> Any:
        kept_alive = conn.initialized
        gathered = getattr(conn, "gathered", None)
        if gathered is not None:
            conn.gathered = None
            conn.init()
            conn.parser.unreader.unread(gathered)
            conn.data_ready = True
        result = self._handle_one(conn, kept_alive)
        while (
            result is True
            and self.alive
            and self.tpool._work_queue.empty()
            and _next_request_arrives(conn, LINGER_S)
        ):
            answered = self._answer_directly(conn)
            if answered is None:
                break  # not a whole request in the subset: the loop reads it
            result = answered
        return result

    def _handle_one(self, conn: Any, kept_alive: bool) -> Any:
        if kept_alive:
            answered = self._answer_directly(conn)
            if answered is not None:
                return answered
        return super().handle(conn)

    def _answer_directly(self, conn: Any) -> bool | None:
        lane = self._direct_lane
        if lane is None or not self._keeps_alive(conn):
            return None
        answered = serve_whole_request(conn, lane)
        if answered is not None:
            self.nr += 1
        return answered

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


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
