"""One log format for every byoa process (CloudWatch keeps stdout and stderr)."""

from __future__ import annotations

import logging
import os

LOG_LEVEL_VARIABLE = "BYOA_LOG_LEVEL"


def configure_logging(level: str | None = None) -> None:
    """``level``, or ``BYOA_LOG_LEVEL`` (INFO when unset or not a level name)."""
    chosen = (level or os.environ.get(LOG_LEVEL_VARIABLE) or "INFO").upper()
    logging.basicConfig(
        level=chosen if chosen in logging.getLevelNamesMapping() else "INFO",
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
