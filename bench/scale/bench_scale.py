"""Scale-out figures, measured side by side in one run (noisy machines: read the ratios).

1. Training throughput (rows per second) and validation AUC of the bundled algorithm on the bank
   data, 1 host versus 2 hosts (processes on loopback, torch.distributed over Gloo).
2. Pipe versus File: the same CSV read by ``ChannelReader.read_csv`` from a folder and from the
   FIFOs the local runner feeds; raw bytes and parsed table, alternating order, median of N.
3. Checkpoints: size and write time, from the bundled algorithm's own log lines.

Usage: python bench/scale/bench_scale.py [--rows-mb 64] [--repeats 3] [--hp NAME=VALUE]
       [--job-repeats 1] [--skip-jobs]
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from container import bank_data
from container.channels import ChannelReader
from container.environment import ChannelConfig
from container.local_cluster import ClusterLayout, run_cluster
from container.local_job import run_job
from container.local_pipe import FifoFeeder, feeding
from container.local_tree import ChannelInput, JobLayout
from container.plugin import load_algorithm
from container.spec import AlgorithmSpec

CHECKPOINT_LINE = re.compile(r"checkpoint \d+ saved to \S+ \((\d+) bytes, ([0-9.]+) s\)")
EPOCH_LINE = re.compile(r"#metric validation:auc=\S+ step=(\d+)")
ENSEMBLE_LINE = re.compile(r"Member 1: best validation loss")
BENCH_LINE = re.compile(r"bench wall=(\S+) auc=(\S+)")


def synthetic_csv(path: Path, megabytes: int) -> Path:
    """Bank rows repeated until the file is about ``megabytes`` MB."""
    frame = bank_data.load()
    block = frame.to_csv(index=False, header=False).encode()
    with path.open("wb") as out:
        out.write((",".join(frame.columns) + "\n").encode())
        for _ in range(max(1, megabytes * 1_000_000 // len(block))):
            out.write(block)
    return path


def read_file(source: Path, parse: bool) -> int:
    config = ChannelConfig("train", "text/csv", "File", "None", "FullyReplicated", "None")
    return _consume(ChannelReader("train", source.parent, config), parse)


def read_pipe(source: Path, parse: bool) -> int:
    """The feeder runs in its own process, as the local runner (or SageMaker's agent) does."""
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        config = ChannelConfig("train", "text/csv", "Pipe", "None", "FullyReplicated", "None")
        feeder = multiprocessing.get_context("fork").Process(
            target=_feed_one_epoch, args=(data_dir, source), daemon=True
        )
        feeder.start()
        try:
            return _consume(ChannelReader("train", data_dir / "train", config), parse)
        finally:
            feeder.join(30)


def _feed_one_epoch(data_dir: Path, source: Path) -> None:
    feeder = FifoFeeder(data_dir, "train", source)
    with feeding([feeder]):
        while feeder.epochs_fed < 1:
            time.sleep(0.01)


def _consume(reader: ChannelReader, parse: bool) -> int:
    if parse:
        return len(reader.read_csv())
    total = 0
    for _, stream in reader.open_streams():
        while chunk := stream.read(1 << 20):
            total += len(chunk)
    return total


def timed(function: Callable[[Path, bool], int], source: Path, parse: bool) -> float:
    started = time.perf_counter()
    function(source, parse)
    return time.perf_counter() - started


def pipe_versus_file(megabytes: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "files").mkdir()
        source = synthetic_csv(Path(folder) / "files" / "train.csv", megabytes)
        size_mb = source.stat().st_size / 1e6
        print(f"\n## Pipe vs File ({size_mb:.0f} MB CSV, median of {repeats}, alternating order)")
        print("| what | File MB/s | Pipe MB/s | Pipe/File |")
        print("|---|---|---|---|")
        for parse in (False, True):
            times: dict[str, list[float]] = {"File": [], "Pipe": []}
            for index in range(repeats):
                order = ("File", "Pipe") if index % 2 == 0 else ("Pipe", "File")
                for mode in order:
                    read = read_file if mode == "File" else read_pipe
                    times[mode].append(timed(read, source, parse))
            file_rate = size_mb / statistics.median(times["File"])
            pipe_rate = size_mb / statistics.median(times["Pipe"])
            what = "read_csv (parse)" if parse else "raw bytes"
            print(f"| {what} | {file_rate:.0f} | {pipe_rate:.0f} | {pipe_rate / file_rate:.2f} |")


def bank_channels(folder: Path) -> list[ChannelInput]:
    train, validation = bank_data.split(bank_data.load())
    paths = folder / "train.csv", folder / "validation.csv"
    train.to_csv(paths[0], index=False)
    validation.to_csv(paths[1], index=False)
    return [
        ChannelInput("train", paths[0], "text/csv"),
        ChannelInput("validation", paths[1], "text/csv"),
    ]


def training_jobs(overrides: dict[str, str], repeats: int) -> None:
    """The algorithm's defaults (label ``y``) plus ``--hp``; 1 and 2 hosts in alternating order.

    Both get the same cores: one host uses them all, two hosts get half each (OMP_NUM_THREADS).
    """
    spec = load_algorithm().spec
    hyperparameters = {"label": "y", **overrides}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        channels = bank_channels(root)
        rows = len(pd.read_csv(channels[0].source))
        print(f"\n## Training on the bank data ({rows} train rows, {hyperparameters})")
        print("| hosts | run | wall s | epochs | rows/s (rows x epochs / wall) | validation AUC |")
        print("|---|---|---|---|---|---|")
        one_log = ""
        for run in range(repeats):
            for hosts in (1, 2) if run % 2 == 0 else (2, 1):
                log = _train(root / f"{hosts}-{run}", hosts, channels, hyperparameters, spec)
                _row(hosts, run, rows, log)
                one_log = log if hosts == 1 else one_log
        checkpoints(one_log)


def _train(
    root: Path,
    hosts: int,
    channels: list[ChannelInput],
    hyperparameters: dict[str, str],
    spec: AlgorithmSpec,
) -> str:
    """The job's log, with the wall time and the final AUC appended as a bench line."""
    log = io.StringIO()
    started = time.perf_counter()
    if hosts == 1:
        layout = JobLayout(root)
        layout.create(channels, hyperparameters)
        metrics = run_job(layout, spec, echo=log).metrics
    else:
        cluster = ClusterLayout(root, hosts)
        cluster.create(channels, hyperparameters)
        metrics = run_cluster(cluster, spec, echo=log).master.metrics
    wall = time.perf_counter() - started
    return f"{log.getvalue()}\nbench wall={wall} auc={metrics.get('validation:auc', math.nan)}\n"


def _row(hosts: int, run: int, rows: int, log: str) -> None:
    """Epochs = validation metric lines, less the ensemble's closing line when there is one."""
    steps = [int(step) for step in EPOCH_LINE.findall(log)]
    epochs = len(steps) - (1 if ENSEMBLE_LINE.search(log) else 0)
    found = BENCH_LINE.search(log)
    assert found is not None
    wall, auc = float(found.group(1)), float(found.group(2))
    print(
        f"| {hosts} | {run + 1} | {wall:.1f} | {epochs} | {rows * epochs / wall:.0f} | {auc:.4f} |"
    )


def checkpoints(log: str) -> None:
    found = [(int(size), float(seconds)) for size, seconds in CHECKPOINT_LINE.findall(log)]
    print("\n## Checkpoints (1-host job)")
    if not found:
        print("no checkpoint lines in the log (the algorithm does not checkpoint)")
        return
    sizes, seconds = zip(*found, strict=True)
    size_kb, median_ms = statistics.median(sizes) / 1e3, statistics.median(seconds) * 1e3
    print(f"{len(found)} checkpoints, {size_kb:.0f} kB each, write time median {median_ms:.1f} ms,")
    print(f"max {max(seconds) * 1e3:.1f} ms (fsync included)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-mb", type=int, default=64, help="size of the Pipe/File CSV")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hp", action="append", default=[], metavar="NAME=VALUE",
                        help="hyperparameter override for the training jobs")  # fmt: skip
    parser.add_argument("--job-repeats", type=int, default=1, help="runs of each training job")
    parser.add_argument("--skip-jobs", action="store_true", help="only the Pipe/File figures")
    arguments = parser.parse_args()
    np.random.seed(0)
    pipe_versus_file(arguments.rows_mb, arguments.repeats)
    if not arguments.skip_jobs:
        training_jobs(dict(item.split("=", 1) for item in arguments.hp), arguments.job_repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
