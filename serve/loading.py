"""While the model loads: accept connections at once and answer 503, never 200.

SageMaker expects the container to accept socket connections soon after start and treats any
``/ping`` answer other than 200 as "not healthy yet". The master loads the model before
gunicorn binds, so this small responder holds the port meanwhile; it is shut down and its
socket closed before gunicorn binds the same address (both set ``SO_REUSEADDR``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

BODY = json.dumps({"error": "the model is loading", "status": 503}).encode()


class _Loading(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1024 * 1024:
            self.rfile.read(length)
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Retry-After", "1")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(BODY)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("while loading: " + format, *args)


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


@contextmanager
def unavailable_while_loading(port: int) -> Iterator[None]:
    """Answer 503 on ``0.0.0.0:port`` for the duration; skip quietly if the port is taken."""
    try:
        server = _Server(("0.0.0.0", port), _Loading)
    except OSError as error:
        log.warning("cannot answer 503 on port %d while loading (%s)", port, error)
        yield
        return
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
