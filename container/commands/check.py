"""``byoa check IMAGE``: replay locally what SageMaker and AWS Marketplace validation do with
the image; one line per rule, a summary, exit 1 when anything would fail (``--json`` for CI).
The rules themselves (:mod:`container.check`) are imported only when the command runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from container.commands import lazy_handler

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_commands(subparsers: Parsers) -> None:
    parser = subparsers.add_parser(
        "check", help="replay Marketplace validation and the SageMaker contract on a local image",
        description="Run the image as SageMaker and AWS Marketplace validation would (the "
        "validation profile's training and transform jobs, hosting, stops, no network) and "
        "print PASS / FAIL / WARN per rule with the evidence and the fix. Exit 1 when a rule "
        "fails.",
    )  # fmt: skip
    parser.add_argument("image", metavar="IMAGE", help="a local Docker image (name:tag or id)")
    parser.add_argument(
        "--request", type=Path,
        help="a CreateAlgorithm request (JSON) with a ValidationSpecification; default: the one "
        "derived from the installed algorithm (BYOA_ALGORITHM)",
    )  # fmt: skip
    parser.add_argument(
        "--data", type=Path,
        help="one sub-folder per training channel + inference/ (headerless rows); default: the "
        "algorithm's sample/ folder",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--skip", action="append", default=[], metavar="RULE",
                        help="a rule id not to run (repeatable)")  # fmt: skip
    parser.set_defaults(handler=lazy_handler("container.commands.check_run", "handle"))
