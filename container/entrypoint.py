"""The image's one exec-form ``ENTRYPOINT``: ``train`` or ``serve``, as SageMaker invokes it.

SageMaker runs ``docker run IMAGE train`` for training and ``docker run IMAGE serve`` for
hosting and batch transform. The SageMaker Python SDK v3's local training
(``ModelTrainer(training_mode=Mode.LOCAL_CONTAINER)`` without source code) starts the container
with no argument at all, so with none the ``/opt/ml`` tree decides: a training job's input
configuration present (``input/config/resourceconfig.json``, ``inputdataconfig.json`` or
``hyperparameters.json`` under ``$SAGEMAKER_BASE_DIR``, default ``/opt/ml``) means ``train``.
The command runs in this process, so Python is PID 1 and its own SIGTERM handlers apply: a
PID 1 without a handler ignores SIGTERM and is killed after the grace period (120 s training,
30 s hosting). Anything else gets a usage message and exit code 2.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from container.environment import base_dir_from_environment

USAGE = """\
usage: byoa-entrypoint [train | serve]

  train   run the training job described by /opt/ml/input (as SageMaker's CreateTrainingJob does)
  serve   answer /ping and /invocations on port ${SAGEMAKER_BIND_TO_PORT:-8080} with the model
          in /opt/ml/model (hosting and batch transform)

SageMaker passes exactly one of these words as the container's argument. With none, the
container trains when a training job's configuration is in /opt/ml/input/config
($SAGEMAKER_BASE_DIR/input/config where set), as the SageMaker Python SDK v3 expects.
"""
EXIT_USAGE = 2
TRAINING_CONFIG_FILES = ("resourceconfig.json", "inputdataconfig.json", "hyperparameters.json")


def _train() -> int:
    from container.train import main as train_main

    return train_main()


def _serve() -> int:
    gc.disable()  # for the imports and the model load; serve.server.load_service resumes it
    from serve.server import main as serve_main

    return serve_main()


COMMANDS: dict[str, Callable[[], int]] = {"train": _train, "serve": _serve}


def training_config_dir(base_dir: Path | None = None) -> Path | None:
    """The job's ``input/config`` folder if it holds a training job's configuration, else None."""
    config_dir = (base_dir or base_dir_from_environment()) / "input" / "config"
    if any((config_dir / name).is_file() for name in TRAINING_CONFIG_FILES):
        return config_dir
    return None


def _without_argument() -> int:
    config_dir = training_config_dir()
    if config_dir is not None:
        sys.stderr.write(f"byoa-entrypoint: no argument; training ({config_dir} found)\n")
        return COMMANDS["train"]()
    sys.stderr.write(
        "byoa-entrypoint: no argument and no training job configuration in "
        f"{base_dir_from_environment() / 'input' / 'config'}; expected 'train' or 'serve'\n\n"
        f"{USAGE}"
    )
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        return _without_argument()
    if len(arguments) == 1 and arguments[0] in COMMANDS:
        return COMMANDS[arguments[0]]()
    if arguments in (["-h"], ["--help"], ["help"]):
        sys.stdout.write(USAGE)
        return 0
    shown = " ".join(arguments) or "(nothing)"
    sys.stderr.write(f"byoa-entrypoint: expected 'train' or 'serve', got {shown}\n\n{USAGE}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
