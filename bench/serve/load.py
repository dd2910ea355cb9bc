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
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        rates = pool.starmap(_floor_worker, [(str(model_dir), body, seconds)] * processes)
    return sum(rates)


def _floor_worker(model_dir: str, body: bytes, seconds: float) -> float:
    import torch

    from algorithm import model_fn, predict_fn
    from serve.codecs import csv_codec

    torch.set_num_threads(1)
    model = model_fn(Path(model_dir))
    csv_codec.encode(predict_fn(csv_codec.decode(body, {}), model), False)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        csv_codec.encode(predict_fn(csv_codec.decode(body, {}), model), False)
        count += 1
    return count / (time.perf_counter() - started)
