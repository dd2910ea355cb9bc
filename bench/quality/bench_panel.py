"""The bundled algorithm against XGBoost and HistGradientBoosting on the quality panel.

For every task of ``bench/quality/panel.py`` (public data sets other than bank) and every seed
``0 .. --seeds - 1``, on the same 70/30 split:

- XGBoost with its defaults, and with the SageMaker tutorial's hyperparameters (max_depth 5,
  eta 0.2, gamma 4, min_child_weight 6, subsample 0.8, 100 rounds), on ``pandas.get_dummies``
  of the inputs, the objective of the task;
- scikit-learn's HistGradientBoosting with native categorical columns, defaults;
- byoa-tabular through the real ``train`` entrypoint (a child process on an emulated
  ``/opt/ml`` tree) with default hyperparameters, given only the training part; predictions
  come from the saved model through ``model_fn``/``predict_fn`` on the test rows as text.

Every model gets ``--threads`` CPU threads (default 1). The table gives each model's mean test
metric over the seeds (AUC and log loss for binary tasks, log loss and accuracy for multiclass,
RMSE for regression), its fit seconds (median over seeds: the libraries' ``fit`` call; for byoa
the whole entrypoint process and, in brackets, the fit inside it as the entrypoint logs it) and
the ratio of that time to the tutorial XGBoost's. The last columns hold byoa against the best
of the three gradient-boosting models and whether the goal of issue 17 is met (AUC within
0.003, log loss or RMSE within 2 %, whole-process fit at most 10 x XGBoost's).

Run: ``make bench-quality`` (needs ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from byoa_fit import TUTORIAL_XGBOOST, predict_rows, timed, train_byoa  # beside this script
from panel import LABEL, PANEL, Task, split  # beside this script
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, roc_auc_score
from threadpoolctl import threadpool_limits
from xgboost import XGBClassifier, XGBRegressor

XGBOOST_OBJECTIVES = {
    "binary": "binary:logistic",
    "multiclass": "multi:softprob",
    "regression": "reg:squarederror",
}
MODELS = ("XGBoost defaults", "XGBoost tutorial", "HistGradientBoosting", "byoa-tabular")
AUC_GOAL = 0.003
RELATIVE_GOAL = 0.02
TIME_GOAL = 10.0


@dataclass(frozen=True)
class Prepared:
    """One task's split, its labels as numbers, and its inputs in each library's form."""

    task: Task
    train: pd.DataFrame
    test: pd.DataFrame
    classes: tuple[str, ...]  # sorted, as byoa orders them; empty for regression
    y_train: np.ndarray
    y_test: np.ndarray
    dummies: pd.DataFrame  # every row, XGBoost's one-hot inputs

    @classmethod
    def of(cls, task: Task) -> Prepared:
        frame = task.load()
        if task.objective != "regression":
            frame[LABEL] = frame[LABEL].astype(str)
        train, test = split(frame)
        classes = tuple(sorted(frame[LABEL].unique())) if task.objective != "regression" else ()
        dummies = pd.get_dummies(frame.drop(columns=[LABEL]), dtype=np.float32)
        dummies.columns = [f"x{i}" for i in range(dummies.shape[1])]  # XGBoost refuses [ ] <
        return cls(task, train, test, classes, cls._y(train, classes), cls._y(test, classes),
                   dummies)  # fmt: skip

    @staticmethod
    def _y(part: pd.DataFrame, classes: tuple[str, ...]) -> np.ndarray:
        if not classes:
            return part[LABEL].to_numpy(np.float64)
        return pd.Categorical(part[LABEL], categories=classes).codes.astype(np.int64)


@dataclass(frozen=True)
class Fit:
    predictions: np.ndarray  # positive-class probability, class probabilities, or values
    seconds: float
    inner_seconds: float | None = None


@dataclass
class Scores:
    """One model on one task over the seeds."""

    metrics: list[dict[str, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    inner_seconds: list[float] = field(default_factory=list)

    def add(self, metrics: dict[str, float], fit: Fit) -> None:
        self.metrics.append(metrics)
        self.seconds.append(fit.seconds)
        if fit.inner_seconds is not None:
            self.inner_seconds.append(fit.inner_seconds)

    def mean(self, name: str) -> float:
        return float(np.mean([m[name] for m in self.metrics]))


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    extra = dict(item.split("=", 1) for item in arguments.hp)
    chosen = [t for t in PANEL if not arguments.only or any(o in t.name for o in arguments.only)]
    started = time.perf_counter()
    results: list[tuple[Prepared, dict[str, Scores]]] = []
    with tempfile.TemporaryDirectory(prefix="bench-panel-") as folder:
        for task in chosen:
            prepared = Prepared.of(task)
            scores = run_task(prepared, Path(folder) / _slug(task.name), arguments)
            results.append((prepared, scores))
            print_task(prepared, scores, flush=True)
    print_summary(results, arguments.seeds, extra)
    print(f"\nWall time of the panel: {time.perf_counter() - started:.0f} s")
    return 0


def run_task(prepared: Prepared, root: Path, arguments: argparse.Namespace) -> dict[str, Scores]:
    root.mkdir(parents=True)
    train_csv = root / "train.csv"
    prepared.train.to_csv(train_csv, index=False)
    scores = {name: Scores() for name in MODELS if name in arguments.models}
    for seed in range(arguments.seeds):
        for name, score in scores.items():
            with threadpool_limits(limits=arguments.threads):
                fit = fit_model(name, prepared, root / f"job{seed}", train_csv, seed, arguments)
            score.add(metrics_of(prepared, fit.predictions), fit)
    return scores


def fit_model(
    name: str,
    prepared: Prepared,
    job: Path,
    train_csv: Path,
    seed: int,
    arguments: argparse.Namespace,
) -> Fit:
    threads = arguments.threads
    if name == "XGBoost defaults":
        return run_xgboost(prepared, {}, threads, seed)
    if name == "XGBoost tutorial":
        return run_xgboost(prepared, TUTORIAL_XGBOOST, threads, seed)
    if name == "HistGradientBoosting":
        return run_hist_gradient_boosting(prepared, seed)
    extra = dict(item.split("=", 1) for item in arguments.hp)
    return run_byoa(prepared, job, train_csv, threads, seed, extra)


def metrics_of(prepared: Prepared, predicted: np.ndarray) -> dict[str, float]:
    y = prepared.y_test
    objective = prepared.task.objective
    if objective == "regression":
        return {"rmse": float(np.sqrt(mean_squared_error(y, predicted)))}
    if objective == "binary":
        return {"auc": float(roc_auc_score(y, predicted)), "logloss": float(log_loss(y, predicted))}
    labels = list(range(len(prepared.classes)))
    predicted = predicted / predicted.sum(axis=1, keepdims=True)  # float32 sums miss 1 by 1e-7
    return {
        "logloss": float(log_loss(y, predicted, labels=labels)),
        "accuracy": float(accuracy_score(y, predicted.argmax(axis=1))),
    }


def run_xgboost(prepared: Prepared, settings: dict[str, Any], threads: int, seed: int) -> Fit:
    objective = prepared.task.objective
    common = {"n_jobs": threads, "random_state": seed, "verbosity": 0}
    options = {**settings, "objective": XGBOOST_OBJECTIVES[objective], **common}
    model = XGBRegressor(**options) if objective == "regression" else XGBClassifier(**options)
    train = prepared.dummies.loc[prepared.train.index]
    seconds = timed(lambda: model.fit(train, prepared.y_train))
    test = prepared.dummies.loc[prepared.test.index]
    return Fit(_predicted(model, test, objective), seconds)


def run_hist_gradient_boosting(prepared: Prepared, seed: int) -> Fit:
    objective = prepared.task.objective
    model = (
        HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=seed)
        if objective == "regression"
        else HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    )
    train, test = _categorical_frames(prepared)
    seconds = timed(lambda: model.fit(train, prepared.y_train))
    return Fit(_predicted(model, test, objective), seconds)


def _categorical_frames(prepared: Prepared) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Text columns as pandas categoricals with the training part's categories."""
    train = prepared.train.drop(columns=[LABEL]).copy()
    test = prepared.test.drop(columns=[LABEL]).copy()
    for name in train.columns:
        if not pd.api.types.is_numeric_dtype(train[name]):
            categories = sorted(train[name].dropna().unique())
            train[name] = pd.Categorical(train[name], categories=categories)
            test[name] = pd.Categorical(test[name], categories=categories)
    return train, test


def _predicted(model: Any, inputs: pd.DataFrame, objective: str) -> np.ndarray:
    if objective == "regression":
        return np.asarray(model.predict(inputs), dtype=np.float64)
    probabilities = np.asarray(model.predict_proba(inputs), dtype=np.float64)
    return probabilities[:, 1] if objective == "binary" else probabilities


def run_byoa(
    prepared: Prepared,
    root: Path,
    train_csv: Path,
    threads: int,
    seed: int,
    extra: dict[str, str],
) -> Fit:
    hyperparameters = {
        "label": LABEL,
        "objective": prepared.task.objective,
        "seed": str(seed),
        "cpu_threads": str(threads),
        **extra,
    }
    trained = train_byoa(root, train_csv, hyperparameters)
    predictions = predict_rows(trained, prepared.test.drop(columns=[LABEL]))
    if prepared.task.objective == "multiclass":
        assert tuple(predictions.classes or ()) == prepared.classes, predictions.classes
        predicted = np.asarray(predictions.probabilities, dtype=np.float64)
    else:
        predicted = np.asarray(predictions.scores, dtype=np.float64)
    return Fit(predicted, trained.seconds, trained.fit_seconds)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _columns(objective: str) -> tuple[str, ...]:
    return {
        "binary": ("auc", "logloss"),
        "multiclass": ("logloss", "accuracy"),
        "regression": ("rmse",),
    }[objective]


def print_task(prepared: Prepared, scores: dict[str, Scores], flush: bool = False) -> None:
    task = prepared.task
    columns = _columns(task.objective)
    numeric = sum(pd.api.types.is_numeric_dtype(prepared.train[c]) for c in prepared.train) - 1
    categorical = prepared.train.shape[1] - 1 - numeric
    missing = int(prepared.train.drop(columns=[LABEL]).isna().to_numpy().sum())
    print(
        f"\n{task.name}: {task.objective}, {len(prepared.train)} train / {len(prepared.test)} "
        f"test rows, {numeric} numeric + {categorical} categorical columns, {missing} missing "
        f"training values ({task.source})"
    )
    reference = _reference_seconds(scores)
    print(f"{'model':<22}" + "".join(f"{c:>10}" for c in columns) + f"{'fit s':>8}{'x XGB':>7}")
    for name, score in scores.items():
        seconds = statistics.median(score.seconds)
        inner = (
            f"  (fit inside {statistics.median(score.inner_seconds):.2f} s)"
            if score.inner_seconds else ""
        )  # fmt: skip
        ratio = f"{seconds / reference:>7.1f}" if reference else f"{'':>7}"
        print(
            f"{name:<22}" + "".join(f"{score.mean(c):>10.4f}" for c in columns)
            + f"{seconds:>8.2f}{ratio}{inner}", flush=flush,
        )  # fmt: skip


def _reference_seconds(scores: dict[str, Scores]) -> float | None:
    reference = scores.get("XGBoost tutorial")
    return statistics.median(reference.seconds) if reference else None


@dataclass(frozen=True)
class Verdict:
    """byoa against the best gradient-boosting model on one task."""

    metric: str
    ours: float
    best: float
    time_ratio: float | None  # the whole train process
    inner_ratio: float | None  # the fit inside it

    @property
    def gap(self) -> float:
        """AUC below the best (binary), or the relative excess of log loss or RMSE."""
        if self.metric == "auc":
            return self.best - self.ours
        return self.ours / self.best - 1.0

    @property
    def met(self) -> bool:
        limit = AUC_GOAL if self.metric == "auc" else RELATIVE_GOAL
        return self.gap <= limit


def verdict(prepared: Prepared, scores: dict[str, Scores]) -> Verdict | None:
    ours = scores.get("byoa-tabular")
    others = [s for name, s in scores.items() if name != "byoa-tabular"]
    if ours is None or not others:
        return None
    metric = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}[
        prepared.task.objective
    ]
    pick = max if metric == "auc" else min
    reference = _reference_seconds(scores)
    ratio = statistics.median(ours.seconds) / reference if reference else None
    inner = (
        statistics.median(ours.inner_seconds) / reference
        if reference and ours.inner_seconds else None
    )  # fmt: skip
    best = pick(s.mean(metric) for s in others)
    return Verdict(metric, ours.mean(metric), best, ratio, inner)


def print_summary(
    results: list[tuple[Prepared, dict[str, Scores]]], seeds: int, extra: dict[str, str]
) -> None:
    print(f"\nbyoa-tabular against the best gradient-boosting model, means over {seeds} seed(s)"
          f"{'; byoa hyperparameters ' + str(extra) if extra else ''}")  # fmt: skip
    print(
        f"{'task':<26}{'metric':>8}{'byoa':>9}{'best GBDT':>10}{'gap':>9}{'goal':>6}"
        f"{'fit x XGB':>10}{'<= 10x':>7}{'inside x XGB':>13}"
    )
    aucs: list[tuple[float, float]] = []
    for prepared, scores in results:
        found = verdict(prepared, scores)
        if found is None:
            continue
        if found.metric == "auc":
            aucs.append((found.ours, found.best))
        gap = f"{found.gap:+.4f}" if found.metric == "auc" else f"{found.gap:+.1%}"
        ratio = found.time_ratio
        print(
            f"{prepared.task.name:<26}{found.metric:>8}{found.ours:>9.4f}{found.best:>10.4f}"
            f"{gap:>9}{'yes' if found.met else 'NO':>6}"
            + (f"{ratio:>10.1f}{'yes' if ratio <= TIME_GOAL else 'NO':>7}" if ratio else "")
            + (f"{found.inner_ratio:>13.1f}" if found.inner_ratio else "")
        )
    if aucs:
        ours, best = np.array(aucs).T
        met = "yes" if ours.mean() >= best.mean() else "NO"
        print(
            f"{'mean AUC (binary tasks)':<26}{'auc':>8}{ours.mean():>9.4f}{best.mean():>10.4f}"
            f"{best.mean() - ours.mean():>+9.4f}{met:>6}"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 for every model")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for every model")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="only the tasks whose name contains TEXT (repeatable)")  # fmt: skip
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS,
                        metavar="MODEL", help=f"models to run, of {', '.join(MODELS)}")  # fmt: skip
    parser.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                        help="extra byoa hyperparameters")  # fmt: skip
    return parser


if __name__ == "__main__":
    sys.exit(main())
