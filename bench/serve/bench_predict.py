"""Benchmark: the bundled algorithm's ``predict_fn`` on the bank model, in-process, one thread.

    python bench/serve/bench_predict.py          (or: make bench-predict)

Decodes bank test rows with the CSV codec once, then times ``predict_fn`` alone at 1, 100 and
10,000 rows per call, in rounds: the best and the median wall time per call, and the best CPU
time of the calling thread (on a shared machine the CPU time is the steadier figure: waiting for
a core is not counted). Goals (issue 14): under 0.15 ms at 1 row, under 0.5 ms at 100 rows.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bank import REPO_ROOT, bank_body, bank_model

sys.path.insert(0, str(REPO_ROOT))  # this checkout's algorithm and serve, not an installed copy

SIZES = (1, 100, 10_000)
GOALS_MS = {1: 0.15, 100: 0.5}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", type=Path, help="a trained model (default: the bank one)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per row count")
    arguments = parser.parse_args()

    import torch

    from algorithm import model_fn, predict_fn
    from serve.codecs import csv_codec

    torch.set_num_threads(1)
    model = model_fn(arguments.model_dir or bank_model())
    print("predict_fn on the bank model, one torch thread, milliseconds per call")
    print(f"{'rows':>7} {'best wall':>10} {'median wall':>12} {'best CPU':>9} {'us/row':>7}  goal")
    for rows in SIZES:
        records = csv_codec.decode(bank_body(rows), {})
        wall, cpu = per_call_ms(functools.partial(predict_fn, records, model), arguments.seconds)
        goal = GOALS_MS.get(rows)
        verdict = "" if goal is None else f"< {goal}: {'met' if min(cpu) < goal else 'NOT met'}"
        print(f"{rows:>7} {min(wall):>10.3f} {statistics.median(wall):>12.3f} {min(cpu):>9.3f} "
              f"{min(cpu) * 1000 / rows:>7.2f}  {verdict}")  # fmt: skip
    return 0


def per_call_ms(
    call: Callable[[], object], seconds: float, rounds: int = 7
) -> tuple[list[float], list[float]]:
    """Wall and thread-CPU milliseconds per call, one figure per round of ``seconds / rounds``."""
    call()
    started = time.perf_counter()
    call()
    calls = max(1, int(seconds / rounds / max(time.perf_counter() - started, 1e-6)))
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.thread_time()
        for _ in range(calls):
            call()
        cpu.append((time.thread_time() - started_cpu) / calls * 1000)
        wall.append((time.perf_counter() - started) / calls * 1000)
    return wall, cpu


if __name__ == "__main__":
    sys.exit(main())
