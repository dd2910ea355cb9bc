"""Talking HTTP to a serve container: directly to a published port, or through the relay.

With ``--network none`` nothing outside the container can open a socket to it, so requests go
through ``docker exec`` into :mod:`container.http_relay`; with a network, straight to the port
published on 127.0.0.1. Both return the same :class:`HttpResponse`.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from serve import client


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    """Time the server took to answer, measured next to it (inside the container for the relay)."""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


class HttpClient(Protocol):
    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        timeout: float = 70.0,
    ) -> HttpResponse:
        """Raises ConnectionError when the server cannot be reached."""
        ...

    def close(self) -> None: ...


class DirectClient:
    """Requests to ``host:port`` (a port published on the host's loopback)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        timeout: float = 70.0,
    ) -> HttpResponse:
        started = time.perf_counter()
        try:
            reply = client.request(
                f"http://{self.host}:{self.port}", method, path, body, dict(headers or {}), timeout
            )
        except OSError as error:
            raise ConnectionError(f"{self.host}:{self.port}: {error}") from error
        elapsed = time.perf_counter() - started
        return HttpResponse(reply.status, reply.body, reply.headers, elapsed)

    def close(self) -> None:
        return None


class RelayClient:
    """Requests carried by ``docker exec -i NAME python -m container.http_relay``, one at a time."""

    def __init__(self, container: str, docker: str = "docker") -> None:
        self.command = [docker, "exec", "-i", container, "python", "-m", "container.http_relay"]
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None

    def _relay(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True,
            )  # fmt: skip
        return self._process

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        timeout: float = 70.0,
    ) -> HttpResponse:
        message = {
            "method": method,
            "path": path,
            "headers": dict(headers or {}),
            "body": base64.b64encode(body).decode("ascii"),
            "timeout": timeout,
        }
        with self._lock:
            answer = self._exchange(json.dumps(message) + "\n")
        if answer.get("status", 0) == 0:
            raise ConnectionError(answer.get("error", "the relay could not reach the server"))
        return HttpResponse(
            answer["status"],
            base64.b64decode(answer.get("body", "")),
            answer.get("headers", {}),
            float(answer.get("seconds", 0.0)),
        )

    def _exchange(self, line: str) -> dict[str, Any]:
        process = self._relay()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(line)
            process.stdin.flush()
            reply = process.stdout.readline()
        except OSError as error:
            self.close()
            raise ConnectionError(f"relay into the container failed: {error}") from error
        if not reply:
            self.close()
            raise ConnectionError("the container is not running (docker exec ended)")
        try:
            answer: dict[str, Any] = json.loads(reply)
        except ValueError:
            self.close()  # e.g. docker's own message while the container is exiting
            raise ConnectionError(f"the relay answered {reply[:200]!r}") from None
        return answer

    def close(self) -> None:
        if self._process is not None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
