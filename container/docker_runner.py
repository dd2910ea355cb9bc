"""Docker mode: run the image on this machine the way SageMaker runs it.

Training is ``docker run --network none -v JOB/opt/ml:/opt/ml IMAGE train`` on the tree that
:class:`~container.local_tree.JobLayout` lays out, so the container sees exactly what SageMaker
would mount; the exit code, the failure file and ``model.tar.gz`` are read back on the host.
Serving is ``docker run -v MODEL:/opt/ml/model:ro IMAGE serve``; the host waits for ``/ping``
by polling (SageMaker allows 4 minutes), streams the container's log, and stops it with
``docker stop`` (SIGTERM, SIGKILL after SageMaker's 30 s hosting grace). Every container has a
unique name and is removed however the run ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

from container.docker_http import DirectClient, HttpClient, RelayClient
from container.errors import ConfigError
from container.local_job import JobResult, run_job
from container.local_tree import JobLayout
from container.spec import AlgorithmSpec

CONTAINER_PORT = 8080
STARTUP_TIMEOUT_SECONDS = 240.0
HOSTING_GRACE_SECONDS = 30
TRAINING_GRACE_SECONDS = 120
POLL_SECONDS = 0.1


class ContainerError(RuntimeError):
    """The container did not start, did not become healthy, or exited early."""


@dataclass(frozen=True)
class ContainerOptions:
    """How to run the image. The defaults are SageMaker's: no network, root, writable root fs."""

    image: str
    network: str = "none"
    user: str | None = None
    read_only: bool = False
    environment: Mapping[str, str] = field(default_factory=dict)
    docker: str = "docker"
    limits: Sequence[str] = ()
    """More ``docker run`` options, e.g. an instance type's ``--cpus`` and ``--memory``."""

    def run_arguments(self, name: str) -> list[str]:
        arguments = [self.docker, "run", "--rm", "--name", name, "--network", self.network]
        user = self.user or caller_user()
        if user:
            arguments += ["--user", user]
        if self.read_only:
            arguments += ["--read-only", "--tmpfs", "/tmp"]
        for key, value in sorted(self.environment.items()):
            arguments += ["--env", f"{key}={value}"]
        return [*arguments, *self.limits]


def caller_user() -> str | None:
    """Non-root callers run the container as themselves, so they own what it writes."""
    uid = os.getuid()
    return None if uid == 0 else f"{uid}:{os.getgid()}"


def numeric_user(user: str) -> tuple[int, int]:
    """``UID[:GID]`` as numbers; a name cannot be resolved on the host as the image would."""
    uid, _, gid = user.partition(":")
    if not uid.isdigit() or not (gid or uid).isdigit():
        raise ConfigError(
            f"--user {user!r}: give a numeric UID[:GID] (e.g. 1000:1000), so that the job folder "
            "can be made writable for that user as SageMaker's /opt/ml is"
        )
    return int(uid), int(gid or uid)


def hand_over(folders: Sequence[Path], user: str) -> None:
    """Make the folders the job writes writable by ``user``:
    chown when this process is root, else open them to everyone (a user cannot chown)."""
    uid, gid = numeric_user(user)
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            if os.getuid() == 0:
                os.chown(path, uid, gid, follow_symlinks=False)
            elif not path.is_symlink():
                path.chmod(path.stat().st_mode | (0o777 if path.is_dir() else 0o666))


def writable_folders(layout: JobLayout) -> list[Path]:
    """The whole job tree, as SageMaker's ``/opt/ml`` is the container's to write (model,
    output, checkpoints, ``code``), and a checkpoint folder mounted from elsewhere."""
    folders = [layout.base_dir]
    checkpoints = layout.checkpoint_dir
    if checkpoints is not None and not checkpoints.resolve().is_relative_to(layout.base_dir):
        folders.append(checkpoints)
    return [folder for folder in folders if folder.exists()]


def unique_name(kind: str) -> str:
    return f"byoa-{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def remove_container(name: str, docker: str = "docker") -> None:
    subprocess.run([docker, "rm", "--force", name], capture_output=True, check=False)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM to ``byoa`` stops its container as Ctrl-C does, instead of orphaning it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def train_command(layout: JobLayout, options: ContainerOptions, name: str) -> list[str]:
    """The job tree is ``/opt/ml``; a checkpoint folder outside it is mounted at its own path,
    the ``LocalPath`` that ``checkpointconfig.json`` names."""
    mounts = ["--volume", f"{layout.base_dir.resolve()}:/opt/ml"]
    checkpoints = layout.checkpoint_dir
    if checkpoints is not None and not checkpoints.resolve().is_relative_to(layout.base_dir):
        checkpoints.mkdir(parents=True, exist_ok=True)
        mounts += ["--volume", f"{checkpoints.resolve()}:{checkpoints.resolve()}"]
    return [*options.run_arguments(name), *mounts, options.image, "train"]


def train_in_container(
    layout: JobLayout, spec: AlgorithmSpec, options: ContainerOptions, echo: TextIO | None = None
) -> JobResult:
    """``train`` in a container on ``layout``'s tree; Ctrl-C becomes SIGTERM to its PID 1."""
    name = unique_name("train")
    command = train_command(layout, options, name)
    if options.user and options.user != caller_user():
        hand_over(writable_folders(layout), options.user)
    try:
        with sigterm_as_interrupt():
            return run_job(layout, spec, command=command, environment=dict(os.environ), echo=echo)
    finally:
        remove_container(name, options.docker)


class ServeContainer:
    """``serve`` in a container, ``model_dir`` mounted as ``/opt/ml/model``; a context manager."""

    def __init__(
        self, model_dir: Path, options: ContainerOptions, log: TextIO | None = None
    ) -> None:
        self.model_dir = model_dir.resolve()
        self.options = options
        self.name = unique_name("serve")
        self.log = log or sys.stderr
        self.process: subprocess.Popen[str] | None = None
        self._log_thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.options.environment.get("SAGEMAKER_BIND_TO_PORT") or CONTAINER_PORT)

    def command(self) -> list[str]:
        if self.options.network == "none":
            return serve_command(self.model_dir, self.options, self.name)
        arguments = serve_command(self.model_dir, self.options, self.name)
        return [*arguments[:-2], "--publish", f"127.0.0.1::{self.port}", *arguments[-2:]]

    def start(self) -> None:
        if not self.model_dir.is_dir():
            raise ContainerError(f"model folder {self.model_dir} does not exist")
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._log_thread = threading.Thread(target=self._copy_log, daemon=True)
        self._log_thread.start()

    def _copy_log(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.log.write(line)
            self.log.flush()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def client(self) -> HttpClient:
        if self.options.network == "none":
            return RelayClient(self.name, self.options.docker)
        return DirectClient(self._published_address())

    def _published_address(self) -> str:
        result = subprocess.run(
            [self.options.docker, "port", self.name, f"{self.port}/tcp"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        address = result.stdout.strip().splitlines()
        if result.returncode != 0 or not address:
            raise ConnectionError(f"port {self.port} of {self.name} is not published yet")
        return address[0]

    def wait_until_healthy(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> HttpClient:
        """Poll ``/ping`` until it answers 200; fail at once if the container exits."""
        deadline = time.monotonic() + timeout
        client: HttpClient | None = None
        while time.monotonic() < deadline:
            code = self.exit_code()
            if code is not None:
                raise ContainerError(f"the serve container exited with code {code} before /ping")
            try:
                client = client or self.client()
                if client.request("GET", "/ping", timeout=2.0).status == 200:
                    return client
            except ConnectionError:
                client = None
            time.sleep(POLL_SECONDS)
        raise ContainerError(f"/ping did not answer 200 within {timeout:.0f} s")

    def stop(self, grace: int = HOSTING_GRACE_SECONDS) -> int | None:
        """SIGTERM to PID 1, SIGKILL after ``grace`` seconds; returns the exit code."""
        if self.process is None:
            return None
        subprocess.run(
            [self.options.docker, "stop", "--time", str(grace), self.name],
            capture_output=True, check=False,
        )  # fmt: skip
        try:
            code = self.process.wait(timeout=grace + 15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        remove_container(self.name, self.options.docker)
        if self._log_thread is not None:
            self._log_thread.join(timeout=5)
        return code

    def __enter__(self) -> ServeContainer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve_command(
    model_dir: Path, options: ContainerOptions, name: str, host_port: int | None = None
) -> list[str]:
    """``docker run ... IMAGE serve``; ``host_port`` publishes the server on 127.0.0.1."""
    arguments = options.run_arguments(name)
    arguments += ["--volume", f"{model_dir.resolve()}:/opt/ml/model:ro"]
    if host_port is not None:
        container_port = options.environment.get("SAGEMAKER_BIND_TO_PORT") or CONTAINER_PORT
        arguments += ["--publish", f"127.0.0.1:{host_port}:{container_port}"]
    return [*arguments, options.image, "serve"]


def image_exists(image: str, docker: str = "docker") -> bool:
    result = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False)
    return result.returncode == 0


def docker_available(docker: str = "docker") -> bool:
    try:
        result = subprocess.run([docker, "info"], capture_output=True, check=False, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0
