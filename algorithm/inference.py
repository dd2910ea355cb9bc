"""The inference handlers SageMaker users know: ``model_fn`` and ``predict_fn``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from algorithm.model_files import TrainedModel
from algorithm.prediction import predict_rows
from byoa import Predictions, Records


def model_fn(model_dir: Path) -> TrainedModel:
    model = TrainedModel.load(Path(model_dir))
    model.transform.prepare()
    return model


def predict_fn(records: Records, model: TrainedModel) -> Predictions:
    """Scores, labels and class probabilities, with the transform saved at training time."""
    features = model.transform.encode_records(records)
    output = predict_rows(
        model.fused or model.networks,
        model.target,
        torch.from_numpy(features.numeric),
        torch.from_numpy(features.categorical),
    )
    target = model.target
    if target.objective == "regression":
        return Predictions(scores=output)
    classes = np.asarray(target.classes)
    if target.objective == "binary":
        probabilities = np.stack([1.0 - output, output], axis=1)
        labels = classes[(output >= model.threshold).astype(np.int64)]
        return Predictions(output, labels, probabilities, target.classes)
    chosen = output.argmax(axis=1)
    return Predictions(
        output[np.arange(len(output)), chosen], classes[chosen], output, target.classes
    )
