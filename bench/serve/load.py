"""Load generation with wrk (and a Lua script), a ``/ping`` prober, and the in-process floor."""

from __future__ import annotations

import http.client
import multiprocessing
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk(url: str, body_file: Path, connections: int, seconds: int, threads: int = 1) -> Load:
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
        "-s", str(HERE / "post.lua"), f"{url}/invocations",
    ]  # fmt: skip
    env = {**os.environ, "BODY_FILE": str(body_file), "CONTENT_TYPE": "text/csv"}
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(
        r"WRK requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) errors=(\d+)", output
    )
    if match is None:
        raise RuntimeError(f"no result line from wrk:\n{output}")
    requests, duration, p50, p99, errors = (int(g) for g in match.groups())
    return Load(requests / (duration / 1e6), p50 / 1000, p99 / 1000, errors)


class PingProbe:
    """``GET /ping`` every ``interval`` seconds on a fresh connection, recording latencies."""

    def __init__(self, port: int, interval: float = 0.02) -> None:
        self.port = port
        self.interval = interval
        self.latencies: list[float] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PingProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("GET", "/ping")
                ok = connection.getresponse().status == 200
            except OSError:
                ok = False
            finally:
                connection.close()
            self.latencies.append(time.perf_counter() - started)
            self.failures += not ok
            self._stop.wait(self.interval)

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else 0.0


def in_process_floor(model_dir: Path, body: bytes, processes: int, seconds: float) -> float:
    """Requests/s of decode + predict + encode in one process per core, no HTTP."""
    runs = floor_runs(model_dir, [[body]] * processes, seconds)
    return sum(run.bodies / run.seconds for run in runs)


@dataclass(frozen=True)
class FloorRun:
    """What one floor process did: bodies and rows handled, where its (wall) seconds went, and
    the CPU seconds it used (less than the wall where the cores are shared)."""

    bodies: int
    rows: int
    decode_s: float
    predict_s: float
    encode_s: float
    cpu_s: float

    @property
    def seconds(self) -> float:
        return self.decode_s + self.predict_s + self.encode_s


def floor_runs(model_dir: Path, shares: list[list[bytes]], seconds: float = 0.0) -> list[FloorRun]:
    """Each share of CSV bodies through decode + predict_fn + encode in its own process, one
    torch thread each (as the server's workers on one core each), after one warm-up body: every
    body once, then round again until ``seconds`` have passed. Forked, so the bodies are
    inherited rather than pickled."""
    context = multiprocessing.get_context("fork")
    results = context.SimpleQueue()
    workers = [
        context.Process(target=_floor_worker, args=(str(model_dir), share, seconds, index, results))
        for index, share in enumerate(shares)
    ]
    for worker in workers:
        worker.start()
    runs: dict[int, FloorRun] = dict(results.get() for _ in workers)
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a floor process exited with {worker.exitcode}")
    return [runs[index] for index in range(len(shares))]


def _floor_worker(
    model_dir: str, bodies: list[bytes], seconds: float, index: int, results: Any
) -> None:
    import torch

    from algorithm import model_fn, predict_fn
    from serve.codecs import csv_codec

    torch.set_num_threads(1)
    model = model_fn(Path(model_dir))
    csv_codec.encode(predict_fn(csv_codec.decode(bodies[0], {}), model), False)
    spent = [0.0, 0.0, 0.0]
    count = rows = 0
    cpu = time.process_time()
    while count < len(bodies) or sum(spent) < seconds:
        body = bodies[count % len(bodies)]
        started = time.perf_counter()
        records = csv_codec.decode(body, {})
        decoded = time.perf_counter()
        prediction = predict_fn(records, model)
        predicted = time.perf_counter()
        csv_codec.encode(prediction, False)
        spent[0] += decoded - started
        spent[1] += predicted - decoded
        spent[2] += time.perf_counter() - predicted
        count += 1
        rows += body.count(b"\n")
    results.put((index, FloorRun(count, rows, *spent, time.process_time() - cpu)))
