"""The algorithm interface: every toolkit name an algorithm module may import, and no others.

An algorithm (the module ``BYOA_ALGORITHM`` names, default ``algorithm``) imports from here
only; the names in ``__all__`` are the stable interface, and the toolkit's other modules may
change. The contract of the module itself (``SPEC``, ``train``, ``model_fn``, ``predict_fn``
and the optional ``input_fn`` / ``output_fn``) is :class:`AlgorithmModule` and
:class:`CodecHooks`.

The checkpoint and distributed-training helpers need torch and are imported when first used,
so an algorithm that never touches them never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from container.channels import (
    ChannelReader,
    csv_header_parameter,
    detect_separator,
    looks_like_header,
)
from container.csv_rows import rows_checked
from container.errors import AlgorithmError, ConfigError, DataError, TrainingError
from container.hooks import AlgorithmModule, CodecHooks
from container.hyperparameters import Hyperparameters
from container.job import Cluster, TrainingJob
from container.metrics import MetricLogger
from container.spec import (
    AlgorithmSpec,
    Channel,
    Compression,
    Direction,
    Hyperparameter,
    InputMode,
    Metric,
    boolean,
    categorical,
    continuous,
    free_text,
    integer,
)
from container.stopping import StopFlag
from serve.context import RequestContext
from serve.context import current as current_request
from serve.errors import (
    BadRequest,
    InferenceError,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from serve.records import Predictions, Records

if TYPE_CHECKING:
    from container.checkpoints import CheckpointSchedule, CheckpointStore
    from container.distributed import (
        any_rank,
        barrier,
        broadcast_buffers,
        broadcast_object,
        channel_shard,
        data_parallel,
        is_distributed,
    )

_NEEDS_TORCH: dict[str, str] = {
    "CheckpointSchedule": "container.checkpoints",
    "CheckpointStore": "container.checkpoints",
    "any_rank": "container.distributed",
    "barrier": "container.distributed",
    "broadcast_buffers": "container.distributed",
    "broadcast_object": "container.distributed",
    "channel_shard": "container.distributed",
    "data_parallel": "container.distributed",
    "is_distributed": "container.distributed",
}

__all__ = [  # the stable interface; tests/unit/test_interface.py holds it
    "AlgorithmError",
    "AlgorithmModule",
    "AlgorithmSpec",
    "BadRequest",
    "Channel",
    "ChannelReader",
    "CheckpointSchedule",
    "CheckpointStore",
    "Cluster",
    "CodecHooks",
    "Compression",
    "ConfigError",
    "DataError",
    "Direction",
    "Hyperparameter",
    "Hyperparameters",
    "InferenceError",
    "InputMode",
    "Metric",
    "MetricLogger",
    "NotAcceptable",
    "PayloadTooLarge",
    "Predictions",
    "Records",
    "RequestContext",
    "StopFlag",
    "TrainingError",
    "TrainingJob",
    "UnsupportedMediaType",
    "any_rank",
    "barrier",
    "boolean",
    "broadcast_buffers",
    "broadcast_object",
    "categorical",
    "channel_shard",
    "continuous",
    "csv_header_parameter",
    "current_request",
    "data_parallel",
    "detect_separator",
    "free_text",
    "integer",
    "is_distributed",
    "looks_like_header",
    "rows_checked",
]


def __getattr__(name: str) -> Any:
    module_name = _NEEDS_TORCH.get(name)
    if module_name is None:
        raise AttributeError(f"module 'byoa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
