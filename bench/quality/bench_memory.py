"""Peak memory and time of training byoa-tabular on 1,000,000 rows x 60 columns.

Writes a synthetic CSV (50 numeric columns with 1 % missing values, 10 categorical columns of
20 categories, a binary label from a noisy linear rule), trains through the real ``train``
entrypoint (a child process on an emulated ``/opt/ml`` tree) and reports the child's peak
resident memory (``getrusage``), the same for a 1,000-row job (the fixed cost of Python, torch
and pandas), and the float32 size of the feature matrix the target is stated against.

Run: ``make bench-memory`` (``--rows``/``--columns`` to change the size; several minutes).
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from algorithm import SPEC
from container.local_job import run_job
from container.local_tree import ChannelInput, JobLayout

CATEGORICAL = 10
CATEGORIES = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="byoa-tabular peak memory on a large CSV")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=2)
    arguments = parser.parse_args(argv)
    hyperparameters = {"label": "y", "epochs": str(arguments.epochs), "ensemble_size": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder:
        root = Path(folder)
        small = write_data(root / "small.csv", 1_000, arguments.columns)
        started = time.perf_counter()
        large = write_data(root / "large.csv", arguments.rows, arguments.columns)
        size = large.stat().st_size / 2**20
        print(f"wrote {size:.0f} MiB of CSV in {time.perf_counter() - started:.0f} s")
        base_rss, base_seconds = train(root / "job-small", small, hyperparameters)
        peak_rss, seconds = train(root / "job-large", large, hyperparameters)
    matrix = arguments.rows * arguments.columns * 4 / 2**20
    shape = f"{arguments.rows:,} rows x {arguments.columns} columns"
    print(f"\n{shape}, {arguments.epochs} epoch(s), 1 network")
    print(f"float32 feature matrix:           {matrix:8.0f} MiB")
    print(f"peak RSS, 1,000-row job:          {base_rss:8.0f} MiB  ({base_seconds:.1f} s)")
    print(f"peak RSS, large job:              {peak_rss:8.0f} MiB  ({seconds:.1f} s)")
    print(f"large minus fixed cost:           {peak_rss - base_rss:8.0f} MiB  "
          f"= {(peak_rss - base_rss) / matrix:.2f} x the float32 matrix")  # fmt: skip
    return 0


def write_data(path: Path, rows: int, columns: int) -> Path:
    generator = np.random.default_rng(0)
    numeric = columns - CATEGORICAL
    values = generator.standard_normal((rows, numeric)).astype(np.float32)
    weights = generator.standard_normal(numeric).astype(np.float32)
    score = values @ weights / np.sqrt(numeric) + generator.standard_normal(rows).astype(np.float32)
    values[generator.random((rows, numeric)) < 0.01] = np.nan
    frame = pd.DataFrame(values, columns=[f"x{i}" for i in range(numeric)])
    for i in range(CATEGORICAL):
        codes = generator.integers(0, CATEGORIES, rows)
        frame[f"c{i}"] = np.char.add("k", codes.astype(str))
        score += (codes % 3 - 1) * 0.3
    frame.insert(0, "y", (score > 0).astype(np.int8))
    frame.to_csv(path, index=False, float_format="%.5g")
    return path


def train(root: Path, data: Path, hyperparameters: dict[str, str]) -> tuple[float, float]:
    """(peak RSS of the entrypoint in MiB, wall seconds); each job runs in a fresh child."""
    probe = (
        "import resource, subprocess, sys;"
        "code = subprocess.call([sys.executable, '-m', 'container.train']);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    layout = JobLayout(root)
    layout.create([ChannelInput("train", data)], hyperparameters)
    log = io.StringIO()
    started = time.perf_counter()
    result = run_job(layout, SPEC, command=(sys.executable, "-c", probe), echo=log)
    seconds = time.perf_counter() - started
    last = log.getvalue().strip().splitlines()[-1].split()
    if result.exit_code != 0 or last[-1] != "0":
        sys.stderr.write(log.getvalue()[-5000:])
        raise SystemExit(f"training failed: {result.failure_reason}")
    return int(last[0]) / 1024, seconds


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
