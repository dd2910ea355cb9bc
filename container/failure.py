"""``/opt/ml/output/failure``: reason first, detail after.

SageMaker shows the first 1,024 characters as the job's ``FailureReason``, so the first line is
a short statement of what is wrong and how to fix it; a traceback, if any, comes last.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from container.errors import TrainingError

FAILURE_REASON_LIMIT = 1024
REASON_LINE_LIMIT = 900


def failure_text(error: BaseException) -> str:
    if isinstance(error, TrainingError):
        reason, detail = error.reason, error.detail
    elif isinstance(error, MemoryError):
        reason = "out of memory while training; use an instance type with more memory or less data"
        detail = ""
    else:
        message = " ".join(str(error).split()) or "(no message)"
        reason = f"unexpected error in the algorithm: {type(error).__name__}: {message}"
        detail = ""
    if len(reason) > REASON_LINE_LIMIT:
        reason = reason[: REASON_LINE_LIMIT - 3] + "..."
    trace = "".join(traceback.format_exception(error))
    parts = [reason, detail, "Traceback (for the algorithm's developer):\n" + trace]
    return "\n\n".join(part.rstrip() for part in parts if part) + "\n"


def write_failure(path: Path, error: BaseException) -> str:
    text = failure_text(error)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return text


def read_failure_reason(path: Path) -> str | None:
    """What SageMaker would report as ``FailureReason`` (None when there is no failure file)."""
    if not path.exists():
        return None
    return path.read_text()[:FAILURE_REASON_LIMIT]
