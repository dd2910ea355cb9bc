"""``byoa``: the one command-line entry point; each subcommand lives in ``container/commands``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from container.commands import UsageError, check, demo, marketplace, new, serve, train
from container.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]
COMMAND_MODULES = (train, demo, new, marketplace, serve, check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="byoa", description="Train, serve and ship a SageMaker algorithm image."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    handler: Handler = arguments.handler
    try:
        return handler(arguments)
    except UsageError as error:
        parser.error(str(error))
    except ConfigError as error:
        sys.stderr.write(f"byoa {arguments.command}: {error.reason}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
