"""The hand-written one-cycle AdamW takes the same steps as torch.optim's AdamW + OneCycleLR."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from algorithm.optimizer import OneCycleAdamW


def _model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))


def _train(
    model: nn.Module,
    step: object,
    zero: object,
    steps: int,
    generator: torch.Generator | None = None,
) -> list[float]:
    generator = generator or torch.Generator().manual_seed(7)
    losses = []
    for _ in range(steps):
        x = torch.randn(32, 6, generator=generator)
        loss = (model(x).squeeze(1) - x[:, 0] * 2).pow(2).mean()
        zero()  # type: ignore[operator]
        loss.backward()
        step()  # type: ignore[operator]
        losses.append(float(loss.detach()))
    return losses


@pytest.mark.parametrize("steps", [20, 61])
def test_matches_torch_adamw_under_one_cycle(steps: int) -> None:
    ours_model, torch_model = _model(3), _model(3)
    ours = OneCycleAdamW(ours_model.parameters(), 0.05, steps, weight_decay=0.05)
    reference = torch.optim.AdamW(torch_model.parameters(), lr=0.05, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(reference, 0.05, total_steps=steps)

    def reference_step() -> None:
        reference.step()
        schedule.step()

    ours_losses = _train(ours_model, ours.step, ours.zero_grad, steps)
    torch_losses = _train(torch_model, reference_step, reference.zero_grad, steps)

    assert ours_losses == pytest.approx(torch_losses, rel=1e-5, abs=1e-7)
    for mine, theirs in zip(ours_model.parameters(), torch_model.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)
    assert ours_losses[-1] < ours_losses[0] / 2  # it learned, not just agreed


def test_schedule_warms_up_then_anneals() -> None:
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = OneCycleAdamW([parameter], 1.0, total_steps=100, weight_decay=0.0)
    rates = []
    for _ in range(100):
        rates.append(optimizer.schedule())
        parameter.grad = torch.ones(1)
        optimizer.step()
    learning_rates = [lr for lr, _ in rates]
    peak = learning_rates.index(max(learning_rates))
    assert learning_rates[0] == pytest.approx(1 / 25)
    assert 28 <= peak <= 30 and max(learning_rates) == pytest.approx(1.0)
    assert learning_rates[-1] == pytest.approx(1 / 25 / 1e4)
    assert rates[0][1] == pytest.approx(0.95) and rates[peak][1] == pytest.approx(0.85, abs=1e-3)


def test_state_round_trip_resumes_the_same_steps() -> None:
    straight_model, resumed_model = _model(5), _model(5)
    straight = OneCycleAdamW(straight_model.parameters(), 0.01, 20, weight_decay=0.01)
    _train(straight_model, straight.step, straight.zero_grad, 20)

    data = torch.Generator().manual_seed(7)
    first = OneCycleAdamW(resumed_model.parameters(), 0.01, 20, weight_decay=0.01)
    _train(resumed_model, first.step, first.zero_grad, 12, data)
    saved = {k: [t.clone() for t in v] if isinstance(v, list) else v
             for k, v in first.state_dict().items()}  # fmt: skip
    second = OneCycleAdamW(resumed_model.parameters(), 0.01, 20, weight_decay=0.01)
    second.load_state_dict(saved)
    _train(resumed_model, second.step, second.zero_grad, 8, data)

    for mine, theirs in zip(resumed_model.parameters(), straight_model.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=0)
