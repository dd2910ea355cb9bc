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

from algorithm.encoding import encode_labels, encode_table, fit_target, fit_transform
from algorithm.features import EncodedFeatures, FeatureTransform
from algorithm.table import CHUNK_ROWS, count_lines, read_chunks, read_table
from algorithm.target import Target
from byoa import ChannelReader, DataError, Hyperparameters, TrainingJob, broadcast_object

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
    objective = hp.get_str("objective")
    regression = objective == "regression"
    reader = job.channel("train")
    table = read_table(
        read_chunks(reader), "train", regression,
        capacity=_capacity(reader),
        label=hp.get_str("label"),
        categorical=names(hp.get_str("categorical_columns")),
        numeric=names(hp.get_str("numeric_columns")),
    )  # fmt: skip
    # Every rank encodes with rank 0's fit: the hosts of a ShardedByS3Key job see different rows.
    target = broadcast_object(fit_target(table, objective))
    labels = encode_labels(target, table, "train")
    transform = broadcast_object(
        fit_transform(
            table, hp.get_int("bins"), hp.get_int("seed"), binning_labels(hp, target, labels)
        )
    )
    train = Split(encode_table(transform, table), labels, np.arange(len(table)))
    validation_reader = job.optional_channel("validation")
    if validation_reader is None:
        return TrainingData(transform, target, train, None, folds(len(train), hp))
    valid = read_table(
        read_chunks(validation_reader), "validation", regression,
        plan=table.plan, capacity=_capacity(validation_reader),
    )  # fmt: skip
    validation = Split(
        encode_table(transform, valid),
        encode_labels(target, valid, "validation"),
        np.arange(len(valid)),
    )
    return TrainingData(transform, target, train, validation, ())


def binning_labels(hp: Hyperparameters, target: Target, labels: np.ndarray) -> np.ndarray | None:
    """What target-aware bins split on (None: quantile bins): the label, one-hot for classes."""
    if hp.get_str("binning") != "target":
        return None
    if target.objective == "multiclass":
        one_hot: np.ndarray = np.eye(target.outputs, dtype=np.float32)[labels]
        return one_hot
    return labels


def _capacity(reader: ChannelReader) -> int:
    """Rows to allocate for: the files' line count in File mode (a stream can be read once)."""
    if reader.config.input_mode == "File":
        return count_lines(reader)
    return CHUNK_ROWS


def names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


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
