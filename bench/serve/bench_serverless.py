"""Benchmark: does the server fit a SageMaker Serverless endpoint (1-6 GB, 4 MB payloads)?

    python bench/serve/bench_serverless.py [--requests 5]

Trains the bundled algorithm on the bundled Bank Marketing data through the real ``train``
entrypoint (its default network, 2 epochs), then for one worker
(``SAGEMAKER_MODEL_SERVER_WORKERS=1``) and for one worker per core starts the real server and
prints: seconds to the first 200 on ``/ping``, idle PSS of the whole process tree, and peak PSS
(sampled every 10 ms) while it answers 4 MB CSV requests, the serverless payload limit, one at a
time. PSS is read from ``/proc/*/smaps_rollup``, as ``bench_serve.py`` does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from stacks import REPO_ROOT, Stack, cold_start, free_port, request, start_byoa, tree_pss_mb

sys.path.insert(0, str(REPO_ROOT))  # this checkout's algorithm and serve, not an installed copy

PAYLOAD_BYTES = 4 * 1024 * 1024
SAMPLE_S = 0.01


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5, help="4 MB requests per server")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="byoa-bench-serverless-") as scratch:
        root = Path(scratch)
        model_dir, test_csv = train_bank_model(root)
        body = payload(test_csv)
        rows = body.count(b"\n")
        print(f"[bench] request body: {len(body) / 1e6:.2f} MB, {rows} rows", file=sys.stderr)
        counts = sorted({1, os.cpu_count() or 1})
        results = {n: measure(root, model_dir, body, n, arguments.requests) for n in counts}
    print(f"\n{'workers':>8} | {'/ping s':>8} | {'idle PSS MB':>11} | {'peak PSS MB (4 MB)':>18}")
    for workers, (ping, idle, peak) in results.items():
        print(f"{workers:>8} | {ping:>8.2f} | {idle:>11.0f} | {peak:>18.0f}")
    return 0


def train_bank_model(root: Path) -> tuple[Path, Path]:
    from container import bank_data
    from container.local_tree import ChannelInput, JobLayout

    train_csv, test_csv = bank_data.write_split(root / "data")
    layout = JobLayout(root / "job")
    hyperparameters = {"label": bank_data.LABEL, "epochs": "2"}
    layout.create([ChannelInput("train", train_csv, "text/csv")], hyperparameters)
    env = {**os.environ, "SAGEMAKER_BASE_DIR": str(layout.base_dir)}
    print("[bench] training the bundled algorithm on the bank data", file=sys.stderr)
    done = subprocess.run([sys.executable, "-m", "container.train"], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training the benchmark model failed:\n{done.stderr[-2000:]}")
    return layout.base_dir / "model", test_csv


def payload(test_csv: Path) -> bytes:
    """Headerless, label-free test rows, repeated to just under 4 MB."""
    import pandas as pd

    from container import bank_data

    frame = pd.read_csv(test_csv).drop(columns=[bank_data.LABEL])
    lines = frame.to_csv(header=False, index=False).encode().splitlines(keepends=True)
    body, index = bytearray(), 0
    while len(body) + len(lines[index % len(lines)]) <= PAYLOAD_BYTES:
        body += lines[index % len(lines)]
        index += 1
    return bytes(body)


def measure(
    root: Path, model_dir: Path, body: bytes, workers: int, requests: int
) -> tuple[float, float, float]:
    port = free_port()
    stack = start_byoa(model_dir, port, workers, root / f"byoa-{workers}.log")
    try:
        ping, _ = cold_start(stack, body[: body.index(b"\n") + 1])
        time.sleep(1.0)
        idle = tree_pss_mb(stack)
        peak = peak_pss_during(stack, lambda: answer_all(port, body, requests))
    finally:
        stack.stop()
    return ping, idle, peak


def answer_all(port: int, body: bytes, requests: int) -> None:
    expected = body.count(b"\n")
    for _ in range(requests):
        status, answer = request(port, "POST", "/invocations", body)
        if status != 200 or answer.count(b"\n") != expected:
            raise RuntimeError(f"a 4 MB request failed: {status} {answer[:200]!r}")


def peak_pss_during(stack: Stack, work: object) -> float:
    peak, done = 0.0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_mb(stack))
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        work()  # type: ignore[operator]
    finally:
        done.set()
        sampler.join()
    return peak


if __name__ == "__main__":
    sys.exit(main())
