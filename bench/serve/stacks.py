"""The servers the benchmark compares, started as a user starts them, and their memory."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import string
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent


@dataclass
class Stack:
    name: str
    port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def environment(model_dir: Path, port: int, workers: int) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{HERE}" + (f"{os.pathsep}{path}" if path else ""),
        "BYOA_MODEL_DIR": str(model_dir),
        "SAGEMAKER_BIND_TO_PORT": str(port),
        "SAGEMAKER_MODEL_SERVER_WORKERS": str(workers),
        "BYOA_LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_byoa(
    model_dir: Path, port: int, workers: int, log: Path, extra: Mapping[str, str] | None = None
) -> Stack:
    """byoa's server, with ``extra`` in its environment only."""
    from serve.process import local_server_command  # this checkout's (bench_serve's sys.path)

    stack = Stack("byoa", port, started=time.perf_counter())
    env = {**environment(model_dir, port, workers), **(extra or {})}
    stack.processes.append(_spawn(local_server_command(), env, log))
    return stack


def start_classic(model_dir: Path, port: int, workers: int, folder: Path) -> Stack:
    """nginx -> gunicorn sync workers on a Unix socket -> Flask + pandas (``classic_app``)."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    config = folder / "nginx.conf"
    template = string.Template((HERE / "nginx.conf.template").read_text())
    user_line = "user root;" if os.geteuid() == 0 else ""
    config.write_text(template.substitute(dir=folder, port=port, user_line=user_line))
    gunicorn = [
        sys.executable, "-m", "gunicorn", "--timeout", "60", "-k", "sync", "-w", str(workers),
        "-b", f"unix:{folder}/gunicorn.sock", "--umask", "000", "--no-control-socket",
        "classic_app:app",
    ]  # fmt: skip
    stack = Stack("classic", port, started=time.perf_counter())
    env = environment(model_dir, port, workers)
    stack.processes.append(_spawn(["nginx", "-c", str(config), "-p", str(folder)], env,
                                  folder / "nginx.log"))  # fmt: skip
    stack.processes.append(_spawn(gunicorn, env, folder / "gunicorn.log"))
    return stack


def start_fastapi(model_dir: Path, port: int, workers: int, log: Path, tuned: bool) -> Stack:
    """uvicorn with ``--workers`` serving ``fastapi_app``, tutorial or tuned (one torch thread)."""
    variant = "tuned" if tuned else "tutorial"
    command = [
        sys.executable, "-m", "uvicorn", "fastapi_app:app", "--workers", str(workers),
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    env = {**environment(model_dir, port, workers), "BYOA_BENCH_FASTAPI": variant}
    stack = Stack(f"fastapi-{variant}", port, started=time.perf_counter())
    stack.processes.append(_spawn(command, env, log))
    return stack


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=sink, stderr=sink,
                                start_new_session=True)  # fmt: skip


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "text/csv"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        connection.close()


def wait_for_ping(stack: Stack, timeout: float = 120.0) -> None:
    """Until ``/ping`` answers 200; a RuntimeError ``timeout`` seconds after the stack started."""
    while request(stack.port, "GET", "/ping")[0] != 200:
        if time.perf_counter() - stack.started > timeout:
            raise RuntimeError(f"{stack.name} did not answer /ping within {timeout} s")
        time.sleep(0.01)


def cold_start(stack: Stack, body: bytes, timeout: float = 120.0) -> tuple[float, float]:
    """Seconds from process start to the first 200 on ``/ping``, and to the first prediction."""
    wait_for_ping(stack, timeout)
    ping = time.perf_counter() - stack.started
    status, answer = request(stack.port, "POST", "/invocations", body)
    if status != 200:
        raise RuntimeError(f"{stack.name}: first prediction failed with {status}: {answer[:200]!r}")
    return ping, time.perf_counter() - stack.started


def tree_pss_mb(stack: Stack) -> float:
    """PSS of every process of the stack (masters and workers), from ``/proc/*/smaps_rollup``."""
    roots = {p.pid for p in stack.processes}
    return sum(_pss_kb(pid) for pid in _descendants(roots)) / 1024


def tree_cpu_s(stack: Stack) -> dict[int, float]:
    """CPU seconds (user + system) spent so far by each live process of the stack, by pid."""
    roots = {p.pid for p in stack.processes}
    return {pid: _cpu_s(pid) for pid in _descendants(roots)}


def parent_pids() -> dict[int, int]:
    """Every live process's parent, from ``/proc/*/stat``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(roots: set[int]) -> set[int]:
    parents = parent_pids()
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return found


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
