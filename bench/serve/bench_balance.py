"""Benchmark: how a few new kept-alive connections spread over the workers, 10 times over.

    python bench/serve/bench_balance.py [--stale]

Starts the real server on the bank model (2 workers by default), then per trial opens
``--connections`` kept-alive connections at once, answers one 1-row request on each, and counts
the established connections each worker holds (``/proc``). With ``--stale``, each trial first
sends 10,000-row requests on as many connections and closes them unanswered, as a load
generator that stops mid-request does, so the workers still count connections that are gone
when the next ones arrive (what a benchmark's back-to-back runs do).
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

from bank import bank_body, bank_model
from stacks import _descendants, free_port, request, start_byoa

REQUEST = (
    "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n"
)


def post(port: int, body: bytes) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(REQUEST.format(len(body)).encode() + body)
    return client


def established_by_pid(pids: set[int], port: int) -> dict[int, int]:
    """Established connections to ``port`` held by each of ``pids``."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    counts = {}
    for pid in pids:
        try:
            links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        counts[pid] = sum(link[8:-1] in inodes for link in links if link.startswith("socket:["))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--stale", action="store_true")
    arguments = parser.parse_args()
    small, large = bank_body(1), bank_body(10_000)
    with tempfile.TemporaryDirectory(prefix="byoa-bench-balance-") as scratch:
        port = free_port()
        stack = start_byoa(bank_model(), port, arguments.workers, Path(scratch) / "server.log")
        try:
            while request(port, "GET", "/ping")[0] != 200:
                time.sleep(0.05)
            time.sleep(2)  # every worker up, not just the one that answered
            master = {p.pid for p in stack.processes}
            spreads: collections.Counter[tuple[int, ...]] = collections.Counter()
            for _ in range(arguments.trials):
                if arguments.stale:
                    for client in [post(port, large) for _ in range(arguments.connections)]:
                        client.close()
                clients = [post(port, small) for _ in range(arguments.connections)]
                for client in clients:
                    client.recv(65536)
                workers = _descendants(master) - master
                counts = established_by_pid(workers, port)
                spreads[tuple(sorted(counts.values(), reverse=True))] += 1
                for client in clients:
                    client.close()
                time.sleep(1.5)  # the workers see the closes and publish their counts
        finally:
            stack.stop()
    after = " after stale ones" if arguments.stale else ""
    print(f"{arguments.connections} new connections over {arguments.workers} workers, "
          f"{arguments.trials} trials{after}:")  # fmt: skip
    for spread, times in spreads.most_common():
        print(f"  connections per worker {spread}: {times} times")
    return 0


if __name__ == "__main__":
    sys.exit(main())
