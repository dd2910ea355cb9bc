"""``train(job)``: fit the feature transform and the network, early-stop, save, report."""

from __future__ import annotations

import copy
import json
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from algorithm.evaluation import binary_metrics, multiclass_metrics, regression_metrics
from algorithm.features import EncodedFeatures, FeatureTransform
from algorithm.model_files import TrainedModel
from algorithm.network import NetworkConfig, TabularNetwork
from algorithm.target import Target, label_column
from container.errors import DataError
from container.hyperparameters import Hyperparameters
from container.job import TrainingJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    features: EncodedFeatures
    labels: np.ndarray


def train(job: TrainingJob) -> None:
    hp = job.hyperparameters
    torch.manual_seed(hp.get_int("seed"))
    train_frame = job.channel("train").read_csv()
    label = label_column(train_frame, hp.get_str("label"))
    validation_reader = job.optional_channel("validation")
    if validation_reader is not None:
        validation_frame = validation_reader.read_csv()
        _check_same_columns(train_frame, validation_frame)
    else:
        train_frame, validation_frame = _hold_out(train_frame, hp)
    target = Target.fit(train_frame[label], hp.get_str("objective"))
    transform = FeatureTransform.fit(
        train_frame.drop(columns=[label]),
        categorical=_names(hp.get_str("categorical_columns")),
        numeric=_names(hp.get_str("numeric_columns")),
    )
    train_split = _encode(transform, target, train_frame, label, "train")
    validation_split = _encode(transform, target, validation_frame, label, "validation")
    model = _fit(job, transform, target, train_split, validation_split)
    model.save(job.model_dir)
    report = evaluate(model, validation_split)
    (job.output_data_dir / "evaluation.json").write_text(json.dumps(report, indent=2))


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _check_same_columns(train: pd.DataFrame, validation: pd.DataFrame) -> None:
    if list(train.columns) != list(validation.columns):
        raise DataError(
            f"the validation channel's columns {list(validation.columns)[:10]} differ from "
            f"train's {list(train.columns)[:10]}; both channels need the same columns in the same order"
        )


def _hold_out(frame: pd.DataFrame, hp: Hyperparameters) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.RandomState(hp.get_int("seed")).permutation(len(frame))
    cut = len(frame) - max(1, int(len(frame) * hp.get_float("validation_fraction")))
    return frame.iloc[order[:cut]], frame.iloc[order[cut:]]


def _encode(transform: FeatureTransform, target: Target, frame: pd.DataFrame, label: str, source: str) -> Split:
    return Split(transform.encode_frame(frame, source), target.encode(frame[label], source))


def _fit(
    job: TrainingJob, transform: FeatureTransform, target: Target, train: Split, validation: Split
) -> TrainedModel:
    hp = job.hyperparameters
    config = NetworkConfig(
        numeric_width=transform.numeric_width,
        cardinalities=transform.cardinalities,
        outputs=target.outputs,
        hidden_units=hp.get_int("hidden_units"),
        depth=hp.get_int("depth"),
        dropout=hp.get_float("dropout"),
        embedding_dim=hp.get_int("embedding_dim"),
    )
    network = TabularNetwork(config)
    model = TrainedModel(transform, target, config, network, hp.get_float("threshold"))
    loss_fn = _loss(target, train.labels, hp.get_bool("balance_classes"))
    optimizer = torch.optim.AdamW(network.parameters(), lr=hp.get_float("learning_rate"),
                                  weight_decay=hp.get_float("weight_decay"))
    tensors = _tensors(train)
    batch_size = min(hp.get_int("batch_size"), len(train.labels))
    steps = hp.get_int("epochs") * math.ceil(len(train.labels) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, hp.get_float("learning_rate"), total_steps=steps)
    generator = torch.Generator().manual_seed(hp.get_int("seed"))
    best_loss, best_state, patience = math.inf, copy.deepcopy(network.state_dict()), 0
    for epoch in range(1, hp.get_int("epochs") + 1):
        network.train()
        for rows in torch.randperm(len(train.labels), generator=generator).split(batch_size):
            if job.stop.requested:
                break
            if len(rows) < 2:
                continue
            optimizer.zero_grad()
            loss = loss_fn(_forward(network, tensors, rows, target), tensors[2][rows])
            loss.backward()
            optimizer.step()
            schedule.step()
        train_metrics = evaluate(model, train)
        validation_metrics = evaluate(model, validation)
        _log_metrics(job, "train", train_metrics, epoch)
        _log_metrics(job, "validation", validation_metrics, epoch)
        score = validation_metrics.get("logloss", validation_metrics.get("rmse", math.inf))
        if score < best_loss - 1e-6:
            best_loss, best_state, patience = score, copy.deepcopy(network.state_dict()), 0
        else:
            patience += 1
        if job.stop.requested or patience >= hp.get_int("early_stopping_patience"):
            break
    network.load_state_dict(best_state)
    network.eval()
    return model


def _tensors(split: Split) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (
        torch.from_numpy(split.features.numeric),
        torch.from_numpy(split.features.categorical),
        torch.from_numpy(split.labels),
    )


def _forward(network: TabularNetwork, tensors: tuple[torch.Tensor, ...], rows: torch.Tensor, target: Target) -> torch.Tensor:
    output = network(tensors[0][rows], tensors[1][rows])
    return output.squeeze(1) if target.outputs == 1 else output


def _loss(target: Target, labels: np.ndarray, balance: bool) -> nn.Module:
    if target.objective == "regression":
        return nn.MSELoss()
    if target.objective == "binary":
        positive = float(labels.mean())
        weight = torch.tensor((1 - positive) / max(positive, 1e-6)) if balance else None
        return nn.BCEWithLogitsLoss(pos_weight=weight)
    counts = np.bincount(labels, minlength=target.outputs).astype(np.float32)
    weights = torch.from_numpy(counts.sum() / np.maximum(counts, 1) / target.outputs) if balance else None
    return nn.CrossEntropyLoss(weight=weights)


def predict_encoded(model: TrainedModel, features: EncodedFeatures) -> np.ndarray:
    """Positive-class probability (binary), class probabilities (multiclass) or values."""
    with torch.inference_mode():
        model.network.eval()
        output = model.network(torch.from_numpy(features.numeric), torch.from_numpy(features.categorical))
    if model.target.objective == "binary":
        return torch.sigmoid(output.squeeze(1)).numpy()
    if model.target.objective == "multiclass":
        return torch.softmax(output, dim=1).numpy()
    return output.squeeze(1).numpy()


def evaluate(model: TrainedModel, split: Split) -> dict[str, float]:
    predicted = predict_encoded(model, split.features)
    if model.target.objective == "binary":
        return binary_metrics(split.labels, predicted, model.threshold)
    if model.target.objective == "multiclass":
        return multiclass_metrics(split.labels, predicted)
    return regression_metrics(split.labels, predicted)


def _log_metrics(job: TrainingJob, prefix: str, metrics: dict[str, float], epoch: int) -> None:
    for name, value in metrics.items():
        job.metrics.log(f"{prefix}:{name}", value, step=epoch)
