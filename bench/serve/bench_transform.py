"""Benchmark: ``byoa transform`` of a large bank-like file through the real server, end to end.

    python bench/serve/bench_transform.py [--rows 1000000]    (or: make bench-transform)

Writes ``--rows`` headerless bank rows (the test split without the label, repeated) to a temp
file, starts byoa's server on the bank model with one worker per core, and runs the real
``byoa transform`` command on the file as a user would. The mini-batch size and the concurrency
are the ones ``/execution-parameters`` gives, as in SageMaker. The floor is the same mini-batches
through decode + predict_fn + encode in one process per core (one torch thread each), no HTTP.
Floor and transform alternate (floor, transform, floor, ...) so drift hits both; each figure is
printed, then the ratio of the transform's rows/s to the floor's (goal, issue 14: at least 0.8)
and where the time went. ``--env NAME=VALUE`` sets a variable in the server's environment only,
to compare server settings (e.g. ``MALLOC_MMAP_THRESHOLD_``) against the same floor.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from bank import bank_model, bank_rows
from load import FloorRun, floor_runs
from stacks import (
    REPO_ROOT,
    Stack,
    free_port,
    request,
    start_byoa,
    tree_cpu_s,
    tree_pss_mb,
    wait_for_ping,
)

sys.path.insert(0, str(REPO_ROOT))
from serve import client

PSS_EVERY_TICKS = 10  # one reading of the server's PSS costs some 30 ms of a core: once a second


@dataclass(frozen=True)
class TransformRun:
    wall_s: float
    client_cpu_s: float
    client_peak_rss_mb: float
    server_process_cpu_s: tuple[float, ...]  # each of the server's processes, most first
    server_peak_pss_mb: float

    @property
    def server_cpu_s(self) -> float:
        return sum(self.server_process_cpu_s)


def write_input(path: Path, rows: int) -> None:
    path.write_text("\n".join(bank_rows(rows)) + "\n")


def split(source: Path, parameters: client.ExecutionParameters) -> tuple[list[bytes], float]:
    """The mini-batches the transform sends, as its client cuts them, and the seconds it took."""
    started = time.perf_counter()
    single = parameters.batch_strategy == "SINGLE_RECORD"
    batches = list(client.file_batches(source, parameters.max_payload_bytes, single))
    return batches, time.perf_counter() - started


def floor_rate(runs: list[FloorRun]) -> float:
    """Rows/s of the floor processes together, each at its own pace (no tail, no imbalance)."""
    return sum(run.rows / run.seconds for run in runs)


def run_transform(stack: Stack, source: Path, output: Path) -> TransformRun:
    """``byoa transform`` as a user runs it; its wall time, its own CPU and memory, the server's."""
    command = [sys.executable, "-m", "container.cli", "transform", "--url", stack.url,
               "--input", str(source), "--output", str(output)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    log = output.with_name(output.name + ".log")
    server_peak, client_peak = [tree_pss_mb(stack)], [0.0]
    done = threading.Event()
    cpu_before = tree_cpu_s(stack)
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stderr=sink)

    def sample() -> None:
        ticks = 0
        while not done.wait(0.1):
            client_peak.append(peak_rss_mb(process.pid))
            ticks += 1
            if ticks % PSS_EVERY_TICKS == 0:
                server_peak.append(tree_pss_mb(stack))

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    spent = [cpu - cpu_before.get(pid, 0.0) for pid, cpu in tree_cpu_s(stack).items()]
    server_cpu = tuple(sorted(spent, reverse=True))
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"byoa transform failed:\n{log.read_text()[-2000:]}")
    client_cpu = usage.ru_utime + usage.ru_stime
    return TransformRun(wall, client_cpu, max(client_peak), server_cpu, max(server_peak))


def peak_rss_mb(pid: int) -> float:
    """The process's peak RSS since its ``exec`` (``VmHWM``; ``ru_maxrss`` would count the pages
    it shared with this process between fork and exec); 0 once it has exited."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def report_floor(label: str, runs: list[FloorRun]) -> None:
    rows = sum(run.rows for run in runs)
    phases = {"decode": sum(r.decode_s for r in runs), "predict": sum(r.predict_s for r in runs),
              "encode": sum(r.encode_s for r in runs)}  # fmt: skip
    total = sum(phases.values())
    cpu = sum(run.cpu_s for run in runs)
    shares = ", ".join(f"{name} {spent / total:.0%}" for name, spent in phases.items())
    print(
        f"  {label:<11} {floor_rate(runs):>9,.0f} rows/s  ({rows:,} rows, {total:.1f} process-s, "
        f"{cpu:.1f} CPU s: {shares})"
    )


def report_transform(label: str, run: TransformRun, rows: int) -> None:
    split = " + ".join(f"{cpu:.1f}" for cpu in run.server_process_cpu_s if cpu >= 0.05)
    print(
        f"  {label:<11} {rows / run.wall_s:>9,.0f} rows/s  (wall {run.wall_s:.1f} s; "
        f"client {run.client_cpu_s:.1f} CPU s, peak RSS {run.client_peak_rss_mb:.0f} MB; "
        f"server {run.server_cpu_s:.1f} CPU s ({split} by process), "
        f"peak PSS {run.server_peak_pss_mb:.0f} MB)"
    )


def report_time(batches: list[bytes], floors: list[list[FloorRun]], runs: list[TransformRun],
                workers: int, split_s: float) -> None:  # fmt: skip
    """Where the transform's time went, against what the floor needs for the same batches: the
    workers score one batch each at a time, whatever the concurrency."""
    floor_s = mean([sum(r.seconds for r in runs) for runs in floors])
    floor_cpu = mean([sum(r.cpu_s for r in runs) for runs in floors])
    per_batch = floor_s / len(batches)
    waves, alone = divmod(len(batches), workers)
    server_cpu = mean([run.server_cpu_s for run in runs])
    print(
        f"  {len(batches)} batches ({waves} full waves of {workers} workers, then {alone} "
        f"alone), {per_batch:.2f} s of floor compute each"
    )
    print(
        f"  floor compute {floor_s:.1f} process-s ({floor_cpu:.1f} CPU s) -> "
        f"{floor_s / workers:.1f} s on {workers} workers; "
        f"transform wall {mean([run.wall_s for run in runs]):.1f} s"
    )
    print(
        f"  server CPU {server_cpu:.1f} s ({server_cpu - floor_cpu:+.1f} s over the floor's: "
        "HTTP, the worker, its allocator settings)"
    )
    print(
        f"  client CPU {mean([run.client_cpu_s for run in runs]):.1f} s, on the workers' cores "
        f"(reading and cutting the batches alone: {split_s:.1f} s here)"
    )
    if alone:
        print(
            f"  tail: the last {alone} batch(es) run with {workers - alone} worker(s) idle, "
            f"about {per_batch * (workers - alone) / workers:.1f} s of lost wall"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="transform runs (floors between)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a variable for the server's environment (repeatable)")  # fmt: skip
    arguments = parser.parse_args()
    extra = dict(item.split("=", 1) for item in arguments.env)
    model_dir = bank_model()
    with tempfile.TemporaryDirectory(prefix="byoa-bench-transform-") as scratch:
        folder = Path(scratch)
        source = folder / "bank.csv"
        write_input(source, arguments.rows)
        port = free_port()
        stack = start_byoa(model_dir, port, arguments.workers, folder / "server.log", extra)
        try:
            wait_for_ping(stack)
            request(port, "POST", "/invocations", "\n".join(bank_rows(100)).encode())
            parameters = client.execution_parameters(stack.url)
            batches, split_s = split(source, parameters)
            shares = [batches[i :: arguments.workers] for i in range(arguments.workers)]
            shares = [share for share in shares if share]  # fewer batches than workers
            print(
                f"byoa transform, bank model, {arguments.rows:,} rows "
                f"({source.stat().st_size / 1e6:.0f} MB), {arguments.workers} workers, server "
                f"environment: {' '.join(arguments.env) or '(default)'}"
            )
            print(
                f"  /execution-parameters: MaxPayloadInMB {parameters.max_payload_mb}, "
                f"MaxConcurrentTransforms {parameters.max_concurrent_transforms}, "
                f"{parameters.batch_strategy}: {len(batches)} mini-batches of about "
                f"{arguments.rows // len(batches):,} rows"
            )
            floors = [floor_runs(model_dir, shares)]
            report_floor("floor", floors[-1])
            runs: list[TransformRun] = []
            for _ in range(arguments.repeat):
                output = folder / f"out-{len(runs)}"
                runs.append(run_transform(stack, source, output))
                report_transform("transform", runs[-1], arguments.rows)
                written = count_lines(output / "bank.csv.out")
                if written != arguments.rows:
                    raise RuntimeError(f"{written} output lines for {arguments.rows} input lines")
                (output / "bank.csv.out").unlink()
                floors.append(floor_runs(model_dir, shares))
                report_floor("floor", floors[-1])
        finally:
            stack.stop()
    floor = mean([floor_rate(runs) for runs in floors])
    transform = mean([arguments.rows / run.wall_s for run in runs])
    print(f"  transform / floor: {transform / floor:.2f} (goal >= 0.80)")
    report_time(batches, floors, runs, arguments.workers, split_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
