"""AdamW under a one-cycle schedule, on torch's ``_foreach`` kernels.

The arithmetic is ``torch.optim.AdamW`` (Loshchilov and Hutter, 2019) driven by
``torch.optim.lr_scheduler.OneCycleLR`` with its defaults (Smith and Topin, 2019): the learning
rate rises from ``peak / 25`` to ``peak`` over the first 30 % of the steps and falls to
``peak / 25e4`` along cosines, while Adam's first beta moves the opposite way between 0.95 and
0.85. A test holds it to torch's pair. It exists because building the first ``torch.optim``
optimizer imports ``torch._dynamo``, about a second on a CPU: a third of a small job's fit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

WARMUP = 0.3
START_DIVISOR = 25.0
END_DIVISOR = 1e4
HIGH_BETA1, LOW_BETA1 = 0.95, 0.85
BETA2 = 0.999
EPS = 1e-8


def _cosine(start: float, end: float, progress: float) -> float:
    return end + (start - end) * (1 + math.cos(math.pi * progress)) / 2


class OneCycleAdamW:
    def __init__(
        self,
        parameters: Iterable[torch.Tensor],
        peak_lr: float,
        total_steps: int,
        weight_decay: float,
    ) -> None:
        self.parameters = [p for p in parameters if p.requires_grad]
        self.peak_lr, self.weight_decay = peak_lr, weight_decay
        self.total_steps = max(total_steps, 2)
        self.steps = 0
        self.first_moments = [torch.zeros_like(p) for p in self.parameters]
        self.second_moments = [torch.zeros_like(p) for p in self.parameters]

    def schedule(self) -> tuple[float, float]:
        """(learning rate, beta1) of the step to take next."""
        start, end = self.peak_lr / START_DIVISOR, self.peak_lr / START_DIVISOR / END_DIVISOR
        turn = float(WARMUP * self.total_steps) - 1
        last = float(self.total_steps) - 1
        if self.steps <= turn:
            progress = self.steps / turn if turn > 0 else 1.0
            return _cosine(start, self.peak_lr, progress), _cosine(HIGH_BETA1, LOW_BETA1, progress)
        progress = min((self.steps - turn) / (last - turn), 1.0)
        return _cosine(self.peak_lr, end, progress), _cosine(LOW_BETA1, HIGH_BETA1, progress)

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    @torch.no_grad()
    def step(self) -> None:
        lr, beta1 = self.schedule()
        self.steps += 1
        pairs = [(p, i) for i, p in enumerate(self.parameters) if p.grad is not None]
        params = [p for p, _ in pairs]
        grads = [p.grad for p, _ in pairs if p.grad is not None]
        first = [self.first_moments[i] for _, i in pairs]
        second = [self.second_moments[i] for _, i in pairs]
        torch._foreach_mul_(params, 1 - lr * self.weight_decay)
        torch._foreach_lerp_(first, grads, 1 - beta1)
        torch._foreach_mul_(second, BETA2)
        torch._foreach_addcmul_(second, grads, grads, 1 - BETA2)
        bias1 = 1 - beta1**self.steps  # torch corrects with the current beta1, so do we
        bias2 = 1 - BETA2**self.steps
        denominators = torch._foreach_sqrt(second)
        torch._foreach_div_(denominators, math.sqrt(bias2))
        torch._foreach_add_(denominators, EPS)
        torch._foreach_addcdiv_(params, first, denominators, -lr / bias1)

    def state_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "first_moments": self.first_moments,
            "second_moments": self.second_moments,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = state["steps"]
        for mine, saved in zip(self.first_moments, state["first_moments"], strict=True):
            mine.copy_(saved)
        for mine, saved in zip(self.second_moments, state["second_moments"], strict=True):
            mine.copy_(saved)
