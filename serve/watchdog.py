"""``SAGEMAKER_MODEL_SERVER_TIMEOUT`` for one inference: past it, the worker restarts.

gunicorn's own timeout only notices a worker whose main loop hangs; a ``gthread`` worker's main
loop keeps beating while a thread computes, and a thread cannot be interrupted. So each worker
watches its inference slot and, when one inference has run longer than the timeout, logs the
request id and exits; the master forks a fresh worker from the preloaded model (the same outcome
as a sync worker's ``WORKER TIMEOUT``, without the lost model load).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

EXIT_CODE = 70


@dataclass
class InferenceClock:
    """When the inference now running started, and for which request."""

    started: float | None = None
    request_id: str = ""
    ended: float | None = None  # when the last inference ended
    lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, request_id: str) -> None:
        with self.lock:
            self.started, self.request_id = time.monotonic(), request_id

    def end(self) -> None:
        with self.lock:
            self.started, self.ended = None, time.monotonic()

    def idle_since(self) -> float | None:
        """When the last inference ended, while none runs; None while one runs or before any."""
        with self.lock:
            return self.ended if self.started is None else None

    def overdue(self, timeout: float) -> str | None:
        with self.lock:
            if self.started is not None and time.monotonic() - self.started > timeout:
                return self.request_id
        return None


def watch(clock: InferenceClock, timeout: float, interval: float = 0.5) -> threading.Thread:
    def run() -> None:
        while True:
            time.sleep(interval)
            request_id = clock.overdue(timeout)
            if request_id is not None:
                log.error(
                    "request %s: inference ran past SAGEMAKER_MODEL_SERVER_TIMEOUT=%g s; "
                    "restarting this worker", request_id, timeout,
                )  # fmt: skip
                logging.shutdown()
                os._exit(EXIT_CODE)

    thread = threading.Thread(target=run, name="byoa-watchdog", daemon=True)
    thread.start()
    return thread
