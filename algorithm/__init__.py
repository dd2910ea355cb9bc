"""The bundled algorithm: a PyTorch tabular learner. The only folder a seller replaces.

The toolkit finds it by import path (``BYOA_ALGORITHM``, default ``algorithm``) and uses only
these names. The training code is imported only when a job trains, so ``serve`` does not pay
for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from algorithm.inference import model_fn, predict_fn
from algorithm.spec import SPEC

if TYPE_CHECKING:
    from byoa import TrainingJob

__all__ = ["SPEC", "model_fn", "predict_fn", "train"]


def train(job: TrainingJob) -> None:
    from algorithm.training import train as train_networks

    train_networks(job)
