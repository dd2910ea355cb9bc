"""Benchmark: the byoa server's memory (PSS of the whole process tree) after 10,000-row requests.

    python bench/serve/bench_memory.py          (or: make bench-serve-memory)

Starts the real server (gunicorn on loopback, one worker per core) on the bundled bank model,
measures PSS when idle (after one warm-up prediction), during a burst of 10,000-row bank
requests over a few connections, and again a few seconds after the burst; prints the ratios to
idle. Goal (issue 14): after the burst, within 1.2x of idle. ``--env NAME=VALUE`` sets a server
environment variable (to compare allocator settings side by side, e.g. MALLOC_ARENA_MAX=2).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bank import bank_body, bank_model
from stacks import free_port, request, start_byoa, tree_pss_mb, wait_for_ping


def burst(port: int, body: bytes, connections: int, requests: int) -> int:
    """``requests`` POSTs from each of ``connections`` threads; the count that failed."""
    failures = [0] * connections

    def client(index: int) -> None:
        for _ in range(requests):
            failures[index] += request(port, "POST", "/invocations", body)[0] != 200

    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--requests", type=int, default=5, help="per connection")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after the burst")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    arguments = parser.parse_args()
    model_dir = bank_model()
    body = bank_body(10_000)
    extra = dict(item.split("=", 1) for item in arguments.env)
    with tempfile.TemporaryDirectory(prefix="byoa-bench-memory-") as scratch:
        port = free_port()
        stack = start_byoa(model_dir, port, arguments.workers, Path(scratch) / "server.log", extra)
        try:
            wait_for_ping(stack)
            request(port, "POST", "/invocations", bank_body(1))
            time.sleep(1)
            idle = tree_pss_mb(stack)
            peak = [idle]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.1):
                    peak.append(tree_pss_mb(stack))

            sampler = threading.Thread(target=sample)
            sampler.start()
            failed = burst(port, body, arguments.connections, arguments.requests)
            done.set()
            sampler.join()
            time.sleep(arguments.settle)
            after = tree_pss_mb(stack)
        finally:
            stack.stop()
    settings = " ".join(f"{k}={v}" for k, v in extra.items()) or "(default environment)"
    total = arguments.connections * arguments.requests
    print(f"byoa server, bank model, {arguments.workers} workers, {settings}")
    print(f"  {total} requests of 10,000 rows ({len(body) / 1e6:.2f} MB) over "
          f"{arguments.connections} connections, {failed} failed")  # fmt: skip
    print(f"  PSS idle {idle:7.1f} MB")
    print(f"  PSS peak {max(peak):7.1f} MB  ({max(peak) / idle:.2f}x idle)")
    print(f"  PSS after {after:6.1f} MB  ({after / idle:.2f}x idle, goal <= 1.2x)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
