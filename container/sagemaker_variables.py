"""The ``SM_*`` variables that training scripts expect, computed by ``sagemaker-training``.

Algorithms ported from script mode read ``SM_CHANNEL_TRAIN``, ``SM_MODEL_DIR``,
``SM_NUM_GPUS`` and friends; ``sagemaker_training.environment`` derives them from the same
``/opt/ml`` tree (it honours ``SAGEMAKER_BASE_DIR``). Values already set are kept.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def export_sagemaker_variables() -> None:
    try:
        from sagemaker_training import environment

        variables = environment.Environment().to_env_vars()
    except Exception as error:  # best effort: the job itself does not need them
        log.warning("SM_* variables not exported (sagemaker-training: %s)", error)
        return
    for key, value in variables.items():
        os.environ.setdefault(key, value)
