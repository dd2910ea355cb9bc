"""``byoa demo``: the whole local path (train, serve, predict) on the algorithm's own sample,
or with ``--bank`` on the bundled Bank Marketing data."""

from __future__ import annotations

import argparse
from pathlib import Path

from container.commands import lazy_handler


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="train the algorithm on its sample/ (or --data), serve the model, predict the "
        "sample's inference rows",
    )
    parser.add_argument("--output", type=Path, default=Path("runs/demo"), help="work folder")
    parser.add_argument(
        "--data", type=Path, help="a folder like sample/: one sub-folder per channel, inference/"
    )
    parser.add_argument(
        "--bank", action="store_true",
        help="the bundled Bank Marketing data instead: 70%% to train, the rest scored over HTTP "
        "(AUC); for a classifier with a label hyperparameter, as the bundled algorithm is",
    )  # fmt: skip
    parser.add_argument(
        "--hp", action="append", metavar="NAME=VALUE", help="a hyperparameter (repeatable)"
    )
    parser.set_defaults(handler=lazy_handler("container.commands.demo_run", "handle"))
