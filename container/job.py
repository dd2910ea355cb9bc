"""The typed training job an algorithm's ``train`` function receives."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from container.channels import ChannelReader
from container.errors import ConfigError
from container.hyperparameters import Hyperparameters
from container.metrics import MetricLogger
from container.stopping import StopFlag


@dataclass(frozen=True)
class Cluster:
    """Where this process stands among the job's hosts (``resourceconfig.json``)."""

    hosts: tuple[str, ...]
    current_host: str
    network_interface_name: str
    num_gpus: int
    local_rank: int = 0
    local_world_size: int = 1
    uses_gpu: bool = False

    @property
    def host_rank(self) -> int:
        return self.hosts.index(self.current_host)

    @property
    def rank(self) -> int:
        """Global rank: hosts in ``hosts`` order, then the processes (GPUs) of each host."""
        return self.host_rank * self.local_world_size + self.local_rank

    @property
    def world_size(self) -> int:
        return len(self.hosts) * self.local_world_size

    @property
    def master_host(self) -> str:
        return self.hosts[0]

    @property
    def is_master(self) -> bool:
        return self.rank == 0


@dataclass(frozen=True)
class TrainingJob:
    hyperparameters: Hyperparameters
    channels: Mapping[str, ChannelReader]
    model_dir: Path
    checkpoint_dir: Path
    output_data_dir: Path
    metrics: MetricLogger
    stop: StopFlag
    cluster: Cluster
    # False without a CheckpointConfig: SageMaker keeps nothing written to checkpoint_dir then
    checkpoints_kept: bool = True

    def channel(self, name: str) -> ChannelReader:
        if name not in self.channels:
            raise ConfigError(
                f"channel {name!r} was not given to this job (given: {', '.join(self.channels)})"
            )
        return self.channels[name]

    def optional_channel(self, name: str) -> ChannelReader | None:
        return self.channels.get(name)


def torch_installed() -> bool:
    """Whether torch can be imported here (an algorithm without torch gets an image without it)."""
    return importlib.util.find_spec("torch") is not None


def gpu_count(declared: int | None) -> int:
    """``declared`` (``SM_NUM_GPUS``, SageMaker's convention) when set, else what torch sees
    (0 without torch)."""
    if declared is not None:
        return declared
    if not torch_installed():
        return 0
    import torch

    return torch.cuda.device_count()
