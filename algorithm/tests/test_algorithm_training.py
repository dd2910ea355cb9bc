"""The bundled algorithm through the real ``train`` entrypoint: objectives, features, report.

Every job runs ``python -m container.train`` as a child process on an emulated /opt/ml tree;
predictions go through ``model_fn``/``predict_fn`` on records as the server decodes them.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from algorithm import model_fn, predict_fn
from algorithm.evaluation import roc_auc
from algorithm.tests.conftest import FAST_HYPERPARAMETERS
from container.local_tree import ChannelInput, JobLayout
from serve.records import Records
from tests.conftest import make_job, run_train

TINY = {"epochs": "2", "hidden_units": "16", "batch_size": "64", "ensemble_size": "1"}


def train_ok(
    root: Path,
    channels: dict[str, Path],
    hyperparameters: dict[str, str],
    content_types: dict[str, str] | None = None,
) -> tuple[JobLayout, str]:
    layout = make_job(root, channels, hyperparameters, content_types)
    result = run_train(layout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return layout, result.stdout


def report(layout: JobLayout) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (layout.base_dir / "output" / "data" / "evaluation.json").read_text()
    )
    return data


def as_records(frame: pd.DataFrame) -> Records:
    text = frame.astype(object).where(frame.notna(), "").astype(str)
    return Records(text.to_numpy(), tuple(str(c) for c in frame.columns))


def synthetic(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x0": rng.standard_normal(rows),
            "x1": rng.uniform(0, 100, rows),
            "colour": rng.choice(["red", "green", "blue"], rows),
        }
    )
    frame["score"] = frame["x0"] + (frame["colour"] == "red") * 1.5 - frame["x1"] / 50
    return frame


@pytest.mark.slow
def test_binary_report_matches_what_the_saved_model_predicts(
    tmp_path: Path, small_bank: dict[str, Path]
) -> None:
    layout, stdout = train_ok(tmp_path, small_bank, FAST_HYPERPARAMETERS)
    evaluation = report(layout)
    assert evaluation["data"].startswith("validation channel") and evaluation["rows"] == 1000
    matrix = np.array(evaluation["confusion_matrix"]["rows_actual_columns_predicted"])
    assert matrix.shape == (2, 2) and matrix.sum() == 1000
    assert evaluation["confusion_matrix"]["classes"] == ["no", "yes"]
    for picture in ("roc.svg", "precision_recall.svg"):
        root = ElementTree.parse(layout.base_dir / "output" / "data" / picture).getroot()
        assert any(e.tag.endswith("polyline") for e in root.iter())
    validation = pd.read_csv(small_bank["validation"])
    model = model_fn(layout.base_dir / "model")
    predictions = predict_fn(as_records(validation.drop(columns=["y"])), model)
    y = (validation["y"] == "yes").to_numpy(np.int64)
    assert abs(roc_auc(y, predictions.scores) - evaluation["metrics"]["auc"]) < 1e-6
    assert evaluation["metrics"]["auc"] > 0.85
    assert set(predictions.labels.tolist()) <= {"no", "yes"}
    last_logged = float(re.findall(r"validation:logloss=([0-9.]+)", stdout)[-1])
    assert abs(last_logged - evaluation["metrics"]["logloss"]) < 1e-5


@pytest.mark.slow
def test_same_seed_gives_the_same_model_and_another_seed_does_not(tmp_path: Path) -> None:
    frame = synthetic(400)
    frame["y"] = np.where(frame.pop("score") > 0, "yes", "no")
    frame.to_csv(tmp_path / "train.csv", index=False)
    channels = {"train": tmp_path / "train.csv"}
    hyperparameters = {**TINY, "label": "y", "ensemble_size": "2", "seed": "7"}
    runs = [train_ok(tmp_path / f"run{i}", channels, hyperparameters) for i in range(2)]
    other = train_ok(tmp_path / "other", channels, {**hyperparameters, "seed": "8"})

    def weights(layout: JobLayout) -> list[torch.Tensor]:
        saved = torch.load(layout.base_dir / "model" / "model.pt", weights_only=True)
        return [t for member in saved["members"] for t in member.values()]

    metric_lines = [re.findall(r"#metric .*", stdout) for _, stdout in runs]
    assert metric_lines[0] == metric_lines[1] and len(metric_lines[0]) > 0
    first, second = weights(runs[0][0]), weights(runs[1][0])
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, weights(other[0]), strict=True))


def test_multiclass_with_held_out_folds(tmp_path: Path) -> None:
    frame = synthetic(900, seed=1)
    score = frame.pop("score")
    frame["kind"] = np.select([score < -0.8, score < 0.4], ["low", "mid"], "high")
    frame.to_csv(tmp_path / "train.csv", index=False)
    hyperparameters = {**TINY, "epochs": "6", "label": "kind", "objective": "multiclass",
                       "ensemble_size": "2", "learning_rate": "0.01"}  # fmt: skip
    layout, stdout = train_ok(tmp_path / "job", {"train": tmp_path / "train.csv"}, hyperparameters)
    assert "validation:accuracy=" in stdout and "validation:auc" not in stdout
    evaluation = report(layout)
    assert evaluation["data"].startswith("2 held-out fold(s) of train")
    matrix = np.array(evaluation["confusion_matrix"]["rows_actual_columns_predicted"])
    assert matrix.shape == (3, 3) and matrix.sum() == evaluation["rows"] == 180
    assert evaluation["metrics"]["accuracy"] > 0.6
    model = model_fn(layout.base_dir / "model")
    predictions = predict_fn(as_records(frame.drop(columns=["kind"]).iloc[:50]), model)
    assert predictions.probabilities is not None and predictions.probabilities.shape == (50, 3)
    assert np.allclose(predictions.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert predictions.classes == ("high", "low", "mid")
    assert np.mean(predictions.labels == frame["kind"].iloc[:50].to_numpy()) > 0.6


def test_regression_with_headerless_csv_and_the_label_first(tmp_path: Path) -> None:
    frame = synthetic(800, seed=2)
    target = 1000 + 300 * frame.pop("score")
    frame.insert(0, "target", target)
    frame.to_csv(tmp_path / "train.csv", index=False, header=False)
    hyperparameters = {**TINY, "epochs": "8", "objective": "regression", "learning_rate": "0.01"}
    layout, stdout = train_ok(tmp_path / "job", {"train": tmp_path / "train.csv"}, hyperparameters)
    assert "validation:rmse=" in stdout and "validation:logloss" not in stdout
    evaluation = report(layout)
    assert evaluation["metrics"]["rmse"] < 0.5 * float(target.std())
    model = model_fn(layout.base_dir / "model")
    assert model.transform.columns == ("1", "2", "3")
    rows = frame.drop(columns=["target"]).iloc[:100]
    values = rows.astype(str).to_numpy()  # positional fields, as a headerless CSV request
    scores = predict_fn(Records(values), model).scores
    assert np.sqrt(np.mean((scores - target.iloc[:100].to_numpy()) ** 2)) < 0.5 * float(
        target.std()
    )


def test_missing_values_constants_overrides_and_unseen_categories(tmp_path: Path) -> None:
    frame = synthetic(500, seed=3)
    frame["y"] = np.where(frame.pop("score") > 0, 1, 0)
    frame.loc[::7, "x0"] = np.nan
    frame.loc[::11, "colour"] = np.nan
    frame["flat"] = 4.0
    frame["same"] = "only"
    frame["region"] = np.random.default_rng(4).integers(1, 6, len(frame))
    frame.to_csv(tmp_path / "train.csv", index=False)
    hyperparameters = {**TINY, "label": "y", "categorical_columns": "region"}
    layout, _ = train_ok(tmp_path / "job", {"train": tmp_path / "train.csv"}, hyperparameters)
    model = model_fn(layout.base_dir / "model")
    assert model.transform.categorical == ("colour", "same", "region")
    assert model.transform.edges[model.transform.numeric.index("flat")] == ()
    assert model.target.classes == ("0", "1")
    request = pd.DataFrame(
        {"x0": [np.nan, 0.5], "x1": [10.0, np.nan], "colour": ["purple", ""], "flat": [4.0, 9.0],
         "same": ["other", "only"], "region": [99, 2]}
    )  # fmt: skip
    predictions = predict_fn(as_records(request), model)
    assert np.isfinite(predictions.scores).all() and predictions.labels is not None
    assert set(predictions.labels.tolist()) <= {"0", "1"}


def test_a_thousand_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    values = rng.standard_normal((300, 1000)).astype(np.float32)
    frame = pd.DataFrame(values, columns=[f"f{i}" for i in range(1000)])
    frame.insert(0, "y", (values[:, :10].sum(axis=1) > 0).astype(int))
    frame.to_csv(tmp_path / "train.csv", index=False, float_format="%.4g")
    hyperparameters = {**TINY, "label": "y", "epochs": "1", "bins": "8"}
    layout, _ = train_ok(tmp_path / "job", {"train": tmp_path / "train.csv"}, hyperparameters)
    model = model_fn(layout.base_dir / "model")
    assert len(model.transform.numeric) == 1000
    scores = predict_fn(Records(values[:5]), model).scores
    assert scores.shape == (5,) and np.isfinite(scores).all()


def test_early_stopping_ends_a_network_that_stops_improving(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"y": rng.integers(0, 2, 400), "noise": rng.standard_normal(400)})
    frame.to_csv(tmp_path / "train.csv", index=False)
    hyperparameters = {**TINY, "label": "y", "epochs": "40", "early_stopping_patience": "2"}
    _, stdout = train_ok(tmp_path / "job", {"train": tmp_path / "train.csv"}, hyperparameters)
    epochs = len(re.findall(r"#metric validation:logloss=", stdout))
    assert 3 <= epochs < 40


def test_checkpoints_are_written_only_when_the_job_has_a_checkpoint_config(
    tmp_path: Path,
) -> None:
    frame = synthetic(400)
    frame["y"] = np.where(frame.pop("score") > 0, "yes", "no")
    data = tmp_path / "train.csv"
    frame.to_csv(data, index=False)
    hyperparameters = {**TINY, "label": "y"}

    plain = make_job(tmp_path / "plain", {"train": data}, hyperparameters)
    result = run_train(plain)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "writes no checkpoints" in result.stderr
    assert not list((plain.base_dir / "checkpoints").glob("checkpoint-*.pt"))

    kept = tmp_path / "kept-checkpoints"
    layout = JobLayout(tmp_path / "kept", checkpoint_dir=kept)
    layout.create([ChannelInput("train", data)], hyperparameters)
    result = run_train(layout)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list(kept.glob("checkpoint-*.pt"))) >= 1


def test_a_small_data_set_takes_steps_of_256_rows_under_the_default_batch_size(
    tmp_path: Path,
) -> None:
    """3,000 rows: each member fits on 2,700 of them (nine folds of ten), so steps of 256 rows
    make 11 an epoch, where the default batch_size of 1,024 alone would make 3."""
    frame = synthetic(3000)
    frame["y"] = np.where(frame.pop("score") > 0, "yes", "no")
    data = tmp_path / "train.csv"
    frame.to_csv(data, index=False)
    hyperparameters = {"label": "y", "epochs": "1", "ensemble_size": "1", "hidden_units": "16"}
    checkpoints = tmp_path / "checkpoints"
    layout = JobLayout(tmp_path / "job", checkpoint_dir=checkpoints)
    layout.create([ChannelInput("train", data)], hyperparameters)
    result = run_train(layout)
    assert result.returncode == 0, result.stderr[-3000:]
    newest = max(checkpoints.glob("checkpoint-*.pt"), key=lambda path: path.stat().st_mtime)
    saved = torch.load(newest, map_location="cpu", weights_only=True)
    assert saved["state"]["member_state"]["optimizer"]["steps"] == math.ceil(2700 / 256)
