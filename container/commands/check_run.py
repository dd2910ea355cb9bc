"""The work of ``byoa check`` (parsed by :mod:`container.commands.check`)."""

from __future__ import annotations

import argparse
import sys

from container.check.rules import RULES_BY_ID
from container.check.runner import run_check
from container.check.subject import load_subject
from container.commands import UsageError
from container.docker_runner import sigterm_as_interrupt


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _silent(_line: str) -> None:
    return None


def handle(arguments: argparse.Namespace) -> int:
    unknown = sorted(set(arguments.skip) - set(RULES_BY_ID))
    if unknown:
        raise UsageError(f"--skip {', '.join(unknown)}: no such rule ({', '.join(RULES_BY_ID)})")
    subject = load_subject(arguments.image, arguments.request, arguments.data)
    with sigterm_as_interrupt():
        report = run_check(subject, arguments.skip, _silent if arguments.json else _progress)
    sys.stdout.write(report.as_json() if arguments.json else "\n" + report.text())
    return 1 if report.failed else 0
