"""One training process per GPU: the ``train`` entrypoint re-runs itself once per local device.

On a host with several GPUs, torch.distributed wants one process per GPU (NCCL). The entrypoint
(PID 1 in the container) starts ``python -m container.train`` once per GPU with
``BYOA_LOCAL_RANK`` / ``BYOA_LOCAL_WORLD_SIZE`` set, forwards SIGTERM to them, and exits 0 only
when every worker did. CPU hosts run one process. ``BYOA_PROCESSES_PER_HOST`` overrides the count
(it lets a CPU machine exercise the multi-process path).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from container.stopping import StopFlag
from container.training_settings import LOCAL_RANK_VARIABLE, LOCAL_WORLD_SIZE_VARIABLE

log = logging.getLogger(__name__)

WORKER_COMMAND = (sys.executable, "-m", "container.train")
FAILURE_GRACE_SECONDS = 30.0


def processes_per_host(num_gpus: int, cuda_available: bool, override: int = 0) -> int:
    """``override`` (``BYOA_PROCESSES_PER_HOST``) if set, else one per GPU (GPU host) or one."""
    if override:
        return override
    return num_gpus if cuda_available and num_gpus > 1 else 1


def run_workers(count: int, stop: StopFlag) -> int:
    """Start ``count`` workers, pass a stop on to them, and wait; 0 only if all succeed."""
    log.info("starting %d training processes on this host (one per device)", count)
    workers = [_start(rank, count) for rank in range(count)]
    forwarded, failed_at = False, None
    while any(worker.poll() is None for worker in workers):
        if stop.requested and not forwarded:
            forwarded = True
            _signal_all(workers, signal.SIGTERM)
        if failed_at is None and any(worker.poll() not in (None, 0) for worker in workers):
            failed_at = time.monotonic()
        if failed_at is not None and time.monotonic() - failed_at > FAILURE_GRACE_SECONDS:
            log.error("a training process failed; stopping the others")
            _signal_all(workers, signal.SIGKILL)
        time.sleep(0.1)
    codes = [worker.returncode for worker in workers]
    log.info("training processes exited with %s", codes)
    return 0 if all(code == 0 for code in codes) else 1


def _start(rank: int, count: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ, LOCAL_RANK_VARIABLE: str(rank), LOCAL_WORLD_SIZE_VARIABLE: str(count),
    }  # fmt: skip
    return subprocess.Popen(list(WORKER_COMMAND), env=environment)


def _signal_all(workers: list[subprocess.Popen[bytes]], signum: signal.Signals) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signum)
