"""``byoa new NAME``: a new algorithm folder that passes the conformance suite as created.

The template is ``examples/ridge`` (numpy only: spec, ``train`` with an optional channel,
``model_fn``, ``predict_fn``, a JSON ``output_fn``, a ``sample/`` data set and its own
``tests/``, which import it relatively), copied with the spec named after the new module. Edit
it into your algorithm, then run it with ``BYOA_ALGORITHM=NAME`` (``make conformance`` checks
it), or make it the image's ``algorithm/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import keyword
import shutil
import sys
from pathlib import Path

from container.commands import UsageError

TEMPLATE_MODULE = "examples.ridge"
TEMPLATE_NAME = "ridge-regression"


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "new", help="create a new algorithm folder (a working numpy example to edit)"
    )
    parser.add_argument("name", help="the algorithm's module name, e.g. my_forecaster")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where to create it")
    parser.set_defaults(handler=handle)


def handle(arguments: argparse.Namespace) -> int:
    name: str = arguments.name
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"{name!r} is not a Python module name (letters, digits, _)")
    target = arguments.dir / name
    if target.exists():
        raise UsageError(f"{target} already exists; choose another name or --dir")
    create(target, name)
    print(f"[new] {target}: run it with BYOA_ALGORITHM={name} (PYTHONPATH={arguments.dir})",
          file=sys.stderr)  # fmt: skip
    return 0


def create(target: Path, name: str) -> None:
    """Copy the template to ``target``, its spec named after ``name``."""
    found = importlib.util.find_spec(TEMPLATE_MODULE)  # located, not imported (numpy, byoa)
    assert found is not None and found.origin is not None, TEMPLATE_MODULE
    shutil.copytree(
        Path(found.origin).parent, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    module = target / "__init__.py"
    text = module.read_text()
    assert TEMPLATE_NAME in text
    spec_name = name.replace("_", "-")
    module.write_text(text.replace(f'name="{TEMPLATE_NAME}"', f'name="{spec_name}"', 1))
