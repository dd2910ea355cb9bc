"""Subcommands of ``byoa`` and the argument helpers they share."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any


class UsageError(Exception):
    """A command-line argument is malformed; ``byoa`` prints it with the usage and exits 2."""


def key_value(text: str, flag: str) -> tuple[str, str]:
    """``NAME=VALUE`` -> (name, value), or a UsageError that shows the expected form."""
    name, separator, value = text.partition("=")
    if not separator or not name.strip():
        raise UsageError(f"malformed {flag} {text!r}: expected NAME=VALUE")
    return name.strip(), value


def key_values(items: list[str] | None, flag: str) -> dict[str, str]:
    return dict(key_value(item, flag) for item in items or [])


def add_handler(parser: argparse.ArgumentParser, handler: Any) -> None:
    parser.set_defaults(handler=handler)


def lazy_handler(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A handler imported only when its command runs, so ``byoa --help`` stays fast."""

    def handle(arguments: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return handler(arguments)

    return handle
