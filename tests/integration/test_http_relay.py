"""The relay into ``--network none`` containers, run as the image runs it, against a real server."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator

import pytest

from container.docker_http import RelayClient
from tests.conftest import REPO_ROOT


class Echo(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.send_header("Content-Type", self.headers["Content-Type"])
        self.end_headers()
        self.wfile.write(body[::-1])

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


class LocalRelay(RelayClient):
    """The relay started directly (what ``docker exec`` starts inside the container)."""

    def __init__(self) -> None:
        super().__init__("unused")
        self.command = [sys.executable, "-m", "container.http_relay"]


def test_requests_cross_the_relay_byte_for_byte(
    server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", str(server))
    relay = LocalRelay()
    try:
        payload = bytes(range(256)) * 100
        for _ in range(3):
            response = relay.request("POST", "/x", payload, {"Content-Type": "application/x-npy"})
            assert response.status == 201
            assert response.body == payload[::-1]
            assert response.header("content-type") == "application/x-npy"
            assert response.seconds > 0
    finally:
        relay.close()


def test_a_server_that_is_not_up_is_a_connection_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", "1")
    relay = LocalRelay()
    try:
        with pytest.raises(ConnectionError):
            relay.request("GET", "/ping", timeout=2)
    finally:
        relay.close()
