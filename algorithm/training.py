"""``train(job)``: encode the data, fit an ensemble of networks with early stopping, save, report.

Each member is the network of ``algorithm.network`` trained with AdamW (Loshchilov and Hutter,
2019, "Decoupled Weight Decay Regularization") under a one-cycle learning-rate schedule (Smith
and Topin, 2019, "Super-Convergence"), both in ``algorithm.optimizer``; members differ by seed
and their averaged predictions form a deep ensemble (Lakshminarayanan, Pritzel and Blundell,
2017). Each member keeps the weights of its epoch with the best validation loss and stops
after ``early_stopping_patience`` epochs without improvement.

Structure: ``train`` -> ``fit_member`` (one network) -> ``run_epoch`` -> ``train_step``; at the
end of every epoch ``end_of_epoch`` updates the member's state (the place to save it).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from algorithm import checkpointing
from algorithm.data import Split, TrainingData, load_training_data
from algorithm.device import Placement
from algorithm.evaluation import metrics_for
from algorithm.model_files import TrainedModel
from algorithm.network import NetworkConfig, TabularNetwork
from algorithm.optimizer import OneCycleAdamW
from algorithm.prediction import predict_rows
from algorithm.report import write_report
from algorithm.target import Target
from byoa import (
    Hyperparameters,
    TrainingJob,
    broadcast_buffers,
    channel_shard,
    data_parallel,
)

log = logging.getLogger(__name__)

TRAIN_METRIC_ROWS = 4_096
STEPS_PER_EPOCH = 100  # what the batch size aims at on data sets under 100 x batch_size rows
SMALLEST_STEP_ROWS = 256


@dataclass(frozen=True)
class DeviceSplit:
    """A split's arrays as tensors on the training device (moved there once, never copied)."""

    numeric: torch.Tensor
    categorical: torch.Tensor
    labels: torch.Tensor  # what the loss compares with: scaled values, 0/1 or class codes
    rows: torch.Tensor
    split: Split

    @classmethod
    def of(cls, split: Split, target: Target, placement: Placement) -> DeviceSplit:
        device = placement.device
        return cls(
            numeric=torch.from_numpy(split.features.numeric).to(device),
            categorical=torch.from_numpy(split.features.categorical).to(device),
            labels=torch.from_numpy(_loss_labels(split.labels, target)).to(device),
            rows=torch.from_numpy(split.rows).to(device),
            split=split,
        )


@dataclass
class MemberState:
    """All one member's training needs to continue after an epoch."""

    member: int
    fit_rows: torch.Tensor  # the training rows this member learns from
    validation: DeviceSplit  # the rows it early-stops on
    train_sample: torch.Tensor  # up to TRAIN_METRIC_ROWS of fit_rows, for train: metrics
    network: TabularNetwork
    optimizer: OneCycleAdamW
    generator: torch.Generator
    epoch: int = 0
    best_score: float = math.inf
    best_epoch: int = 0
    best_weights: dict[str, torch.Tensor] = field(default_factory=dict)
    bad_epochs: int = 0
    batch: int = 0  # the batch of the current epoch to run next (non-zero after a resume)
    done: bool = False  # early-stopped
    trainer: nn.Module | None = None  # the network wrapped for DDP in a multi-process job


@dataclass
class Session:
    """What every member shares: the job, the data on the device, the loss and the step count."""

    job: TrainingJob
    data: TrainingData
    placement: Placement
    config: NetworkConfig
    train: DeviceSplit
    validation: DeviceSplit | None
    loss_fn: nn.Module
    logged_steps: int = 0
    finished: list[MemberState] = field(default_factory=list)  # what a checkpoint keeps
    resume: dict[str, Any] | None = None  # the checkpoint this job resumes from
    stopped: bool = False  # a stop reached every rank


def train(job: TrainingJob) -> None:
    started = time.perf_counter()
    hp = job.hyperparameters
    data = load_training_data(job)
    session = _session(job, data)
    log.info(
        "Training %d network(s) on %d rows (%d numeric, %d categorical columns) on %s; "
        "early stopping on the %s",
        hp.get_int("ensemble_size"), len(data.train), len(data.transform.numeric),
        len(data.transform.categorical), session.placement.device, data.validation_source,
    )  # fmt: skip
    if not job.checkpoints_kept:
        log.info("No CheckpointConfig: this job writes no checkpoints (SageMaker would keep none)")
    session.resume = checkpointing.load(session)
    members = session.finished = checkpointing.finished_members(session, new_member_state)
    for member in range(len(members), hp.get_int("ensemble_size")):
        members.append(fit_member(session, member))
        if checkpointing.stopping(session):
            break
    networks = [state.network for state in members]
    model = TrainedModel(
        data.transform, data.target, session.config, networks, hp.get_float("threshold")
    )
    labels, predicted = evaluation_predictions(session, members)
    if len(members) > 1:
        _log_final_metrics(session, members, labels, predicted)
    if job.cluster.is_master:
        model.to_cpu().save(job.model_dir)
        report_source = _report_source(data, len(members))
        write_report(job.output_data_dir, model, labels, predicted, report_source)
    log.info("Fitted in %.2f s", time.perf_counter() - started)


def _session(job: TrainingJob, data: TrainingData) -> Session:
    hp = job.hyperparameters
    placement = Placement.choose(job.cluster.num_gpus, hp.get_bool("mixed_precision"))
    if hp.get_int("cpu_threads") > 0:
        torch.set_num_threads(hp.get_int("cpu_threads"))
    return Session(
        job=job,
        data=data,
        placement=placement,
        config=network_config(hp, data),
        train=DeviceSplit.of(data.train, data.target, placement),
        validation=(
            None if data.validation is None
            else DeviceSplit.of(data.validation, data.target, placement)
        ),
        loss_fn=loss_function(
            data.target, data.train.labels, hp.get_bool("balance_classes")
        ).to(placement.device),
    )  # fmt: skip


def network_config(hp: Hyperparameters, data: TrainingData) -> NetworkConfig:
    return NetworkConfig(
        edges=data.transform.edges,
        cardinalities=data.transform.cardinalities,
        outputs=data.target.outputs,
        hidden_units=hp.get_int("hidden_units"),
        depth=hp.get_int("depth"),
        dropout=hp.get_float("dropout"),
        embedding_dim=hp.get_int("embedding_dim"),
    )


def fit_member(session: Session, member: int) -> MemberState:
    """Train one network; it ends with the weights of its best validation epoch."""
    hp = session.job.hyperparameters
    state = new_member_state(session, member)
    checkpointing.restore(session, state)
    state.trainer = data_parallel(state.network)
    interval = checkpointing.schedule(session)
    while state.epoch < hp.get_int("epochs") and not state.done:
        if not run_epoch(session, state):
            break  # stopped part-way through the epoch; checkpointed there
        state.done = end_of_epoch(session, state)
        stopping = checkpointing.stopping(session)
        last = state.done or state.epoch == hp.get_int("epochs")
        if interval.due(state.epoch, stopping) or last:
            checkpointing.save(session, state, state.generator.get_state())
        if stopping:
            break
    if state.best_weights:
        state.network.load_state_dict(state.best_weights)
    state.network.eval()
    log.info(
        "Member %d: best validation loss %.5f after epoch %d",
        member,
        state.best_score,
        state.best_epoch,
    )
    return state


def new_member_state(session: Session, member: int) -> MemberState:
    hp = session.job.hyperparameters
    seed = hp.get_int("seed") + member
    device = session.placement.device
    fit_rows, validation = session.data.member_split(member)
    sample = np.random.RandomState(seed).permutation(len(fit_rows))[:TRAIN_METRIC_ROWS]
    train_sample = np.sort(fit_rows[sample])
    fit_rows = fit_rows[channel_shard(len(fit_rows), session.job.cluster, _distribution(session))]
    torch.manual_seed(seed)
    network = TabularNetwork(session.config).to(device)
    batches = math.ceil(len(fit_rows) / _batch_size(session, len(fit_rows)))
    optimizer = OneCycleAdamW(
        network.parameters(),
        hp.get_float("learning_rate"),
        total_steps=hp.get_int("epochs") * max(1, batches),
        weight_decay=hp.get_float("weight_decay"),
    )
    return MemberState(
        member=member,
        fit_rows=torch.from_numpy(fit_rows).to(device),
        validation=_member_validation(session, validation),
        train_sample=torch.from_numpy(train_sample).to(device),
        network=network,
        optimizer=optimizer,
        generator=torch.Generator().manual_seed(seed),
    )


def _member_validation(session: Session, split: Split) -> DeviceSplit:
    if session.validation is not None:
        return session.validation
    train = session.train
    rows = torch.from_numpy(split.rows).to(session.placement.device)
    return DeviceSplit(train.numeric, train.categorical, train.labels, rows, split)


def run_epoch(session: Session, state: MemberState) -> bool:
    """One pass over this process's rows; False when stopped part-way (then checkpointed)."""
    state.network.train()
    epoch_start = state.generator.get_state()
    for index, rows in enumerate(_batches_of(session, state)):
        if index < state.batch:
            continue  # trained before the checkpoint this job resumed from
        if checkpointing.stopping(session):
            state.batch = index
            checkpointing.save(session, state, epoch_start)
            return False
        if rows.shape[0] < 2:
            continue  # batch normalisation needs two rows
        train_step(session, state, rows)
    state.epoch, state.batch = state.epoch + 1, 0
    broadcast_buffers(state.network)
    return True


def train_step(session: Session, state: MemberState, rows: torch.Tensor) -> torch.Tensor:
    """One gradient step on ``rows``; returns the loss without waiting for the device."""
    data = session.train
    numeric = data.numeric.index_select(0, rows)
    categorical = data.categorical.index_select(0, rows)
    state.optimizer.zero_grad()
    with session.placement.autocast():
        output = (state.trainer or state.network)(numeric, categorical).float()
        loss = session.loss_fn(
            _for_loss(output, session.data.target), data.labels.index_select(0, rows)
        )
    loss.backward()
    state.optimizer.step()
    detached: torch.Tensor = loss.detach()
    return detached


def end_of_epoch(session: Session, state: MemberState) -> bool:
    """Log the epoch's metrics and keep the best weights; True when it is time to stop."""
    session.logged_steps += 1
    validation = _metrics(session, [state.network], state.validation, state.validation.rows)
    train = _metrics(session, [state.network], session.train, state.train_sample)
    _log_metrics(session, "train", train)
    _log_metrics(session, "validation", validation)
    score = early_stopping_score(validation)
    if score < state.best_score - 1e-6 or not state.best_weights:
        state.best_score, state.best_epoch, state.bad_epochs = score, state.epoch, 0
        state.best_weights = {k: v.detach().clone() for k, v in state.network.state_dict().items()}
    else:
        state.bad_epochs += 1
    return state.bad_epochs >= session.job.hyperparameters.get_int("early_stopping_patience")


def early_stopping_score(metrics: dict[str, float]) -> float:
    """Validation log loss (classifiers) or RMSE (regression); NaN counts as no improvement."""
    score = metrics.get("logloss", metrics.get("rmse", math.inf))
    return score if math.isfinite(score) else math.inf


def _metrics(
    session: Session, networks: list[TabularNetwork], split: DeviceSplit, rows: torch.Tensor
) -> dict[str, float]:
    target = session.data.target
    predicted = predict_rows(
        networks, target, split.numeric, split.categorical, rows, session.placement
    )
    labels = split.split.labels[rows.cpu().numpy()]
    return metrics_for(
        target, labels, predicted, session.job.hyperparameters.get_float("threshold")
    )


def evaluation_predictions(
    session: Session, members: list[MemberState]
) -> tuple[np.ndarray, np.ndarray]:
    """(labels, predictions) of the evaluation data: the ensemble on the validation channel, or
    each held-out fold predicted by the member that held it out (out-of-fold)."""
    target = session.data.target
    if session.validation is not None:
        split = session.validation
        networks = [state.network for state in members]
        predicted = predict_rows(
            networks, target, split.numeric, split.categorical, split.rows, session.placement
        )
        return split.split.labels[split.split.rows], predicted
    labels, parts = [], []
    for state in members[: len(session.data.folds)]:
        split = state.validation
        parts.append(
            predict_rows(
                [state.network],
                target,
                split.numeric,
                split.categorical,
                split.rows,
                session.placement,
            )
        )
        labels.append(split.split.labels[split.split.rows])
    return np.concatenate(labels), np.concatenate(parts)


def _report_source(data: TrainingData, members: int) -> str:
    if data.validation is not None:
        return "validation channel, the whole ensemble"
    folds = min(members, len(data.folds))
    return (
        f"{folds} held-out fold(s) of train, each predicted by the network that did not train on it"
    )


def _log_final_metrics(
    session: Session, members: list[MemberState], labels: np.ndarray, predicted: np.ndarray
) -> None:
    """The evaluation metrics as the last step: what a tuning job reads as the final value."""
    session.logged_steps += 1
    threshold = session.job.hyperparameters.get_float("threshold")
    _log_metrics(
        session, "validation", metrics_for(session.data.target, labels, predicted, threshold)
    )
    train_rows = members[0].train_sample
    _log_metrics(
        session, "train", _metrics(session, [m.network for m in members], session.train, train_rows)
    )


def _log_metrics(session: Session, prefix: str, metrics: dict[str, float]) -> None:
    for name, value in metrics.items():
        session.job.metrics.log(f"{prefix}:{name}", value, step=session.logged_steps)


def _batches_of(session: Session, state: MemberState) -> tuple[torch.Tensor, ...]:
    """The member's training rows in a fresh seeded order, cut into batches (row numbers only)."""
    rows = state.fit_rows
    order = torch.randperm(rows.shape[0], generator=state.generator).to(rows.device)
    return tuple(torch.split(rows.index_select(0, order), _batch_size(session, rows.shape[0])))


def _batch_size(session: Session, rows: int) -> int:
    """Each of the job's processes takes its share of the rows of one step (``rows`` is this
    process's count, the same on every rank)."""
    world_size = session.job.cluster.world_size
    step = step_rows(session.job.hyperparameters.get_int("batch_size"), rows * world_size)
    return min(math.ceil(step / world_size), max(rows, 1))


def step_rows(batch_size: int, rows: int) -> int:
    """Rows per gradient step: ``batch_size`` at most, but a smaller data set takes smaller
    steps, about ``STEPS_PER_EPOCH`` of them per epoch, none under ``SMALLEST_STEP_ROWS`` rows
    (a larger ``batch_size`` would give a small data set only a handful of steps in all)."""
    return min(batch_size, max(SMALLEST_STEP_ROWS, rows // STEPS_PER_EPOCH))


def _distribution(session: Session) -> str:
    return session.job.channel("train").config.distribution


def loss_function(target: Target, labels: np.ndarray, balance: bool) -> nn.Module:
    """Cross-entropy for classifiers (optionally class-weighted), squared error for regression."""
    if target.objective == "regression":
        return nn.MSELoss()
    if target.objective == "binary":
        positive = float(labels.mean()) if len(labels) else 0.5
        weight = torch.tensor((1 - positive) / max(positive, 1e-6)) if balance else None
        return nn.BCEWithLogitsLoss(pos_weight=weight)
    counts = np.bincount(labels, minlength=target.outputs).astype(np.float32)
    weights = counts.sum() / np.maximum(counts, 1) / target.outputs
    return nn.CrossEntropyLoss(weight=torch.from_numpy(weights) if balance else None)


def _loss_labels(labels: np.ndarray, target: Target) -> np.ndarray:
    if target.objective == "regression":
        return ((labels - target.center) / target.scale).astype(np.float32)
    return labels


def _for_loss(output: torch.Tensor, target: Target) -> torch.Tensor:
    return output if target.objective == "multiclass" else output.squeeze(1)
