"""``byoa serve`` (no ``--image``) takes its server down with it, however it is stopped.

Each test starts the real command on a real model, waits for ``[serve] ready``, stops the
command with one signal, and checks that the gunicorn master it started is gone and the port is
closed. SIGINT is also sent to a command that inherited SIGINT ignored, as it is under a
background shell job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil
import pytest

from serve.process import ping
from tests.conftest import REPO_ROOT
from tests.integration.serve_support import TrainedModel, free_port

BYOA = [sys.executable, "-m", "container.cli"]
READY_TIMEOUT_S = 240
EXIT_TIMEOUT_S = 60


@dataclass
class RunningServe:
    command: subprocess.Popen[str]
    server: psutil.Process  # the gunicorn master ``byoa serve`` started
    port: int
    log: list[str]


@contextmanager
def byoa_serve(
    model: TrainedModel, preexec: Callable[[], None] | None = None
) -> Iterator[RunningServe]:
    port = free_port()
    command = subprocess.Popen(
        [*BYOA, "serve", "--model", str(model.archive), "--port", str(port), "--workers", "1"],
        cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True, preexec_fn=preexec,
    )  # fmt: skip
    log: list[str] = []
    ready = threading.Event()
    threading.Thread(target=_drain, args=(command, log, ready), daemon=True).start()
    try:
        assert ready.wait(READY_TIMEOUT_S), "".join(log[-30:])
        servers = psutil.Process(command.pid).children()
        assert len(servers) == 1, servers
        yield RunningServe(command, servers[0], port, log)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait(timeout=EXIT_TIMEOUT_S)


def _drain(command: subprocess.Popen[str], log: list[str], ready: threading.Event) -> None:
    assert command.stderr is not None
    for line in command.stderr:
        log.append(line)
        if "[serve] ready" in line:
            ready.set()


def assert_server_gone(serve: RunningServe) -> None:
    try:
        serve.server.wait(timeout=EXIT_TIMEOUT_S)
    except psutil.TimeoutExpired:
        serve.server.kill()
        pytest.fail(f"gunicorn master {serve.server.pid} outlived byoa serve")
    assert ping("127.0.0.1", serve.port, timeout=1) is None


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name
)
def test_a_stop_signal_stops_the_server_and_exits_cleanly(
    model: TrainedModel, signum: signal.Signals
) -> None:
    with byoa_serve(model) as serve:
        assert ping("127.0.0.1", serve.port) == 200
        serve.command.send_signal(signum)
        assert serve.command.wait(timeout=EXIT_TIMEOUT_S) == 0, "".join(serve.log[-30:])
        assert_server_gone(serve)
        assert f"[serve] {signum.name}: stopping the server" in "".join(serve.log)


def test_sigint_stops_it_even_when_inherited_as_ignored(model: TrainedModel) -> None:
    """A background shell job starts commands with SIGINT ignored; Ctrl-C semantics still hold."""
    ignore_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)  # noqa: E731
    with byoa_serve(model, preexec=ignore_sigint) as serve:
        serve.command.send_signal(signal.SIGINT)
        assert serve.command.wait(timeout=EXIT_TIMEOUT_S) == 0, "".join(serve.log[-30:])
        assert_server_gone(serve)


def test_a_killed_command_takes_its_server_with_it(model: TrainedModel) -> None:
    """SIGKILL runs no handler: the kernel's parent-death signal stops the server."""
    with byoa_serve(model) as serve:
        os.kill(serve.command.pid, signal.SIGKILL)
        assert serve.command.wait(timeout=EXIT_TIMEOUT_S) == -signal.SIGKILL
        assert_server_gone(serve)
