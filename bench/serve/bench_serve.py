"""Benchmark: byoa's server against the classic and FastAPI stacks, same model, same machine.

    python bench/serve/bench_serve.py [--model bank]    (make bench-serve runs both models)

Trains the bundled algorithm briefly on a synthetic 60-float-column data set through the real
``train`` entrypoint and starts four stacks with one worker per core: classic (nginx -> gunicorn
sync workers -> Flask + pandas, ``classic_app.py``), FastAPI + uvicorn as tutorials write it
(``fastapi_app.py``, torch at its default thread count), the same FastAPI app tuned to one torch
thread per worker, and byoa (gunicorn gthread, model preloaded). It prints requests/s and
p50/p99 latency from wrk at 1, 100 and 10,000 rows per request, ``/ping`` p99 while every worker
runs 10,000-row requests, cold start to the first 200 on ``/ping`` and to the first prediction
(median of ``--starts`` starts of every stack), idle PSS of each process tree, byoa's 10,000-row
requests/s over the in-process floor in each of ``--repeat`` sittings, and byoa's ratios to the
classic and the tuned FastAPI stacks against the issue's targets (``serve_report.py``).
Figures are noisy on a shared machine; the ratios are measured side by side, alternating the
stacks scenario by scenario. ``--model bank`` serves the bundled algorithm's own bank model
instead (default hyperparameters, ``bench/serve/bank.py``), with bodies cut from the bank test
split (10 of the 20 columns text).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bank import bank_body, bank_model
from load import Load, PingProbe, in_process_floor, wrk
from serve_report import STACKS, print_table
from stacks import (
    REPO_ROOT,
    Stack,
    cold_start,
    free_port,
    start_byoa,
    start_classic,
    start_fastapi,
    tree_pss_mb,
)

sys.path.insert(0, str(REPO_ROOT))  # this checkout's algorithm and serve, not an installed copy

FEATURES = 60
SCENARIOS = ((1, 16), (100, 16), (10_000, 4))  # rows per request, wrk connections


def main() -> int:
    arguments = parse_arguments()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install wrk nginx-light)", file=sys.stderr)
            return 2
    workers = arguments.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="byoa-bench-serve-") as scratch:
        root = Path(scratch)
        if arguments.model == "bank":
            model_dir, bodies = bank_model(), write_bank_bodies(root)
        else:
            model_dir, bodies = train_model(root), write_bodies(root)
        results = run(root, model_dir, bodies, workers, arguments)
        results["body_10000_mb"] = bodies[10_000].stat().st_size / 1e6
    results["model"] = arguments.model
    print_table(results, workers, SCENARIOS)
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2))
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per scenario")
    parser.add_argument("--workers", type=int, help="workers per stack (default: one per core)")
    parser.add_argument("--starts", type=int, default=5, help="cold starts per stack (median)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--model", choices=("synthetic", "bank"), default="synthetic",
                        help="the 60-float synthetic model or the bundled bank model")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=2,
                        help="sittings of the 10,000-row byoa / floor measurement")  # fmt: skip
    return parser.parse_args()


def synthetic_rows(count: int, seed: int) -> np.ndarray:
    return np.round(np.random.default_rng(seed).uniform(0, 10, (count, FEATURES)), 1)


def train_model(root: Path) -> Path:
    from container.local_tree import ChannelInput, JobLayout

    rows = synthetic_rows(20_000, seed=0)
    weights = np.random.default_rng(1).normal(size=FEATURES)
    labels = ((rows - 5) @ weights + np.random.default_rng(2).normal(size=len(rows)) * 3) > 0
    data = root / "train.csv"
    np.savetxt(data, np.column_stack([labels, rows]), delimiter=",", fmt="%g")
    layout = JobLayout(root / "job")
    layout.create([ChannelInput("train", data, "text/csv")], mlp_hyperparameters())
    env = {**os.environ, "SAGEMAKER_BASE_DIR": str(layout.base_dir)}
    print("[bench] training the model (60 float inputs)", file=sys.stderr)
    done = subprocess.run([sys.executable, "-m", "container.train"], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training the benchmark model failed:\n{done.stderr[-2000:]}")
    return layout.base_dir / "model"


def mlp_hyperparameters() -> dict[str, str]:
    """A small MLP: 2 x 128 hidden units, one network, the cheapest input encoding declared."""
    from container.plugin import load_algorithm

    declared = {h.name: h for h in load_algorithm().spec.hyperparameters}
    wanted = {"epochs": "3", "hidden_units": "128", "depth": "2", "ensemble_size": "1"}
    if "bins" in declared:
        wanted["bins"] = str(int(declared["bins"].minimum or 2))
    return {name: value for name, value in wanted.items() if name in declared}


def write_bodies(root: Path) -> dict[int, Path]:
    bodies = {}
    for rows, _ in SCENARIOS:
        path = root / f"body-{rows}.csv"
        np.savetxt(path, synthetic_rows(rows, seed=rows), delimiter=",", fmt="%.1f")
        bodies[rows] = path
    return bodies


def write_bank_bodies(root: Path) -> dict[int, Path]:
    bodies = {}
    for rows, _ in SCENARIOS:
        path = root / f"bank-{rows}.csv"
        path.write_bytes(bank_body(rows))
        bodies[rows] = path
    return bodies


def start(name: str, root: Path, model_dir: Path, workers: int) -> Stack:
    port = free_port()
    if name == "byoa":
        return start_byoa(model_dir, port, workers, root / f"byoa-{port}.log")
    if name.startswith("fastapi-"):
        tuned = name == "fastapi-tuned"
        return start_fastapi(model_dir, port, workers, root / f"{name}-{port}.log", tuned)
    return start_classic(model_dir, port, workers, root / f"classic-{port}")


def measure_cold_starts(
    root: Path, model_dir: Path, workers: int, body: bytes, count: int
) -> dict[str, dict[str, float]]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in STACKS}
    for _ in range(count):
        for name in samples:
            stack = start(name, root, model_dir, workers)
            try:
                samples[name].append(cold_start(stack, body))
            finally:
                stack.stop()
    return {
        name: {"ping_s": statistics.median(s[0] for s in values),
               "first_prediction_s": statistics.median(s[1] for s in values)}
        for name, values in samples.items()
    }  # fmt: skip


def run(
    root: Path,
    model_dir: Path,
    bodies: dict[int, Path],
    workers: int,
    arguments: argparse.Namespace,
) -> dict[str, object]:
    one_row = bodies[1].read_bytes()
    print("[bench] cold starts", file=sys.stderr)
    results: dict[str, object] = {
        "cold": measure_cold_starts(root, model_dir, workers, one_row, arguments.starts)
    }
    stacks = {name: start(name, root, model_dir, workers) for name in STACKS}
    try:
        for stack in stacks.values():
            cold_start(stack, one_row)
        time.sleep(2)
        results["idle_pss_mb"] = {name: tree_pss_mb(s) for name, s in stacks.items()}
        results["load"] = measure_load(stacks, bodies, arguments.seconds)
        results["ping_p99_ms"] = measure_ping(stacks, bodies[10_000], arguments.seconds)
        results["floor"] = [
            measure_floor(
                stacks["byoa"], model_dir, bodies[10_000], workers, arguments.seconds, sitting
            )
            for sitting in range(1, arguments.repeat + 1)
        ]
    finally:
        for stack in stacks.values():
            stack.stop()
    return results


def measure_floor(
    stack: Stack, model_dir: Path, body: Path, workers: int, seconds: int, sitting: int
) -> dict[str, float]:
    """One sitting: the in-process floor between two byoa runs at 10,000 rows, so drift hits
    both alike."""
    print(f"[bench] sitting {sitting}: byoa, in-process floor, byoa again: 10,000 rows",
          file=sys.stderr)  # fmt: skip
    before = wrk(stack.url, body, 4, seconds).rps
    floor = in_process_floor(model_dir, body.read_bytes(), workers, seconds)
    after = wrk(stack.url, body, 4, seconds).rps
    return {"floor_rps": floor, "byoa_rps": (before + after) / 2}


def measure_load(
    stacks: dict[str, Stack], bodies: dict[int, Path], seconds: int
) -> dict[str, dict[str, dict[str, float]]]:
    figures: dict[str, dict[str, dict[str, float]]] = {}
    for rows, connections in SCENARIOS:
        figures[str(rows)] = {}
        for name, stack in stacks.items():
            print(f"[bench] {name}: {rows} rows x {connections} connections", file=sys.stderr)
            wrk(stack.url, bodies[rows], connections, 1)
            load: Load = wrk(stack.url, bodies[rows], connections, seconds)
            figures[str(rows)][name] = load.__dict__
    return figures


def measure_ping(stacks: dict[str, Stack], body: Path, seconds: int) -> dict[str, float]:
    figures = {}
    for name, stack in stacks.items():
        print(f"[bench] {name}: /ping under 10,000-row load", file=sys.stderr)
        with PingProbe(stack.port) as probe:
            wrk(stack.url, body, 4, seconds)
        figures[name] = probe.p99_ms()
        figures[f"{name}_failures"] = probe.failures
    return figures


if __name__ == "__main__":
    sys.exit(main())
