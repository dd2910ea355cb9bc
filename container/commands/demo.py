"""``byoa demo``: the whole local path on the bundled Bank Marketing data."""

from __future__ import annotations

import argparse
from pathlib import Path

from container.commands import lazy_handler


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="train the bundled algorithm on the bundled bank data and report"
    )
    parser.add_argument("--output", type=Path, default=Path("runs/demo"), help="work folder")
    parser.add_argument(
        "--hp", action="append", metavar="NAME=VALUE", help="a hyperparameter (repeatable)"
    )
    parser.set_defaults(handler=lazy_handler("container.commands.demo_run", "handle"))
