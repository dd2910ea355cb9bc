"""Data the bundled algorithm cannot learn from: exit 1 and a failure file that says what to fix.

Each case runs the real ``train`` entrypoint; the failure file's first line is what SageMaker
shows as the job's FailureReason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import make_job, run_train

HYPERPARAMETERS = {"label": "y", "epochs": "1", "hidden_units": "8", "ensemble_size": "1"}


def frame(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "y": rng.choice(["no", "yes"], rows),
            "age": rng.integers(18, 90, rows),
            "job": rng.choice(["a", "b"], rows),
        }
    )


def fails_with(
    tmp_path: Path, channels: dict[str, pd.DataFrame], hyperparameters: dict[str, str]
) -> str:
    paths = {}
    for name, data in channels.items():
        paths[name] = tmp_path / f"{name}.csv"
        data.to_csv(paths[name], index=False)
    layout = make_job(tmp_path / "job", paths, hyperparameters)
    result = run_train(layout)
    assert result.returncode == 1, result.stderr[-2000:]
    assert not (layout.base_dir / "model" / "model.pt").exists()
    return layout.failure_file.read_text().splitlines()[0]


def test_single_class_label(tmp_path: Path) -> None:
    data = frame().assign(y="yes")
    reason = fails_with(tmp_path, {"train": data}, HYPERPARAMETERS)
    assert "the label has a single class ('yes')" in reason
    assert "needs at least two" in reason


def test_label_column_that_is_not_there(tmp_path: Path) -> None:
    reason = fails_with(tmp_path, {"train": frame()}, {**HYPERPARAMETERS, "label": "target"})
    assert "label column 'target' is not in the training data" in reason
    assert "'y', 'age', 'job'" in reason


def test_text_in_a_numeric_validation_column(tmp_path: Path) -> None:
    validation = frame(20).astype({"age": object})
    validation.loc[12, "age"] = "forty"
    reason = fails_with(tmp_path, {"train": frame(), "validation": validation}, HYPERPARAMETERS)
    assert "validation: column 'age' is numeric but row 13 holds 'forty'" in reason
    assert "categorical_columns" in reason


def test_text_in_a_column_declared_numeric(tmp_path: Path) -> None:
    hyperparameters = {**HYPERPARAMETERS, "numeric_columns": "job"}
    reason = fails_with(tmp_path, {"train": frame()}, hyperparameters)
    assert "train: column 'job' is numeric but row 1 holds" in reason


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.drop(columns=["job"]), "missing ['job']"),
        (lambda f: f.assign(extra=1), "unexpected ['extra']"),
        (lambda f: f[["y", "job", "age"]], "(order)"),
    ],
)
def test_validation_columns_that_differ_from_train(
    tmp_path: Path, change: object, expected: str
) -> None:
    validation = change(frame(20))  # type: ignore[operator]
    reason = fails_with(tmp_path, {"train": frame(), "validation": validation}, HYPERPARAMETERS)
    assert "the validation channel's columns differ from train's" in reason
    assert expected in reason


def test_regression_label_that_is_not_a_number(tmp_path: Path) -> None:
    hyperparameters = {**HYPERPARAMETERS, "objective": "regression"}
    reason = fails_with(tmp_path, {"train": frame()}, hyperparameters)
    assert "objective is regression but the label in row 1 of train is" in reason


def test_binary_objective_with_three_classes(tmp_path: Path) -> None:
    data = frame()
    data.loc[:9, "y"] = "maybe"
    reason = fails_with(tmp_path, {"train": data}, HYPERPARAMETERS)
    assert "objective is binary but the label has 3 classes" in reason
    assert "objective=multiclass" in reason


def test_validation_label_unseen_in_train(tmp_path: Path) -> None:
    validation = frame(20)
    validation.loc[3, "y"] = "perhaps"
    reason = fails_with(tmp_path, {"train": frame(), "validation": validation}, HYPERPARAMETERS)
    assert "validation: label values ['perhaps'] are not among the training labels" in reason
