"""One log format for every byoa process (CloudWatch keeps stdout and stderr)."""

from __future__ import annotations

import logging
import os

LOG_LEVEL_VARIABLE = "BYOA_LOG_LEVEL"


def configure_logging() -> None:
    logging.basicConfig(
        level=os.environ.get(LOG_LEVEL_VARIABLE, "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
