"""Benchmark: the worker's memory while an asynchronous endpoint answers 100 MB and 1 GB CSV bodies.

    python bench/serve/bench_async.py            (or: make bench-async)

Trains the bundled algorithm briefly on the bundled bank data through the real ``train``
entrypoint, writes bodies of bank rows (the held-out rows, label dropped, repeated) of each size
asked for, and for each starts a fresh real server with ``BYOA_ASYNC_INFERENCE=true`` and one
worker and posts the body once, streamed from its file, reading the answer in blocks. While a
request runs, the worker's RSS and PSS are sampled from ``/proc/PID/smaps_rollup``; its peak RSS
is also read from ``VmHWM`` (reset before the request through ``/proc/PID/clear_refs``).
Printed: body size, rows, seconds, MB/s, the worker's idle, peak and after-request memory, peak
minus idle as a share of the body, and the slope between two sizes (MB of peak per MB of body):
near 0 when memory follows the chunk, 1 or more when the body is held in memory.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stacks import REPO_ROOT, free_port

sys.path.insert(0, str(REPO_ROOT))  # this checkout's algorithm and serve, not an installed copy

from container import bank_data
from container.local_job import TRAIN_COMMAND, local_environment
from container.local_tree import ChannelInput, JobLayout
from serve.process import ServerProcess, local_server_command

MB = 1024 * 1024
BLOCK = MB
ASYNC = {"BYOA_ASYNC_INFERENCE": "true"}
WHOLE = {"SAGEMAKER_BATCH": "true", "SAGEMAKER_MAX_PAYLOAD_IN_MB": "100"}  # one call, whole body
HYPERPARAMETERS = {"label": "y", "epochs": "2", "hidden_units": "64", "ensemble_size": "1"}


@dataclass(frozen=True)
class Measure:
    body_mb: float
    rows: int
    seconds: float
    answer_lines: int
    idle_rss_mb: float
    idle_pss_mb: float
    peak_rss_mb: float
    peak_pss_mb: float
    after_rss_mb: float
    whole: bool  # read and answered in one call (SAGEMAKER_BATCH), not in chunks

    @property
    def growth_mb(self) -> float:
        return self.peak_rss_mb - self.idle_rss_mb


def main() -> int:
    arguments = parse_arguments()
    folder = Path(tempfile.mkdtemp(prefix="byoa-bench-async-", dir=arguments.scratch))
    try:
        model_dir = train_model(folder)
        bodies = [write_body(folder / f"body-{size}mb.csv", size) for size in arguments.sizes]
        measures = [serve_and_measure(model_dir, folder, body, ASYNC) for body in bodies]
        if arguments.whole_mb:
            body = write_body(folder / f"whole-{arguments.whole_mb}mb.csv", arguments.whole_mb)
            measures.append(serve_and_measure(model_dir, folder, body, WHOLE))
    finally:
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
        folder.rmdir()
    print_table(measures)
    return 0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=lambda t: [int(s) for s in t.split(",")],
        default=[100, 1024],
        help="body sizes in MB (default: 100,1024)",
    )
    parser.add_argument("--whole-mb", type=int, default=20,
                        help="also one body of this size read and answered whole, as batch "
                        "transform's are (default 20; 0: skip)")  # fmt: skip
    parser.add_argument("--scratch", type=Path, help="folder for the bodies (default: $TMPDIR)")
    return parser.parse_args()


def train_model(folder: Path) -> Path:
    train, _ = bank_data.split(bank_data.load())
    data = folder / "train.csv"
    train.to_csv(data, index=False)
    layout = JobLayout(folder / "job")
    layout.create([ChannelInput("train", data, "text/csv")], HYPERPARAMETERS)
    print("[bench] training the bundled algorithm on the bank data", file=sys.stderr)
    import subprocess

    done = subprocess.run(list(TRAIN_COMMAND), env=local_environment(layout), cwd=REPO_ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"training failed:\n{done.stderr[-2000:]}")
    return layout.base_dir / "model"


def write_body(path: Path, size_mb: int) -> tuple[Path, int]:
    """Held-out bank rows without the label, repeated to ``size_mb``; the path and row count."""
    _, held_out = bank_data.split(bank_data.load())
    block = held_out.drop(columns=[bank_data.LABEL]).to_csv(header=False, index=False).encode()
    rows_per_block = block.count(b"\n")
    target = size_mb * MB
    rows = 0
    with path.open("wb") as sink:
        while sink.tell() + len(block) <= target:
            sink.write(block)
            rows += rows_per_block
        tail = block[: block.rfind(b"\n", 0, target - sink.tell()) + 1]
        sink.write(tail)
        rows += tail.count(b"\n")
    print(f"[bench] wrote {path.name}: {path.stat().st_size / MB:.0f} MB, {rows} rows",
          file=sys.stderr)  # fmt: skip
    return path, rows


def serve_and_measure(
    model_dir: Path, folder: Path, body: tuple[Path, int], mode: dict[str, str]
) -> Measure:
    """One body through a fresh server, so each size starts from the same idle worker."""
    spool = folder / "spool"
    spool.mkdir(exist_ok=True)
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(REPO_ROOT), "BYOA_MODEL_DIR": str(model_dir),
        "SAGEMAKER_BIND_TO_PORT": str(port), "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
        "BYOA_ASYNC_SPOOL_DIR": str(spool), **mode,
    }  # fmt: skip
    server = ServerProcess(local_server_command(), port, env, cwd=str(REPO_ROOT)).start()
    try:
        server.wait_ready(timeout=120)
        assert server.process is not None
        worker = only_child(server.process.pid)
        post(port, b"56,housemaid,married,basic.4y,no,no,no,telephone,may,mon,261,1,999,0,"
             b"nonexistent,1.1,93.994,-36.4,4.857,5191.0\n")  # fmt: skip
        return measure(port, worker, *body, whole=mode is WHOLE)
    finally:
        server.stop(grace=30)


def measure(port: int, worker: int, path: Path, rows: int, whole: bool) -> Measure:
    Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM := current RSS
    idle_rss, idle_pss = rollup_mb(worker)
    sampler = Sampler(worker)
    sampler.start()
    started = time.perf_counter()
    lines = post_file(port, path)
    seconds = time.perf_counter() - started
    sampler.stop()
    if lines != rows:
        raise RuntimeError(f"{path.name}: {lines} answer lines for {rows} rows")
    peak_rss = max(sampler.peak_rss, high_water_mb(worker))
    return Measure(path.stat().st_size / MB, rows, seconds, lines, idle_rss, idle_pss, peak_rss,
                   sampler.peak_pss, rollup_mb(worker)[0], whole)  # fmt: skip


class Sampler(threading.Thread):
    """The worker's peak RSS and PSS, from ``smaps_rollup`` every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = self.peak_pss = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            rss, pss = rollup_mb(self.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def stop(self) -> None:
        self.done.set()
        self.join()


def rollup_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields["Rss"] / 1024, fields["Pss"] / 1024


def high_water_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def only_child(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one worker under {pid}, found {children}")
    return int(children[0])


def post(port: int, body: bytes) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/invocations", body=body, headers={"Content-Type": "text/csv"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"warm-up request failed with {response.status}")


def post_file(port: int, path: Path) -> int:
    """Streams ``path`` as the body; the answer's line count (read in blocks, not kept)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3700, blocksize=BLOCK)
    headers = {"Content-Type": "text/csv", "Content-Length": str(path.stat().st_size)}
    with path.open("rb") as body:
        connection.request("POST", "/invocations", body=body, headers=headers)
        response = connection.getresponse()
        lines = 0
        while block := response.read(BLOCK):
            lines += block.count(b"\n")
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path.name}: status {response.status}")
    return lines


def print_table(measures: list[Measure]) -> None:
    print("\nasynchronous inference, one worker, bank rows as text/csv, answers text/csv\n")
    print("| mode | body MB | rows | s | MB/s | idle RSS / PSS MB | peak RSS / PSS MB "
          "| peak - idle RSS MB | (peak - idle) / body | RSS after MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for m in measures:
        print(
            f"| {'whole' if m.whole else 'async'} | {m.body_mb:.0f} | {m.rows:,} "
            f"| {m.seconds:.1f} | {m.body_mb / m.seconds:.1f} "
            f"| {m.idle_rss_mb:.0f} / {m.idle_pss_mb:.0f} | {m.peak_rss_mb:.0f} / "
            f"{m.peak_pss_mb:.0f} | {m.growth_mb:.0f} | {m.growth_mb / m.body_mb:.3f} "
            f"| {m.after_rss_mb:.0f} |"
        )
    chunked = [m for m in measures if not m.whole]
    if len(chunked) >= 2:
        small, large = chunked[0], chunked[-1]
        slope = (large.peak_rss_mb - small.peak_rss_mb) / (large.body_mb - small.body_mb)
        print(f"\nslope of peak RSS over body size, {small.body_mb:.0f} -> {large.body_mb:.0f} MB: "
              f"{slope:.4f} MB per MB (a body held in memory once: 1)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
