"""The README's hyperparameter table, generated from the algorithm spec.

The table sits between ``<!-- hyperparameters:start -->`` and ``<!-- hyperparameters:end -->``
in README.md. ``python -m container.docs`` rewrites it from the spec of the algorithm that
``BYOA_ALGORITHM`` names (default ``algorithm``); ``--check`` exits 1 when the README differs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from container.spec import AlgorithmSpec, Hyperparameter

START = "<!-- hyperparameters:start -->"
END = "<!-- hyperparameters:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def hyperparameter_table(spec: AlgorithmSpec) -> str:
    """A Markdown table: name, type, default, allowed values, tunable, description."""
    lines = [
        "| name | type | default | allowed | tunable | description |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_row(h) for h in spec.hyperparameters]
    return "\n".join(lines) + "\n"


def _row(hyperparameter: Hyperparameter) -> str:
    cells = (
        f"`{hyperparameter.name}`",
        _type_text(hyperparameter),
        "required" if hyperparameter.required else _default_text(hyperparameter),
        hyperparameter.range_text,
        "yes" if hyperparameter.tunable else "no",
        hyperparameter.description,
    )
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _type_text(hyperparameter: Hyperparameter) -> str:
    return "Boolean" if hyperparameter.boolean else hyperparameter.type.value


def _default_text(hyperparameter: Hyperparameter) -> str:
    default = hyperparameter.default
    if isinstance(default, bool):
        return "`true`" if default else "`false`"
    if default is None or default == "":
        return "(empty)"
    return f"`{default}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the markers replaced by ``table``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README lacks the markers {START} ... {END}")
    return readme[: start + len(START)] + "\n" + table + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate README's hyperparameter table.")
    parser.add_argument("readme", nargs="?", type=Path, default=README)
    parser.add_argument("--check", action="store_true", help="exit 1 if the README is stale")
    arguments = parser.parse_args(argv)
    from container.plugin import load_algorithm

    current = arguments.readme.read_text()
    wanted = with_table(current, hyperparameter_table(load_algorithm().spec))
    if current == wanted:
        return 0
    if arguments.check:
        print(
            f"{arguments.readme}: the hyperparameter table is stale; run python -m container.docs"
        )
        return 1
    arguments.readme.write_text(wanted)
    print(f"{arguments.readme}: hyperparameter table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
