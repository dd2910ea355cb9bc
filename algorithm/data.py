"""The job's data, read once and encoded: the training rows and the rows that early-stop.

The feature transform and the label's classes are fitted on the whole ``train`` channel.
Early stopping and the evaluation report use the ``validation`` channel when the job has one.
Otherwise the training rows are cut, with a seeded shuffle, into ``1 / validation_fraction``
folds and ensemble member ``i`` holds out fold ``i``: it never trains on those rows and stops on
them, so the ensemble as a whole learns from every row (cross-validation bagging) and the report
scores each held-out row with the member that did not see it (out-of-fold predictions). Held-out
rows are row numbers into the one encoded matrix: no copy of the data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from algorithm.features import EncodedFeatures, FeatureTransform
from algorithm.target import Target, label_column
from container.errors import DataError
from container.hyperparameters import Hyperparameters
from container.job import TrainingJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """``rows`` of ``features``/``labels`` (all rows of the arrays belong to one channel)."""

    features: EncodedFeatures
    labels: np.ndarray
    rows: np.ndarray  # int64 row numbers

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class TrainingData:
    transform: FeatureTransform
    target: Target
    train: Split  # every row of the train channel
    validation: Split | None  # the validation channel, when given
    folds: tuple[np.ndarray, ...]  # without a validation channel: each fold's row numbers

    def member_split(self, member: int) -> tuple[np.ndarray, Split]:
        """(the rows member ``member`` trains on, the split it early-stops on)."""
        if self.validation is not None:
            return self.train.rows, self.validation
        held_out = self.folds[member % len(self.folds)]
        kept = np.setdiff1d(self.train.rows, held_out, assume_unique=True)
        return kept, Split(self.train.features, self.train.labels, held_out)

    @property
    def validation_source(self) -> str:
        return "validation channel" if self.validation is not None else "held-out folds of train"


def load_training_data(job: TrainingJob) -> TrainingData:
    hp = job.hyperparameters
    frame = job.channel("train").read_csv()
    label = label_column(frame, hp.get_str("label"))
    validation_reader = job.optional_channel("validation")
    validation_frame = None
    if validation_reader is not None:
        validation_frame = validation_reader.read_csv()
        check_same_columns(frame, validation_frame)
    target = Target.fit(frame[label], hp.get_str("objective"))
    transform = FeatureTransform.fit(
        frame,
        categorical=names(hp.get_str("categorical_columns")),
        numeric=names(hp.get_str("numeric_columns")),
        bins=hp.get_int("bins"),
        seed=hp.get_int("seed"),
        label=label,
    )
    train = Split(
        transform.encode_frame(frame, "train"),
        target.encode(frame[label], "train"),
        np.arange(len(frame)),
    )
    del frame
    if validation_frame is None:
        return TrainingData(transform, target, train, None, folds(len(train), hp))
    validation = Split(
        transform.encode_frame(validation_frame, "validation"),
        target.encode(validation_frame[label], "validation"),
        np.arange(len(validation_frame)),
    )
    return TrainingData(transform, target, train, validation, ())


def names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def check_same_columns(train: pd.DataFrame, validation: pd.DataFrame) -> None:
    if list(train.columns) == list(validation.columns):
        return
    missing = [c for c in train.columns if c not in validation.columns]
    extra = [c for c in validation.columns if c not in train.columns]
    detail = f"missing {missing[:10]}, unexpected {extra[:10]}" if missing or extra else "order"
    raise DataError(
        f"the validation channel's columns differ from train's ({detail}); give both channels "
        f"the same columns in the same order (train has {list(train.columns)[:25]})"
    )


def folds(rows: int, hp: Hyperparameters) -> tuple[np.ndarray, ...]:
    """``round(1 / validation_fraction)`` seeded folds of the training rows, each sorted."""
    count = max(2, round(1.0 / hp.get_float("validation_fraction")))
    if rows < 2 * count:
        raise DataError(
            f"train has {rows} rows; at least {2 * count} are needed to hold out "
            f"{hp.get_float('validation_fraction')} of them for early stopping (lower "
            "validation_fraction or give a validation channel)"
        )
    order = np.random.RandomState(hp.get_int("seed")).permutation(rows)
    log.info("No validation channel: each network holds out 1/%d of the training rows", count)
    return tuple(np.sort(fold) for fold in np.array_split(order, count))
