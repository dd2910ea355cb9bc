"""Find the algorithm by import path; the toolkit reaches it only through this interface.

``BYOA_ALGORITHM`` names the module (default ``algorithm``). It must define ``SPEC`` (an
:class:`~container.spec.AlgorithmSpec`), ``train(job)``, ``model_fn(model_dir)`` and
``predict_fn(data, model)``; ``input_fn(body, content_type)`` and ``output_fn(prediction,
accept)`` are optional and replace the default codecs.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from container.errors import ConfigError
from container.spec import AlgorithmSpec

if TYPE_CHECKING:
    from container.job import TrainingJob

ALGORITHM_VARIABLE = "BYOA_ALGORITHM"
DEFAULT_ALGORITHM = "algorithm"
REQUIRED = ("SPEC", "train", "model_fn", "predict_fn")
SAMPLE_FOLDER = "sample"


@dataclass(frozen=True)
class Algorithm:
    module: ModuleType

    @property
    def spec(self) -> AlgorithmSpec:
        spec: AlgorithmSpec = self.module.SPEC
        return spec

    def train(self, job: TrainingJob) -> None:
        self.module.train(job)

    def model_fn(self, model_dir: Path) -> Any:
        return self.module.model_fn(model_dir)

    def predict_fn(self, data: Any, model: Any) -> Any:
        return self.module.predict_fn(data, model)

    @property
    def sample_dir(self) -> Path | None:
        """``sample/`` beside the algorithm's module: its own small public data set, one
        sub-folder per channel plus ``inference/`` (headerless rows), used by default wherever
        the toolkit needs data for it (the Marketplace validation profile)."""
        folder = Path(self.module.__file__ or ".").parent / SAMPLE_FOLDER
        return folder if folder.is_dir() else None

    @property
    def input_fn(self) -> Callable[[bytes, str], Any] | None:
        return getattr(self.module, "input_fn", None)

    @property
    def output_fn(self) -> Callable[[Any, str], bytes] | None:
        return getattr(self.module, "output_fn", None)


def algorithm_path() -> str:
    return os.environ.get(ALGORITHM_VARIABLE) or DEFAULT_ALGORITHM


def load_algorithm(path: str | None = None) -> Algorithm:
    name = path or algorithm_path()
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise ConfigError(
            f"cannot import the algorithm module {name!r} ({error}); "
            f"set {ALGORITHM_VARIABLE} to an importable module"
        ) from error
    missing = [attribute for attribute in REQUIRED if not hasattr(module, attribute)]
    if missing:
        raise ConfigError(f"algorithm module {name!r} does not define {', '.join(missing)}")
    if not isinstance(module.SPEC, AlgorithmSpec):
        raise ConfigError(f"{name}.SPEC is {type(module.SPEC).__name__}, not an AlgorithmSpec")
    return Algorithm(module)
