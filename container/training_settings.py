"""The training job's one settings object: its config files and every variable it honours.

Loaded once, inside the ``train`` entrypoint's failure guard, so that every bad value ends in
``/opt/ml/output/failure`` with a first line that names the file or the variable and what it
accepts. Nothing else on the training path reads the environment.

==============================  =========================================================
Variable                        Meaning (default)
==============================  =========================================================
``SAGEMAKER_BASE_DIR``          the ``/opt/ml`` tree (``/opt/ml``)
``SM_NUM_GPUS``                 GPUs of this host, 0 or more (what torch sees)
``BYOA_ALGORITHM``              the algorithm's module (``algorithm``)
``BYOA_LOG_LEVEL``              DEBUG, INFO, WARNING, ERROR or CRITICAL (INFO)
``BYOA_PIPE_WAIT_SECONDS``      how long to wait for a Pipe-mode FIFO (300)
``BYOA_PROCESSES_PER_HOST``     training processes per host (one per GPU)
``BYOA_LOCAL_RANK``             set by the launcher for each of those processes
``BYOA_LOCAL_WORLD_SIZE``       set by the launcher: how many there are
``BYOA_HOST_ADDRESSES``         ``algo-1=ADDRESS,...``, instead of name resolution
``BYOA_MASTER_PORT``            the process group's port on ``hosts[0]`` (29500)
``BYOA_DNS_WAIT_SECONDS``       how long peers' names may take to resolve (900)
``BYOA_DIST_TIMEOUT_SECONDS``   the process group's collective timeout (600)
==============================  =========================================================
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from container.environment import TrainingEnvironment, base_dir_from_environment
from container.errors import ConfigError
from container.logs import LOG_LEVEL_VARIABLE
from container.plugin import ALGORITHM_VARIABLE, DEFAULT_ALGORITHM

NUM_GPUS_VARIABLE = "SM_NUM_GPUS"
PIPE_WAIT_VARIABLE = "BYOA_PIPE_WAIT_SECONDS"
PROCESSES_VARIABLE = "BYOA_PROCESSES_PER_HOST"
LOCAL_RANK_VARIABLE = "BYOA_LOCAL_RANK"
LOCAL_WORLD_SIZE_VARIABLE = "BYOA_LOCAL_WORLD_SIZE"
HOST_ADDRESSES_VARIABLE = "BYOA_HOST_ADDRESSES"
MASTER_PORT_VARIABLE = "BYOA_MASTER_PORT"
DNS_WAIT_VARIABLE = "BYOA_DNS_WAIT_SECONDS"
TIMEOUT_VARIABLE = "BYOA_DIST_TIMEOUT_SECONDS"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_PIPE_WAIT_SECONDS = 300.0
DEFAULT_MASTER_PORT = 29500
DEFAULT_DNS_WAIT_SECONDS = 900.0
DEFAULT_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class DistributedSettings:
    """How the hosts of a multi-host job find each other and join one process group."""

    host_addresses: Mapping[str, str] = field(default_factory=dict)
    master_port: int = DEFAULT_MASTER_PORT
    dns_wait_seconds: float = DEFAULT_DNS_WAIT_SECONDS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class LocalProcesses:
    """This process among the training processes of its host (see :mod:`container.launcher`)."""

    local_rank: int | None = None  # None: the entrypoint itself, not a launched worker
    local_world_size: int = 1
    per_host_override: int = 0  # 0: one per GPU

    @property
    def is_worker(self) -> bool:
        return self.local_rank is not None


@dataclass(frozen=True)
class TrainingSettings:
    files: TrainingEnvironment
    algorithm: str = DEFAULT_ALGORITHM
    num_gpus: int | None = None  # None: ask torch
    log_level: str = "INFO"
    pipe_wait_seconds: float = DEFAULT_PIPE_WAIT_SECONDS
    processes: LocalProcesses = field(default_factory=LocalProcesses)
    distributed: DistributedSettings = field(default_factory=DistributedSettings)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> TrainingSettings:
        """Every config file and variable, validated; a ConfigError for the first bad one."""
        env = os.environ if environ is None else environ
        return cls(
            files=TrainingEnvironment.load(base_dir_from_environment(env)),
            algorithm=env.get(ALGORITHM_VARIABLE, "").strip() or DEFAULT_ALGORITHM,
            num_gpus=_optional_count(env, NUM_GPUS_VARIABLE, "the number of GPUs of this host"),
            log_level=log_level(env),
            pipe_wait_seconds=_seconds(env, PIPE_WAIT_VARIABLE, DEFAULT_PIPE_WAIT_SECONDS),
            processes=LocalProcesses(
                local_rank=_optional_count(env, LOCAL_RANK_VARIABLE, "this process's local rank"),
                local_world_size=_count(env, LOCAL_WORLD_SIZE_VARIABLE, 1, low=1),
                per_host_override=_count(env, PROCESSES_VARIABLE, 0),
            ),
            distributed=DistributedSettings(
                host_addresses=host_addresses(env.get(HOST_ADDRESSES_VARIABLE, "")),
                master_port=_count(env, MASTER_PORT_VARIABLE, DEFAULT_MASTER_PORT, 1, 65535),
                dns_wait_seconds=_seconds(env, DNS_WAIT_VARIABLE, DEFAULT_DNS_WAIT_SECONDS),
                timeout_seconds=_seconds(env, TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_SECONDS),
            ),
        )


def host_addresses(text: str) -> dict[str, str]:
    """``algo-1=127.0.0.1,algo-2=127.0.0.1`` -> a mapping; empty when unset."""
    overrides = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, separator, address = item.partition("=")
        if not separator or not host.strip() or not address.strip():
            raise ConfigError(
                f"{HOST_ADDRESSES_VARIABLE}: {item!r} is not HOST=ADDRESS; "
                "write it as algo-1=10.0.0.1,algo-2=10.0.0.2 or unset it"
            )
        overrides[host.strip()] = address.strip()
    return overrides


def log_level(env: Mapping[str, str]) -> str:
    text = env.get(LOG_LEVEL_VARIABLE, "").strip().upper() or "INFO"
    if text not in LOG_LEVELS:
        raise ConfigError(
            f"{LOG_LEVEL_VARIABLE}={env[LOG_LEVEL_VARIABLE]!r} is not a log level; "
            f"use one of {', '.join(LOG_LEVELS)} or unset it"
        )
    return text


def _optional_count(env: Mapping[str, str], name: str, meaning: str) -> int | None:
    if not env.get(name, "").strip():
        return None
    return _count(env, name, 0, meaning=meaning)


def _count(
    env: Mapping[str, str],
    name: str,
    default: int,
    low: int = 0,
    high: int | None = None,
    meaning: str = "",
) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    allowed = f"a whole number from {low}" + (f" to {high}" if high is not None else " up")
    what = f" ({meaning})" if meaning else ""
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(
            f"{name}={text!r} is not a whole number; set it to {allowed}{what} or unset it"
        ) from None
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{name}={value} is out of range; set it to {allowed}{what} or unset it")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ConfigError(
            f"{name}={text!r} is not a number of seconds; set it to 0 or more (default "
            f"{default:g}) or unset it"
        )
    return value
