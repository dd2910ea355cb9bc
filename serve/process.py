"""Run a model server as a child process: start it, wait for ``/ping``, stream its log, stop it.

Used by ``byoa serve`` (a local process, or ``docker run IMAGE serve``), ``byoa demo``, the tests
and the benchmark. Readiness is SageMaker's: the first 200 on ``GET /ping``, polled, never a
fixed sleep. Stopping is SageMaker's too: SIGTERM, then SIGKILL after the grace period.

The child runs in its own session (a Ctrl-C in the terminal reaches only the parent, which stops
it) and, on Linux, is sent SIGTERM by the kernel when the thread that started it ends
(``PR_SET_PDEATHSIG``), so a parent killed outright, even with SIGKILL, leaves no server behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Self

STOP_GRACE_S = 30.0
PR_SET_PDEATHSIG = 1


class ServerStartError(RuntimeError):
    """The server exited, or did not answer ``/ping`` with 200 in time; the log tail says why."""


@dataclass
class ServerProcess:
    command: Sequence[str]
    port: int
    env: Mapping[str, str] | None = None
    host: str = "127.0.0.1"
    log_sink: Callable[[str], None] | None = None
    cwd: str | None = None
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        self.process = subprocess.Popen(
            list(self.command), env=dict(self.env) if self.env is not None else None,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.cwd,
            start_new_session=True, preexec_fn=_dies_with(os.getpid()),
        )  # fmt: skip
        self._reader = threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True)
        self._reader.start()
        return self

    def _pump(self, stream: IO[str] | None) -> None:
        for line in stream or ():
            self.lines.append(line)
            if self.log_sink is not None:
                self.log_sink(line.rstrip("\n"))

    def wait_ready(self, timeout: float = 240.0, interval: float = 0.02) -> float:
        """Seconds from now until ``/ping`` said 200; ServerStartError if it exits or times out."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise ServerStartError(
                    f"the server exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            if ping(self.host, self.port) == 200:
                return time.monotonic() - started
            time.sleep(interval)
        raise ServerStartError(f"no 200 from /ping within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, count: int = 30) -> str:
        return "".join(self.lines[-count:])

    def signal(self, number: int) -> None:
        """Signal the server process alone, as SageMaker signals the container's PID 1."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)

    def kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self, grace: float = STOP_GRACE_S) -> int:
        """SIGTERM the server, SIGKILL it after ``grace`` seconds; its exit code."""
        if self.process is None:
            return 0
        self.signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill_group()
            code = self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _dies_with(parent: int) -> Callable[[], None] | None:
    """For the child, before it execs: SIGTERM when ``parent``'s starting thread ends (Linux)."""
    if not sys.platform.startswith("linux"):
        return None

    def arrange() -> None:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


def ping(host: str, port: int, timeout: float = 2.0) -> int | None:
    """The status of ``GET /ping`` (SageMaker waits 2 s), or None when nothing answers."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def local_server_command() -> list[str]:
    """The server as the image's ``serve`` runs it, without Docker."""
    return [sys.executable, "-m", "container.entrypoint", "serve"]
