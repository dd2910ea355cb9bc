"""Multi-host training on ``torch.distributed``, set up from ``resourceconfig.json``.

SageMaker's rules (contract 1.6 and 1.13): ``hosts`` is sorted, the rank of a host is
``hosts.index(current_host)``, the master is ``hosts[0]``, collective traffic goes over
``network_interface_name`` (``GLOO_SOCKET_IFNAME`` / ``NCCL_SOCKET_IFNAME``; when this host
lacks it, the interface that reaches the master, see :mod:`container.interfaces`), and peers' names
may resolve late, so resolution is retried with exponential back-off. A GPU host runs one
process per GPU (NCCL), a CPU host one process (Gloo).

``BYOA_HOST_ADDRESSES`` (``algo-1=127.0.0.1,algo-2=127.0.0.1``) overrides name resolution; only
the local runner sets it, so that ``algo-1`` ... ``algo-N`` reach processes on loopback.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import numpy as np
import torch
import torch.distributed as dist

from container.errors import TrainingError
from container.interfaces import collective_interface
from container.job import Cluster
from container.training_settings import DistributedSettings

log = logging.getLogger(__name__)

_joined = False  # this process has joined a process group (see release_group_holders)
FULLY_REPLICATED = "FullyReplicated"
SHARDED_BY_S3_KEY = "ShardedByS3Key"

PEER_FAILURE = re.compile(r"closed by peer|reset by peer|timed out|timeout|broken pipe", re.I)

T = TypeVar("T")


def resolve_host(
    host: str,
    wait_seconds: float,
    lookup: Callable[[str], str] = socket.gethostbyname,
    sleep: Callable[[float], None] = time.sleep,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """``host``'s address, retrying with exponential back-off until ``wait_seconds`` pass."""
    if overrides and host in overrides:
        return overrides[host]
    delay, waited = 0.1, 0.0
    while True:
        try:
            return lookup(host)
        except OSError as error:
            if waited >= wait_seconds:
                raise TrainingError(
                    f"host {host} did not resolve within {wait_seconds:g} s ({error}); "
                    "a peer of this distributed job never came up"
                ) from error
            log.info("waiting for host %s to resolve (%s); retrying in %.1f s", host, error, delay)
            sleep(delay)
            waited += delay
            delay = min(delay * 2, 10.0)


def resolve_hosts(hosts: Sequence[str], settings: DistributedSettings) -> dict[str, str]:
    return {
        host: resolve_host(host, settings.dns_wait_seconds, overrides=settings.host_addresses)
        for host in hosts
    }


def backend_for(cluster: Cluster) -> str:
    return "nccl" if cluster.uses_gpu else "gloo"


def init_process_group(cluster: Cluster, settings: DistributedSettings) -> None:
    """Join the job's process group (no-op for a one-process job)."""
    if cluster.world_size == 1 or dist.is_initialized():
        return
    addresses = resolve_hosts(cluster.hosts, settings)
    address, port = addresses[cluster.master_host], settings.master_port
    interface = collective_interface(cluster.network_interface_name, address)
    os.environ.setdefault("GLOO_SOCKET_IFNAME", interface)
    os.environ.setdefault("NCCL_SOCKET_IFNAME", interface)
    if cluster.uses_gpu:
        torch.cuda.set_device(cluster.local_rank)
    log.info(
        "joining %s process group: rank %d of %d, master %s (%s:%d), interface %s",
        backend_for(cluster), cluster.rank, cluster.world_size, cluster.master_host, address,
        port, interface,
    )  # fmt: skip
    timeout = timedelta(seconds=settings.timeout_seconds)
    try:
        dist.init_process_group(
            backend_for(cluster), init_method=f"tcp://{address}:{port}",
            rank=cluster.rank, world_size=cluster.world_size, timeout=timeout,
        )  # fmt: skip
    except (RuntimeError, ValueError) as error:
        raise TrainingError(
            f"could not join the distributed process group at {address}:{port} "
            f"over interface {interface}: {error}",
        ) from error
    global _joined
    _joined = True


def release_group_holders() -> None:
    """Before the interpreter exits, free what may still hold this process's (destroyed) group.

    A failed or stopped job's traceback keeps the algorithm's objects alive in reference cycles
    (a DDP model holds the process group and its gloo threads). Left to the interpreter's exit,
    they are destroyed in no set order and a gloo thread can abort the process ("terminate
    called without an active exception", SIGABRT): 3 of 24 two-host runs with a failing host
    here, 0 of 30 with this collection.
    """
    if _joined:
        gc.collect()


@contextmanager
def process_group(cluster: Cluster, settings: DistributedSettings) -> Iterator[None]:
    """The process group for the duration of the block, torn down after it."""
    init_process_group(cluster, settings)
    try:
        yield
    except RuntimeError as error:
        if cluster.world_size > 1 and PEER_FAILURE.search(str(error)):
            raise TrainingError(
                "another host of this distributed job failed or was stopped, so this one could "
                "not go on; that host's log and failure reason say why",
                f"torch.distributed reported: {error}",
            ) from error
        raise
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def broadcast_object(value: T, source: int = 0) -> T:
    """Rank ``source``'s ``value`` on every rank (the value itself when not distributed)."""
    if not is_distributed():
        return value
    box: list[Any] = [value]
    dist.broadcast_object_list(box, src=source)
    result: T = box[0]
    return result


def any_rank(flag: bool) -> bool:
    """True on every rank when ``flag`` is True on at least one (e.g. one host got SIGTERM)."""
    if not is_distributed():
        return flag
    tensor = torch.tensor([1 if flag else 0], dtype=torch.int32)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def data_parallel(module: torch.nn.Module) -> torch.nn.Module:
    """``module`` wrapped for DDP (gradients averaged across ranks during backward), or itself."""
    if not is_distributed():
        return module
    from torch.nn.parallel import DistributedDataParallel

    devices = (
        None if next(module.parameters()).device.type == "cpu" else [torch.cuda.current_device()]
    )
    return DistributedDataParallel(module, device_ids=devices)


def broadcast_buffers(module: torch.nn.Module, source: int = 0) -> None:
    """Rank ``source``'s buffers (e.g. batch-norm running statistics) on every rank.

    DDP sends them at the start of each forward pass; the last pass of an epoch then updates
    each rank's copy on its own rows, so they are aligned again before evaluating.
    """
    if not is_distributed():
        return
    for buffer in module.buffers():
        dist.broadcast(buffer, src=source)


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def shard_indices(rows: int, rank: int, world_size: int) -> np.ndarray:
    """Rank ``rank``'s rows of ``rows``: every ``world_size``-th row, padded by wrapping around
    so that every rank gets the same number and runs the same number of steps."""
    if world_size == 1:
        return np.arange(rows)
    per_rank = -(-rows // world_size)
    padded = np.resize(np.arange(rows), per_rank * world_size)
    return padded[rank::world_size]


def channel_shard(rows: int, cluster: Cluster, distribution: str) -> np.ndarray:
    """The rows of a channel this process trains on.

    ``FullyReplicated``: every host has all rows, so they are split across all ranks.
    ``ShardedByS3Key``: SageMaker already gave each host its own objects, so the host reads its
    data whole, split only among the processes of this host.
    """
    if distribution == SHARDED_BY_S3_KEY:
        return pad_to_largest_shard(
            shard_indices(rows, cluster.local_rank, cluster.local_world_size)
        )
    return shard_indices(rows, cluster.rank, cluster.world_size)


def pad_to_largest_shard(indices: np.ndarray) -> np.ndarray:
    """``indices`` wrapped around to the largest rank's length, so no rank waits for others."""
    if not is_distributed() or len(indices) == 0:
        return indices
    length = torch.tensor([len(indices)], dtype=torch.int64)
    dist.all_reduce(length, op=dist.ReduceOp.MAX)
    return np.resize(indices, int(length.item()))
