"""The bundled algorithm against XGBoost and HistGradientBoosting on the tutorial's split.

One run, one table. The split is the SageMaker XGBoost tutorial's: the Bank Marketing rows
shuffled with ``numpy.random.RandomState(1729).permutation``, the first 70 % for training, the
rest for testing, all 20 inputs.

- XGBoost with the tutorial's hyperparameters (max_depth 5, eta 0.2, gamma 4,
  min_child_weight 6, subsample 0.8, 100 rounds) on ``pandas.get_dummies`` of the inputs.
- scikit-learn's HistGradientBoostingClassifier with native categorical columns, defaults.
- byoa-tabular through the real ``train`` entrypoint (``python -m container.train`` as a child
  process on an emulated ``/opt/ml`` tree, the local runner ``byoa train`` uses), given only the
  training part: early stopping uses held-out folds of it, never the test part. Predictions come
  from the saved model through ``model_fn``/``predict_fn`` on the test rows as text.

All three use the same number of CPU threads (``--threads``, default 1: on a machine shared
with other busy processes, spinning OpenMP threads make every library many times slower and the
timings meaningless). Fit seconds: the gradient-boosting libraries' ``fit`` call (best of 3);
for byoa both the whole entrypoint process (Python and torch start-up, CSV reading, report
writing included) and the fit inside it (from reading the data to the saved model, as the
entrypoint logs it). Ratios are to XGBoost's fit in the same run. With ``--repeat 2`` byoa
trains twice with the same seed and the table says whether the metrics agree to 4 decimals.

A second table repeats all three with seeds ``0 .. --seeds - 1`` (XGBoost's row subsampling,
HistGradientBoosting's early-stopping split, byoa's initialisation, folds and batch order) and
prints each model's mean and spread: one seed moves these AUCs by a few 1e-4, as much as the
models differ.

Run: ``make bench-quality`` (needs ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from byoa_fit import TUTORIAL_XGBOOST, predict_rows, timed, train_byoa  # beside this script
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from threadpoolctl import threadpool_limits
from xgboost import XGBClassifier

from container import bank_data


@dataclass(frozen=True)
class Result:
    name: str
    probabilities: np.ndarray
    fit_seconds: float
    inner_seconds: float | None = None

    def metrics(self, y: np.ndarray) -> tuple[float, float, float]:
        p = self.probabilities
        return accuracy_score(y, p >= 0.5), roc_auc_score(y, p), log_loss(y, p)


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    frame = bank_data.load()
    train, test = bank_data.split(frame)
    y_test = (test[bank_data.LABEL] == "yes").to_numpy(np.int64)
    threads = arguments.threads
    with threadpool_limits(limits=threads):
        results = [
            run_xgboost(frame, train, test, threads),
            run_hist_gradient_boosting(train, test),
        ]
    hyperparameters = {
        "label": bank_data.LABEL,
        "seed": str(arguments.seed),
        "cpu_threads": str(threads),
        **_pairs(arguments.hp),
    }
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as folder:
        root = Path(folder)
        train_csv, _ = bank_data.write_split(root / "data")
        for run in range(arguments.repeat):
            results.append(run_byoa(root / f"job{run}", train_csv, test, hyperparameters, run))
        print_table(results, y_test, hyperparameters)
        if arguments.seeds > 1:
            known = {0: results[:3]} if arguments.seed == 0 else {}  # the first table's seed
            seeded = SeededRuns(frame, train, test, train_csv, root, hyperparameters, arguments)
            print_seeds(seed_metrics(seeded, y_test, known))
    return 0


@dataclass(frozen=True)
class SeededRuns:
    """Everything needed to run the three models again with another seed."""

    frame: pd.DataFrame
    train: pd.DataFrame
    test: pd.DataFrame
    train_csv: Path
    root: Path
    hyperparameters: dict[str, str]
    arguments: argparse.Namespace

    def run(self, seed: int) -> list[Result]:
        threads = self.arguments.threads
        with threadpool_limits(limits=threads):
            runs = [
                run_xgboost(self.frame, self.train, self.test, threads, seed, repeats=1),
                run_hist_gradient_boosting(self.train, self.test, seed, repeats=1),
            ]
        seeded = {**self.hyperparameters, "seed": str(seed)}
        job = self.root / f"seed{seed}"
        runs.append(run_byoa(job, self.train_csv, self.test, seeded, 0))
        return runs


def seed_metrics(
    seeded: SeededRuns, y: np.ndarray, known: dict[int, list[Result]]
) -> dict[str, list[tuple[float, float]]]:
    """(ROC AUC, log loss) of every model for each seed; ``known`` seeds are not run again."""
    metrics: dict[str, list[tuple[float, float]]] = {}
    for seed in range(seeded.arguments.seeds):
        for result in known.get(seed) or seeded.run(seed):
            _, auc, loss = result.metrics(y)
            metrics.setdefault(result.name.removesuffix(" run 1"), []).append((auc, loss))
    return metrics


def print_seeds(metrics: dict[str, list[tuple[float, float]]]) -> None:
    seeds = len(next(iter(metrics.values())))
    print(f"\nOver seeds 0..{seeds - 1}: mean (standard deviation) and the lowest AUC")
    print(f"{'model':<24} {'ROC AUC':>17} {'log loss':>17} {'lowest AUC':>11}")
    for name, pairs in metrics.items():
        auc, loss = np.array(pairs).T
        print(
            f"{name:<24} {auc.mean():>8.4f} ({auc.std():.4f}) {loss.mean():>8.4f} "
            f"({loss.std():.4f}) {auc.min():>11.4f}"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=2, help="byoa runs with the same seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seeds",
        type=int,
        default=5,
        help="also run every model with seeds 0..N-1 and print means (1: skip)",
    )
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for every model")
    parser.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                        help="extra byoa hyperparameters")  # fmt: skip
    return parser


def _pairs(items: list[str]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in items)


def run_xgboost(
    frame: pd.DataFrame,
    train: pd.DataFrame,
    test: pd.DataFrame,
    threads: int,
    seed: int = 0,
    repeats: int = 3,
) -> Result:
    dummies = pd.get_dummies(frame.drop(columns=[bank_data.LABEL]), dtype=np.float32)
    y = (frame[bank_data.LABEL] == "yes").astype(np.int64)
    model = XGBClassifier(**TUTORIAL_XGBOOST, objective="binary:logistic", n_jobs=threads,
                          random_state=seed, verbosity=0)  # fmt: skip
    seconds = timed(lambda: model.fit(dummies.loc[train.index], y.loc[train.index]), repeats)
    return Result("XGBoost (tutorial)", model.predict_proba(dummies.loc[test.index])[:, 1], seconds)


def run_hist_gradient_boosting(
    train: pd.DataFrame, test: pd.DataFrame, seed: int = 0, repeats: int = 3
) -> Result:
    def inputs(part: pd.DataFrame) -> pd.DataFrame:
        features = part.drop(columns=[bank_data.LABEL]).copy()
        for name in features.columns:
            if not pd.api.types.is_numeric_dtype(features[name]):
                features[name] = pd.Categorical(
                    features[name], categories=sorted(train[name].unique())
                )
        return features

    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    y = (train[bank_data.LABEL] == "yes").astype(np.int64)
    seconds = timed(lambda: model.fit(inputs(train), y), repeats)
    return Result("HistGradientBoosting", model.predict_proba(inputs(test))[:, 1], seconds)


def run_byoa(
    root: Path, train_csv: Path, test: pd.DataFrame, hyperparameters: dict[str, str], run: int
) -> Result:
    trained = train_byoa(root, train_csv, hyperparameters)
    predictions = predict_rows(trained, test.drop(columns=[bank_data.LABEL]))
    return Result(f"byoa-tabular run {run + 1}", predictions.scores.astype(np.float64),
                  trained.seconds, trained.fit_seconds)  # fmt: skip


def print_table(results: list[Result], y: np.ndarray, hyperparameters: dict[str, str]) -> None:
    xgboost_seconds = results[0].fit_seconds
    print(
        f"\nBank Marketing, tutorial split: {len(y)} test rows; "
        f"byoa hyperparameters {hyperparameters}"
    )
    print(f"{'model':<24} {'accuracy':>9} {'ROC AUC':>8} {'log loss':>9} {'fit s':>7} {'x XGB':>6}"
          f"  {'fit s inside':>12} {'x XGB':>6}")  # fmt: skip
    rows = []
    for result in results:
        accuracy, auc, loss = result.metrics(y)
        rows.append((round(accuracy, 4), round(auc, 4), round(loss, 4)))
        inner = (
            f"{result.inner_seconds:>12.2f} {result.inner_seconds / xgboost_seconds:>6.1f}"
            if result.inner_seconds is not None else f"{'':>12} {'':>6}"
        )  # fmt: skip
        print(
            f"{result.name:<24} {accuracy:>9.4f} {auc:>8.4f} {loss:>9.4f} "
            f"{result.fit_seconds:>7.2f} {result.fit_seconds / xgboost_seconds:>6.1f}  {inner}"
        )
    ours = rows[2:]
    if len(ours) > 1:
        same = all(row == ours[0] for row in ours)
        print(f"byoa runs with the same seed agree to 4 decimals: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
