"""A multi-host training job on this machine: hosts ``algo-1`` ... ``algo-N`` as processes.

Each host gets its own ``opt/ml`` tree under ``<root>/<host>`` with its own
``resourceconfig.json`` (``current_host`` set, ``network_interface_name`` = ``lo``), and runs the
real ``train`` entrypoint. The host names reach 127.0.0.1 through ``BYOA_HOST_ADDRESSES``, which
only this runner sets; the master port is a free loopback port. Only the master's log lines are
scraped for metrics, as SageMaker's metrics come from the job's first host.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from container.failure import read_failure_reason
from container.local_job import (
    TRAIN_COMMAND,
    JobResult,
    MetricScraper,
    local_environment,
    pipe_feeders,
)
from container.local_pipe import feeding
from container.local_tree import ChannelInput, JobLayout
from container.spec import AlgorithmSpec
from container.training_settings import HOST_ADDRESSES_VARIABLE, MASTER_PORT_VARIABLE

LOOPBACK = "127.0.0.1"
LOOPBACK_INTERFACE = "lo"
PEER_FAILURE_GRACE_SECONDS = 10.0
STOP_GRACE_SECONDS = 30.0


def host_names(count: int) -> tuple[str, ...]:
    return tuple(f"algo-{index}" for index in range(1, count + 1))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class ClusterLayout:
    """``<root>/algo-1/opt/ml``, ``<root>/algo-2/opt/ml``, ...; the packed model is algo-1's."""

    root: Path
    host_count: int
    checkpoint_dir: Path | None = None

    @property
    def hosts(self) -> tuple[str, ...]:
        return host_names(self.host_count)

    def host(self, name: str) -> JobLayout:
        return JobLayout(
            self.root / name, hosts=self.hosts, current_host=name,
            checkpoint_dir=self.checkpoint_dir, network_interface=LOOPBACK_INTERFACE,
        )  # fmt: skip

    @property
    def master(self) -> JobLayout:
        return self.host(self.hosts[0])

    def create(self, channels: list[ChannelInput], hyperparameters: Mapping[str, str]) -> None:
        for name in self.hosts:
            self.host(name).create(channels, hyperparameters)


@dataclass
class ClusterResult:
    master: JobResult
    exit_codes: dict[str, int]

    @property
    def status(self) -> str:
        if any(code != 0 for code in self.exit_codes.values()):
            return "Failed"
        return self.master.status


def cluster_environment(cluster: ClusterLayout, host: str, port: int) -> dict[str, str]:
    """Each host's variables; the hosts share this machine's cores instead of oversubscribing."""
    addresses = ",".join(f"{name}={LOOPBACK}" for name in cluster.hosts)
    extra = {HOST_ADDRESSES_VARIABLE: addresses, MASTER_PORT_VARIABLE: str(port)}
    threads = os.environ.get("OMP_NUM_THREADS") or str(max(1, cpu_count() // cluster.host_count))
    return local_environment(cluster.host(host), {**extra, "OMP_NUM_THREADS": threads})


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_cluster(
    cluster: ClusterLayout,
    spec: AlgorithmSpec,
    pipes: Sequence[ChannelInput] = (),
    echo: TextIO | None = None,
    extra_environment: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> ClusterResult:
    """Run every host's ``train`` entrypoint at once and wait for all of them."""
    stream = echo or sys.stdout
    port = free_port()
    scraper = MetricScraper(spec)
    with ExitStack() as stack:
        for name in cluster.hosts:
            stack.enter_context(feeding(pipe_feeders(cluster.host(name), pipes)))
        processes = {
            name: subprocess.Popen(
                list(TRAIN_COMMAND),
                env={**cluster_environment(cluster, name, port), **(extra_environment or {})},
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            for name in cluster.hosts
        }  # fmt: skip
        pumps = [
            _pump(name, process, stream, scraper if name == cluster.hosts[0] else None)
            for name, process in processes.items()
        ]
        stopped = _wait(processes, timeout)
        for pump in pumps:
            pump.join(10)
    codes = {name: process.returncode for name, process in processes.items()}
    master = cluster.master
    if codes[cluster.hosts[0]] == 0:
        master.pack()
    result = JobResult(codes[cluster.hosts[0]], read_failure_reason(master.failure_file), stopped)
    result.metrics = scraper.last
    return ClusterResult(result, codes)


def _pump(
    host: str, process: subprocess.Popen[str], stream: TextIO, scraper: MetricScraper | None
) -> threading.Thread:
    def copy() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stream.write(f"[{host}] {line}")
            if scraper is not None:
                scraper.feed(line)

    thread = threading.Thread(target=copy, name=f"log-{host}", daemon=True)
    thread.start()
    return thread


def _wait(processes: Mapping[str, subprocess.Popen[str]], timeout: float | None) -> bool:
    """Wait for every host; True when they were stopped (Ctrl-C or ``timeout``: SIGTERM to all).

    When a host fails, the job has failed: the others, blocked in a collective with the dead
    host, are given ``PEER_FAILURE_GRACE_SECONDS`` and then ended, as SageMaker ends the job.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    failed_at = None
    try:
        while any(process.poll() is None for process in processes.values()):
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("train", timeout or 0)
            if failed_at is None and any(p.poll() not in (None, 0) for p in processes.values()):
                failed_at = time.monotonic()
            if failed_at is not None and time.monotonic() - failed_at > PEER_FAILURE_GRACE_SECONDS:
                _end(processes)
            time.sleep(0.1)
        return False
    except (KeyboardInterrupt, subprocess.TimeoutExpired):
        _end(processes)
        return True


def _end(processes: Mapping[str, subprocess.Popen[str]]) -> None:
    """SIGTERM (SageMaker's stop) to every host still running; SIGKILL after the grace period."""
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
