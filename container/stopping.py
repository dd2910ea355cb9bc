"""SIGTERM as a stop flag the training loop can poll.

SageMaker stops a training job with SIGTERM and sends SIGKILL 120 s later. A process that is
PID 1 and has no SIGTERM handler ignores the signal, so the handler is installed explicitly; it
only sets a flag, and the algorithm saves and returns at its next check.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

log = logging.getLogger(__name__)

TRAINING_GRACE_SECONDS = 120


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.requested_at: float | None = None

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def request(self, reason: str = "stop requested") -> None:
        if not self._event.is_set():
            self.requested_at = time.monotonic()
            log.warning("%s: saving state and stopping", reason)
        self._event.set()

    def seconds_left(self) -> float:
        """Of SageMaker's 120 s grace period, what remains (the full period before a stop)."""
        if self.requested_at is None:
            return float(TRAINING_GRACE_SECONDS)
        return TRAINING_GRACE_SECONDS - (time.monotonic() - self.requested_at)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request(f"received {signal.Signals(signum).name}")
