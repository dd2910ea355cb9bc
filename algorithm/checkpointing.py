"""Spot-safe training for the bundled learner: checkpoint, agree on stopping, resume exactly.

A checkpoint holds the finished ensemble members and the current member's whole training state
(weights, the optimizer's moments and step, best weights so far, the batch-order generator as
it was at the start of the epoch to run next, the batch to start from, the global RNG for
dropout), so a job stopped and started again on the same checkpoint folder ends with the same
model as one that ran without a stop. Only rank 0 writes and reads checkpoints; the other
ranks receive the state from it. A stop (SIGTERM) on any host stops every rank at the same
batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from byoa import CheckpointSchedule, CheckpointStore, ConfigError, any_rank, broadcast_object

if TYPE_CHECKING:
    from algorithm.training import MemberState, Session

log = logging.getLogger(__name__)

MEMBER_STEPS = 10**12
EPOCH_STEPS = 10**6


def step_number(member: int, epoch: int, batch: int) -> int:
    """Orders checkpoints: member, then epoch, then batch within the epoch."""
    return member * MEMBER_STEPS + epoch * EPOCH_STEPS + batch


def load(session: Session) -> dict[str, Any] | None:
    """The newest complete checkpoint's state on every rank (None: start from scratch)."""
    state = None
    if session.job.cluster.is_master:
        checkpoint = CheckpointStore(session.job.checkpoint_dir).latest()
        state = checkpoint.state if checkpoint else None
        if checkpoint and state and state.get("settings") != settings(session):
            error = ConfigError(
                f"the checkpoint folder holds {checkpoint.path.name}, written by a job with other "
                "hyperparameters or data columns; give this job its own CheckpointConfig S3Uri "
                "or the hyperparameters of the job that wrote it"
            )
            broadcast_object(error)
            raise error
    received = broadcast_object(state)
    if isinstance(received, ConfigError):
        raise received
    return received


def settings(session: Session) -> dict[str, Any]:
    """What must match for a checkpoint to be resumed: hyperparameters and network shape."""
    values = {
        k: str(v) for k, v in session.job.hyperparameters.items() if k != "checkpoint_interval"
    }
    return {"hyperparameters": values, "network": session.config.to_json()}


def finished_members(
    session: Session, new_member: Callable[[Session, int], MemberState]
) -> list[MemberState]:
    """The members a resumed job had already finished, rebuilt with their best weights."""
    if session.resume is None:
        return []
    members = []
    for member, weights in enumerate(session.resume["finished"]):
        state = new_member(session, member)
        state.network.load_state_dict(weights)
        state.network.eval()
        members.append(state)
    return members


def restore(session: Session, state: MemberState) -> None:
    """Continue ``state``'s member where the checkpoint left it (no-op for any other member)."""
    saved = session.resume
    if saved is None or saved["member"] != state.member:
        return
    member = saved["member_state"]
    state.network.load_state_dict(member["network"])
    state.optimizer.load_state_dict(member["optimizer"])
    state.generator.set_state(member["generator"])
    state.epoch, state.batch, state.done = member["epoch"], member["batch"], member["done"]
    state.best_score, state.best_epoch = member["best_score"], member["best_epoch"]
    state.best_weights, state.bad_epochs = member["best_weights"], member["bad_epochs"]
    torch.set_rng_state(member["rng"])
    if member.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(member["cuda_rng"])
    session.logged_steps = saved["logged_steps"]
    session.resume = None


def stopping(session: Session) -> bool:
    """True on every rank once any rank was asked to stop (one all-reduce until then)."""
    if not session.stopped:
        session.stopped = any_rank(session.job.stop.requested)
    return session.stopped


def save(session: Session, state: MemberState, generator: torch.Tensor) -> None:
    """Checkpoint now; ``generator`` is the batch-order state of the epoch to run next. Only
    a job with a CheckpointConfig saves: without one SageMaker keeps nothing of the folder."""
    if not session.job.cluster.is_master or not session.job.checkpoints_kept:
        return
    member = {
        "network": state.network.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "generator": generator,
        "epoch": state.epoch, "batch": state.batch, "done": state.done,
        "best_score": state.best_score, "best_epoch": state.best_epoch,
        "best_weights": state.best_weights, "bad_epochs": state.bad_epochs,
        "rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state() if session.placement.device.type == "cuda" else None,
    }  # fmt: skip
    content = {
        "settings": settings(session),
        "member": state.member,
        "finished": [member.network.state_dict() for member in session.finished],
        "member_state": member,
        "logged_steps": session.logged_steps,
    }
    store = CheckpointStore(session.job.checkpoint_dir)
    store.save(step_number(state.member, state.epoch, state.batch), content)


def schedule(session: Session) -> CheckpointSchedule:
    interval = session.job.hyperparameters.get_int("checkpoint_interval")
    return CheckpointSchedule(every_epochs=interval)
