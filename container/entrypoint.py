"""The image's one exec-form ``ENTRYPOINT``: ``train`` or ``serve``, as SageMaker invokes it.

SageMaker runs ``docker run IMAGE train`` for training and ``docker run IMAGE serve`` for
hosting and batch transform. The command runs in this process, so Python is PID 1 and its own
SIGTERM handlers apply: a PID 1 without a handler ignores SIGTERM and is killed after the grace
period (120 s training, 30 s hosting). Anything else gets a usage message and exit code 2.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence

USAGE = """\
usage: byoa-entrypoint train | serve

  train   run the training job described by /opt/ml/input (as SageMaker's CreateTrainingJob does)
  serve   answer /ping and /invocations on port ${SAGEMAKER_BIND_TO_PORT:-8080} with the model
          in /opt/ml/model (hosting and batch transform)

SageMaker passes exactly one of these words as the container's argument.
"""
EXIT_USAGE = 2


def _train() -> int:
    from container.train import main as train_main

    return train_main()


def _serve() -> int:
    gc.disable()  # for the imports and the model load; serve.server.load_service resumes it
    from serve.server import main as serve_main

    return serve_main()


COMMANDS: dict[str, Callable[[], int]] = {"train": _train, "serve": _serve}


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
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
