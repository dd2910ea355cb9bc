"""What the CSV row check costs: pandas reading a channel-sized CSV with and without it.

Two files of 300,000 rows x 13 columns (12 numbers, 1 text): as pandas writes them (no quotes)
and with every field quoted (the slow case: every quote is looked at). Best of three runs each,
printed side by side. Run: ``PYTHONPATH=. .venv/bin/python bench/train/bench_csv_rows.py``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import IO

import numpy as np
import pandas as pd

from container.csv_rows import rows_checked

ROWS = 300_000
RUNS = 3


def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.random((ROWS, 12)).round(4))
    frame["text"] = rng.choice(["alpha", "beta", "gamma"], ROWS)
    return frame


def best_seconds(data: bytes, wrap: Callable[[IO[bytes]], IO[bytes]]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        stream = wrap(io.BufferedReader(io.BytesIO(data)))
        for _chunk in pd.read_csv(stream, chunksize=100_000):
            pass
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    frame = table()
    files = {
        "unquoted": frame.to_csv(index=False).encode(),
        "all quoted": frame.to_csv(index=False, quoting=csv.QUOTE_ALL).encode(),
    }
    print(f"{'file':<12}{'MB':>6}{'pandas s':>10}{'checked s':>11}{'ratio':>7}")
    for name, data in files.items():
        plain = best_seconds(data, lambda stream: stream)
        checked = best_seconds(data, lambda stream: rows_checked(stream, ",", "train", "f.csv"))
        ratio = checked / plain
        print(f"{name:<12}{len(data) / 1e6:>6.0f}{plain:>10.3f}{checked:>11.3f}{ratio:>7.2f}")


if __name__ == "__main__":
    main()
