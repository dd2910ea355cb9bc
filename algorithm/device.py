"""Where training runs: the GPU with bfloat16 mixed precision when CUDA is present, else the CPU.

SageMaker tells a container how many GPUs its instance has in ``SM_NUM_GPUS``; the job's
``cluster.num_gpus`` carries that (or what torch sees when it is unset).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Placement:
    device: torch.device
    mixed_precision: bool

    @classmethod
    def choose(cls, num_gpus: int, mixed_precision: bool = True) -> Placement:
        if num_gpus > 0 and torch.cuda.is_available():
            return cls(torch.device("cuda", torch.cuda.current_device()), mixed_precision)
        return cls(torch.device("cpu"), False)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """bfloat16 autocast on CUDA (no loss scaling needed); a no-op on the CPU."""
        if self.mixed_precision:
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                yield
        else:
            yield
